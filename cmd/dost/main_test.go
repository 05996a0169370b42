package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/dost-az/dost/cmd/dost"
)

// TestServeDemo starts the real program in-process, as `dost serve --demo`
// does, over a fresh embedded database.
func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	var out, logs bytes.Buffer
	m := main.NewMain(&out, &logs)
	m.Config = main.DefaultConfig()
	m.Config.Database = ""
	if err := m.ParseFlags(context.Background(), []string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--demo", "--demo-persons", "300"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\nlogs: %s", err, logs.String())
	}
	defer m.Close()

	if _, err := os.Stat(filepath.Join(dir, "dost.db")); err != nil {
		t.Errorf("embedded database not created: %v", err)
	}
	for _, want := range []string{"admin", "operator", "caseworker", "supervisor", "auditor", "dost is running on http://"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not mention %q:\n%s", want, out.String())
		}
	}
	base := m.HTTPServer.URL()
	// The hall is wired: a centre's kiosk and board answer.
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/services", "/api/v1/centres", "/services",
		"/centres/baku-1/kiosk", "/centres/baku-1/board"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200: %s", path, resp.StatusCode, body)
		}
	}
	resp, err := http.Get(base + "/api/v1/centres")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			Name struct{ EN string } `json:"name"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range page.Items {
		found = found || strings.Contains(c.Name.EN, "No3, Nizami district, Baku")
	}
	if !found {
		t.Errorf("centre No3 Nizami missing from %+v", page.Items)
	}
	// The key of the visitors' links is kept in the database (node_secrets), not in a file.
	if _, err := os.Stat(filepath.Join(dir, "feedback.key")); err == nil {
		t.Error("a feedback.key file was written; want the key in the database only")
	}
	if strings.Contains(logs.String(), "password") && strings.Contains(logs.String(), "demo-") {
		t.Errorf("a demo password reached the logs")
	}
}

// TestServeRefusesUnmigrated checks that a database other than the embedded
// default is not migrated silently: serve stops and names the command.
func TestServeRefusesUnmigrated(t *testing.T) {
	t.Setenv("DOST_DATA_DIR", t.TempDir()) // uploads and files, never ./dost-data in the source tree
	db := filepath.Join(t.TempDir(), "other.db")
	var out, logs bytes.Buffer
	err := main.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--database", db}, &out, &logs)
	if err == nil || !strings.Contains(err.Error(), "dost migrate") {
		t.Fatalf("got %v, want an error naming `dost migrate`", err)
	}
	if err := main.Run(context.Background(), []string{"migrate", "--database", db}, &out, &logs); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	m := main.NewMain(&out, &logs)
	if err := m.ParseFlags(context.Background(), []string{"--addr", "127.0.0.1:0", "--database", db}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("serve after migrate: %v", err)
	}
	m.Close()
}

// TestGenImportToken runs the population generator, imports its CSV, and
// creates an API token, the way an administrator would.
func TestGenImportToken(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "dost.db")
	ctx := context.Background()
	var out, logs bytes.Buffer
	run := func(args ...string) error {
		out.Reset()
		return main.Run(ctx, args, &out, &logs)
	}
	if err := run("gen", "--persons", "500", "--seed", "7", "--out", filepath.Join(dir, "pop")); err != nil {
		t.Fatalf("gen: %v", err)
	}
	if err := run("migrate", "--database", db); err != nil {
		t.Fatal(err)
	}
	if err := run("import", "--database", db, "persons", filepath.Join(dir, "pop", "persons.csv")); err != nil {
		t.Fatalf("import persons: %v\n%s", err, logs.String())
	}
	if !strings.Contains(out.String(), "imported 500 persons rows") {
		t.Errorf("import output: %s", out.String())
	}
	for _, kind := range []string{"households", "incomes", "insurance", "disabilities"} {
		if err := run("import", "--database", db, kind, filepath.Join(dir, "pop", kind+".csv")); err != nil {
			t.Fatalf("import %s: %v\n%s", kind, err, logs.String())
		}
	}
	// The same persons again: every row conflicts, nothing is stored.
	logs.Reset()
	if err := run("import", "--database", db, "persons", filepath.Join(dir, "pop", "persons.csv")); err == nil {
		t.Fatal("re-import succeeded, want rejection")
	}
	if !strings.Contains(logs.String(), "500 bad rows") {
		t.Errorf("re-import report: %s", logs.String())
	}

	if err := run("demo", "--database", db, "--persons", "-1"); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if err := run("token", "create", "--database", db, "--user", "operator"); err != nil {
		t.Fatalf("token: %v", err)
	}
	if tok := strings.TrimSpace(out.String()); len(tok) < 20 {
		t.Errorf("token %q looks too short", tok)
	}
	if err := run("token", "create", "--database", db, "--user", "nobody"); err == nil {
		t.Error("token for unknown user succeeded")
	}
}

// TestImportReportsEveryBadRow checks that rows that do not parse and rows
// that conflict with the registry are reported together, and that flags
// may follow the positional arguments.
func TestImportReportsEveryBadRow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "dost.db")
	ctx := context.Background()
	var out, logs bytes.Buffer
	if err := main.Run(ctx, []string{"migrate", "--database", db}, &out, &logs); err != nil {
		t.Fatal(err)
	}
	header := "fin,last_name,first_name,patronymic,birth_date,sex\n"
	first := filepath.Join(dir, "first.csv")
	os.WriteFile(first, []byte(header+"5ZK1R2A,Əliyev,Rəşad,Vüqar oğlu,1970-01-02,M\n"), 0o644)
	if err := main.Run(ctx, []string{"import", "persons", first, "--database", db}, &out, &logs); err != nil {
		t.Fatalf("import with trailing flags: %v\n%s", err, logs.String())
	}
	second := filepath.Join(dir, "second.csv")
	os.WriteFile(second, []byte(header+
		"5ZK1R2A,Əliyev,Rəşad,Vüqar oğlu,1970-01-02,M\n"+ // line 2: already registered
		"6ZK1R2A,Həsənova,Aysel,,2025-02-30,F\n"+ // line 3: impossible date
		"7ZK1R2A,Quliyev,Elvin,,1990-05-05,M\n"), 0o644) // line 4: fine
	logs.Reset()
	err := main.Run(ctx, []string{"import", "--database", db, "persons", second}, &out, &logs)
	if err == nil {
		t.Fatal("import succeeded, want rejection")
	}
	report := logs.String()
	for _, want := range []string{"2 bad rows", "line 2, fin:", "already registered", "line 3, birth_date:"} {
		if !strings.Contains(report, want) {
			t.Errorf("report does not contain %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "line 4") {
		t.Errorf("report names the good line 4:\n%s", report)
	}
	// Nothing of the second file was stored: line 4's person is absent,
	// so importing it alone succeeds.
	third := filepath.Join(dir, "third.csv")
	os.WriteFile(third, []byte(header+"7ZK1R2A,Quliyev,Elvin,,1990-05-05,M\n"), 0o644)
	if err := main.Run(ctx, []string{"import", "--database", db, "persons", third}, &out, &logs); err != nil {
		t.Errorf("line 4's person was stored by the rejected import: %v", err)
	}
}

// TestGenDeterministic checks that a seed gives the same files on any day,
// and that --into-db stores the population the CSV describes.
func TestGenDeterministic(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, logs bytes.Buffer
	for _, d := range []string{"a", "b"} {
		if err := main.Run(ctx, []string{"gen", "--persons", "300", "--seed", "9", "--out", filepath.Join(dir, d)}, &out, &logs); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"persons.csv", "households.csv", "incomes.csv", "insurance.csv", "disabilities.csv"} {
		a, _ := os.ReadFile(filepath.Join(dir, "a", f))
		b, _ := os.ReadFile(filepath.Join(dir, "b", f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same seed (%d and %d bytes)", f, len(a), len(b))
		}
	}
	db := filepath.Join(dir, "dost.db")
	if err := main.Run(ctx, []string{"migrate", "--database", db}, &out, &logs); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := main.Run(ctx, []string{"gen", "--persons", "300", "--seed", "9", "--into-db", "--database", db}, &out, &logs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 300 persons") {
		t.Errorf("gen --into-db output: %s", out.String())
	}
	// The CSV of the same seed names exactly those persons: importing it
	// now conflicts on every row.
	logs.Reset()
	if err := main.Run(ctx, []string{"import", "--database", db, "persons", filepath.Join(dir, "a", "persons.csv")}, &out, &logs); err == nil {
		t.Error("re-import of the same population succeeded")
	}
	if !strings.Contains(logs.String(), "300 bad rows") {
		t.Errorf("report: %.300s", logs.String())
	}
}

// TestServePublicRate checks the --public-rate knob: the default limits a
// client to bursts of 200 on public endpoints, 0 lifts the limit.
func TestServePublicRate(t *testing.T) {
	for _, tc := range []struct {
		rate     string
		want429s bool
	}{{"50", true}, {"0", false}} {
		t.Run("rate="+tc.rate, func(t *testing.T) {
			var out, logs bytes.Buffer
			m := main.NewMain(&out, &logs)
			if err := m.ParseFlags(context.Background(), []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--public-rate", tc.rate}); err != nil {
				t.Fatal(err)
			}
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			limited := 0
			for range 260 {
				resp, err := http.Get(m.HTTPServer.URL() + "/api/v1/services?limit=1")
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests {
					limited++
				}
			}
			if got := limited > 0; got != tc.want429s {
				t.Errorf("got %d answers 429 in 260 requests, want some: %v", limited, tc.want429s)
			}
		})
	}
}
