package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// feedbackNode returns a Main as a serve node sees it when it wires the
// hall: its own handle on the database at dsn (migrated by the first),
// its data directory dir and a logger writing to logs.
func feedbackNode(t *testing.T, dsn, dir string, logs io.Writer) *Main {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := NewMain(io.Discard, io.Discard)
	m.Config.Database, m.Config.DataDir, m.DB = dsn, dir, db
	m.logger = slog.New(slog.NewTextHandler(logs, nil))
	return m
}

// TestFeedbackKey: without DOST_FEEDBACK_KEY, three nodes on one database
// (each with a data directory of its own on PostgreSQL) sign the visitors'
// links with one key, which a restarted node keeps, and the sign-in's
// state cookie is derived from it; on SQLite a feedback.key left by an
// older dost is adopted, so its links survive the upgrade; with
// DOST_FEEDBACK_KEY set, it wins.
func TestFeedbackKey(t *testing.T) {
	t.Setenv("DOST_FEEDBACK_KEY", "") // not set (empty counts as unset)
	ctx := context.Background()
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			dsn, shared := dosttest.DSN(t, dialect), t.TempDir()
			dir := func() string {
				if dialect == sqlstore.DialectPostgres {
					return t.TempDir() // nodes on several machines
				}
				return shared
			}
			var keys [][]byte
			for range 3 {
				m := feedbackNode(t, dsn, dir(), io.Discard)
				key, err := m.feedbackKey(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := m.oidcCookieKey(); !bytes.Equal(got, key) {
					t.Errorf("oidc cookie key %x, want the feedback key %x", got, key)
				}
				keys = append(keys, key)
			}
			for i, k := range keys {
				if len(k) != 32 || !bytes.Equal(k, keys[0]) {
					t.Fatalf("node %d signs with %x, node 0 with %x; want one 32-byte key", i, k, keys[0])
				}
			}
			if _, err := os.Stat(filepath.Join(shared, feedbackKeyFile)); err == nil {
				t.Errorf("%s written; want the key in the database only", feedbackKeyFile)
			}
		})
	}

	t.Run("sqlite/AdoptsKeyFile", func(t *testing.T) {
		dsn, dir := dosttest.DSN(t, sqlstore.DialectSQLite), t.TempDir()
		old := bytes.Repeat([]byte{0xab}, 32)
		if err := os.WriteFile(filepath.Join(dir, feedbackKeyFile), []byte(hex.EncodeToString(old)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		key, err := feedbackNode(t, dsn, dir, io.Discard).feedbackKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(key, old) {
			t.Fatalf("with the file of an older dost: got %x, want its key %x", key, old)
		}
		// Removed after the upgrade: the database kept it.
		if err := os.Remove(filepath.Join(dir, feedbackKeyFile)); err != nil {
			t.Fatal(err)
		}
		if key, err = feedbackNode(t, dsn, dir, io.Discard).feedbackKey(ctx); err != nil || !bytes.Equal(key, old) {
			t.Fatalf("the file removed: got %x, %v; want %x", key, err, old)
		}
		// Another file: the database's key stays, with a warning.
		if err := os.WriteFile(filepath.Join(dir, feedbackKeyFile), []byte(strings.Repeat("cd", 32)), 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		if key, err = feedbackNode(t, dsn, dir, &logs).feedbackKey(ctx); err != nil || !bytes.Equal(key, old) {
			t.Fatalf("another file: got %x, %v; want the database's %x", key, err, old)
		}
		if !strings.Contains(logs.String(), "not the database's") {
			t.Errorf("another file: no warning in %q", logs.String())
		}
		// A damaged file stops the start rather than be ignored.
		if err := os.WriteFile(filepath.Join(dir, feedbackKeyFile), []byte("short"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := feedbackNode(t, dsn, dir, io.Discard).feedbackKey(ctx); err == nil || !strings.Contains(err.Error(), "remove it") {
			t.Fatalf("a damaged file: got %v, want an error saying to remove it", err)
		}
	})

	t.Run("EnvWins", func(t *testing.T) {
		m := feedbackNode(t, dosttest.DSN(t, sqlstore.DialectSQLite), t.TempDir(), io.Discard)
		t.Setenv("DOST_FEEDBACK_KEY", "an-operator-chosen-key-of-32-chars-or-more")
		key, err := m.feedbackKey(ctx)
		if err != nil || string(key) != "an-operator-chosen-key-of-32-chars-or-more" {
			t.Fatalf("got %q, %v; want DOST_FEEDBACK_KEY", key, err)
		}
		t.Setenv("DOST_FEEDBACK_KEY", "too-short")
		if _, err := m.feedbackKey(ctx); err == nil {
			t.Fatal("a short DOST_FEEDBACK_KEY: got nil, want an error")
		}
	})
}
