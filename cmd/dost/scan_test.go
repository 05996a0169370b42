package main_test

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/sqlstore"
)

// newMade returns the count of "N new awards and offers" in a scan's
// output; it fails the test unless the scan finished.
func newMade(t *testing.T, out string) int {
	t.Helper()
	if !regexp.MustCompile(`scan \d+ of \d{4}-\d{2}: finished; \d+ persons in \d+ households, \d+ shards`).MatchString(out) {
		t.Fatalf("no finished scan in the output:\n%s", out)
	}
	m := regexp.MustCompile(`(\d+) new awards and offers`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no count of new awards in the output:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestScan runs `dost scan` as an administrator would: in-process
// (--local) over a demo registry, then enqueued for a worker node and
// waited for.
func TestScan(t *testing.T) {
	t.Setenv("DOST_DATA_DIR", t.TempDir()) // uploads and files, never ./dost-data in the source tree
	db := filepath.Join(t.TempDir(), "dost.db")
	for _, args := range [][]string{{"migrate", "--database", db}, {"demo", "--persons", "300", "--database", db}} {
		if out, stderr, err := run(t, args...); err != nil {
			t.Fatalf("%s: %v\n%s\n%s", args[0], err, out, stderr)
		}
	}
	// A dry run counts the newly entitled and makes nothing; the scan
	// then makes exactly as many.
	out, stderr, err := run(t, "scan", "--local", "--dry-run", "--quiet", "--shard-size", "50", "--database", db)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, stderr)
	}
	m := regexp.MustCompile(`(\d+) newly entitled, 0 new awards and offers`).FindStringSubmatch(out)
	if newMade(t, out) != 0 || m == nil || m[1] == "0" || !strings.Contains(out, "dry run: nothing was awarded") {
		t.Fatalf("dry run:\n%s", out)
	}
	found, _ := strconv.Atoi(m[1])
	if _, _, err := run(t, "scan", "--dry-run", "--database", db); err == nil || !strings.Contains(err.Error(), "--dry-run needs --local") {
		t.Fatalf("enqueued dry run: got %v, want an error", err)
	}
	if _, _, err := run(t, "scan", "--base-url", "https://dost.example.az", "--database", db); err == nil || !strings.Contains(err.Error(), "--base-url needs --local") {
		t.Fatalf("enqueued scan with --base-url: got %v, want an error", err)
	}
	out, stderr, err = run(t, "scan", "--local", "--quiet", "--shard-size", "50", "--base-url", "https://dost.example.az", "--database", db)
	if err != nil {
		t.Fatalf("first scan: %v\n%s", err, stderr)
	}
	if n := newMade(t, out); n == 0 || n > found || !strings.Contains(out, "old_age_pension") {
		t.Fatalf("first scan made %d, the dry run found %d:\n%s", n, found, out)
	}
	// The offers' messages link to the portal's one-click confirmation.
	func() {
		sdb, err := sqlstore.Open(context.Background(), db, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer sdb.Close()
		ns, _, err := sqlstore.NewCaseStore(sdb).FindNotifications(context.Background(), dost.NotificationFilter{Topic: "offer.sent", Limit: 5})
		if err != nil || len(ns) == 0 {
			t.Fatalf("offer notifications: %d, %v; want some", len(ns), err)
		}
		for _, n := range ns {
			if !strings.Contains(n.Body, "https://dost.example.az/my/offers") {
				t.Errorf("offer %s: %q, want the link to /my/offers", n.MessageID, n.Body)
			}
		}
	}()
	out, stderr, err = run(t, "scan", "--local", "--quiet", "--shard-size", "50", "--database", db)
	if err != nil {
		t.Fatalf("second scan: %v\n%s", err, stderr)
	}
	if n := newMade(t, out); n != 0 {
		t.Fatalf("the second scan made %d:\n%s", n, out)
	}

	// A worker node takes the enqueued scan.
	var wout, wlogs bytes.Buffer
	w := main.NewMain(&wout, &wlogs)
	w.Worker = true
	if err := w.ParseFlags(context.Background(), []string{"--database", db, "--scan-shard-size", "50"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("worker: %v\n%s", err, wlogs.String())
	}
	defer w.Close()
	if w.HTTPServer != nil || !strings.Contains(wout.String(), "dost worker is running") {
		t.Fatalf("worker: server %v, output %q; want no HTTP server", w.HTTPServer, wout.String())
	}
	out, stderr, err = run(t, "scan", "--wait", "--quiet", "--database", db)
	if err != nil {
		t.Fatalf("enqueued scan: %v\n%s\nworker logs: %s", err, stderr, wlogs.String())
	}
	if n := newMade(t, out); n != 0 || !strings.Contains(out, "enqueued (job ") {
		t.Fatalf("enqueued scan:\n%s", out)
	}

	if _, _, err := run(t, "scan", "--period", "2026-13", "--database", db); err == nil || !strings.Contains(err.Error(), "not a month") {
		t.Fatalf("bad period: got %v, want an error", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.db")
	run(t, "migrate", "--database", empty)
	if _, _, err := run(t, "scan", "--local", "--database", empty); err == nil || !strings.Contains(err.Error(), "catalogue") {
		t.Fatalf("no catalogue: got %v, want an error naming it", err)
	}
}
