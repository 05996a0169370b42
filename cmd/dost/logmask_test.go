package main_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestServeLogsMasked runs `dost serve --demo` and checks that its logger
// masks FINs and IBANs written by any code, and that after staff and
// visitors have used the server its logs hold no full FIN, name or IBAN
// of the demo's persons.
func TestServeLogsMasked(t *testing.T) {
	ctx := context.Background()
	var out, logs bytes.Buffer
	m := main.NewMain(&out, &logs)
	m.Config = main.DefaultConfig()
	m.Config.Database = ""
	dir := t.TempDir()
	if err := m.ParseFlags(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--demo", "--demo-persons", "60", "--jobs=false"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run: %v\nlogs: %s", err, logs.String())
	}
	defer m.Close()

	var fin, iban string
	if err := m.DB.WriterDB().QueryRowContext(ctx, `SELECT fin, iban FROM persons WHERE iban <> '' ORDER BY id LIMIT 1`).Scan(&fin, &iban); err != nil {
		t.Fatal(err)
	}
	m.HTTPServer.Logger.Error("probe "+fin, "fin", fin, "err", errors.New("account "+iban+" of "+fin), "note", dost.FIN(fin))
	// A visitor and a staff member reach the person by FIN.
	u, err := m.HTTPServer.UserService.FindUserByUsername(ctx, "operator")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := m.HTTPServer.UserService.CreateAPIToken(ctx, u.ID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, bearer := range []string{"", token} {
		for _, path := range []string{"/api/v1/persons/" + fin, "/api/v1/persons?fin=" + fin, "/persons/" + fin + "?q=" + fin} {
			req, _ := http.NewRequest("GET", m.HTTPServer.URL()+path, nil)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	if !strings.Contains(got, `"probe `+dost.FIN(fin).Masked()+`"`) || !strings.Contains(got, iban[:8]+"****") {
		t.Errorf("the probe is not masked in the logs:\n%s", got)
	}
	leaks, err := dosttest.LogLeaks(ctx, openDB(t, filepath.Join(dir, "dost.db")), got)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaks {
		t.Errorf("serve's logs hold personal data: %.400s", l)
	}
}
