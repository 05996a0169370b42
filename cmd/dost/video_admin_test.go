package main_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/sqlstore"
)

// TestVideoAdminCommand sets up service by video with `dost video`: a
// demo hall becomes a video centre, an operator is certified to interpret
// sign language, listed, and revoked; bad input is refused.
func TestVideoAdminCommand(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "dost.db")
	var out, logs bytes.Buffer
	run := func(args ...string) error {
		out.Reset()
		return main.Run(ctx, append(args, "--database", dsn), &out, &logs)
	}
	if err := run("migrate"); err != nil {
		t.Fatal(err)
	}
	if err := run("demo", "--persons", "-1"); err != nil {
		t.Fatalf("demo: %v\n%s", err, logs.String())
	}
	t.Setenv("DOST_USER_PASSWORD", "a-long-staff-password")
	if err := run("user", "add", "--username", "nigar", "--name", "Nigar Huseynova", "--role", "operator", "--centre", demo.CentreBaku1); err != nil {
		t.Fatal(err)
	}
	if err := run("video", "kind", "--centre", demo.CentreBaku1, "--kind", "studio"); err == nil {
		t.Error("kind studio: no error")
	}
	if err := run("video", "kind", "--centre", demo.CentreBaku1, "--kind", "video"); err != nil {
		t.Fatal(err)
	}
	if err := run("video", "certify", "--username", "nigar", "--language", "klingon"); err == nil {
		t.Error("certify for an unknown language: no error")
	}
	if err := run("video", "certify", "--username", "nigar", "--language", "sign"); err != nil || !strings.Contains(out.String(), "nigar interprets sign") {
		t.Fatalf("certify: %v %q", err, out.String())
	}
	if err := run("video", "interpreters", "--username", "nigar"); err != nil || !strings.Contains(out.String(), "\tsign\t") {
		t.Fatalf("interpreters: %v %q", err, out.String())
	}

	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := sqlstore.NewVideoStore(db)
	ce, err := sqlstore.NewCentreService(db).FindCentreByCode(ctx, demo.CentreBaku1)
	if err != nil {
		t.Fatal(err)
	}
	if kind, err := store.CentreKind(ctx, ce.ID); err != nil || kind != dost.CentreVideo {
		t.Errorf("kind %q %v, want video", kind, err)
	}
	u, err := sqlstore.NewUserService(db).FindUserByUsername(ctx, "nigar")
	if err != nil {
		t.Fatal(err)
	}
	if langs, _ := store.InterpreterLanguages(ctx, u.ID, dost.Today(db.Clock())); !slices.Equal(langs, []string{"sign"}) {
		t.Errorf("languages %v, want [sign]", langs)
	}
	certs, _ := store.FindInterpreterCertifications(ctx, u.ID)
	if len(certs) != 1 {
		t.Fatalf("certifications %v, want one", certs)
	}
	if err := run("video", "revoke", "--id", "987654"); err == nil {
		t.Error("revoke an unknown certification: no error")
	}
	if err := run("video", "revoke", "--id", strconv.FormatInt(certs[0].ID, 10)); err != nil || !strings.Contains(out.String(), "revoked") {
		t.Fatalf("revoke: %v %q", err, out.String())
	}
	if langs, _ := store.InterpreterLanguages(ctx, u.ID, dost.Today(db.Clock())); len(langs) != 0 {
		t.Errorf("languages after revoking %v, want none", langs)
	}
}
