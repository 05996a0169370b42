package crashtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dost-az/dost"
)

// diskSize is the size of the small filesystem TestDiskFull fills.
const diskSize = "32m"

// TestDiskFull runs a SQLite node with its database and files on a small
// tmpfs, fills the filesystem and checks that writes fail with a clear
// 503 problem+json (and a log line, no panic) while reads still work;
// that after space is freed writes work again without a restart; and
// that the database is sound (PRAGMA integrity_check), nothing
// acknowledged is lost and the audit chain verifies. It needs root (mount);
// without it, it is skipped.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: not in -short")
	}
	ctx := context.Background()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+diskSize, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("disk full: cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	// Registered first, so it runs last: after the node is killed.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	e := setup(t, "sqlite", filepath.Join(mnt, "dost.db"), filepath.Join(mnt, "data"))
	e.start(t, "")
	led := newLedger()
	kiosk := newClient(e.node.URL, "")
	cw := newClient(e.node.URL, "caseworker")
	db := e.openSQL(t)
	defer db.Close()
	persons, _, err := population(ctx, db)
	if err != nil {
		t.Fatal(err)
	}

	issue := func() (*response, error) {
		return kiosk.do(ctx, "POST", "/api/v1/tickets", dost.NewTicket{CentreID: centreID, ServiceCode: pensionServices[0], Language: "az"}, nil)
	}
	apply := func(key string) (*response, error) {
		return cw.do(ctx, "POST", "/api/v1/applications", map[string]any{"fin": persons[0], "service_code": applicationService},
			map[string]string{"Idempotency-Key": key})
	}
	// Some acknowledged writes before the disk fills.
	var token string
	var firstID int64
	for i := 0; i < 5; i++ {
		r, err := issue()
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("issue before the fill: %v %v", err, r)
		}
		tk, err := led.ackTicket(r)
		if err != nil {
			t.Fatalf("issue before the fill: %v", err)
		}
		var out struct {
			Token string `json:"token"`
		}
		if err := r.decode(&out); err != nil || out.Token == "" {
			t.Fatalf("issue before the fill: no token in %s", truncate(r.body, 200))
		}
		firstID, token = tk.ID, out.Token
		key := fmt.Sprintf("crash-full-before-%d", i)
		r, err = apply(key)
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("apply before the fill: %v %v", err, r)
		}
		if _, err := led.ackApplication(key, r); err != nil {
			t.Fatalf("apply before the fill: %v", err)
		}
	}

	// Fill the disk; keep writing until a write fails (the WAL may hold a
	// few more), and fill again what those freed.
	filler := filepath.Join(mnt, "filler")
	fill := func() {
		f, err := os.OpenFile(filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 64<<10)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill: %v", err)
				}
				return
			}
		}
	}
	fill()
	var failed *response
	var acceptedWhileFull int
	for i := 0; i < 200 && failed == nil; i++ {
		t0 := time.Now()
		r, err := issue()
		if err != nil {
			t.Fatalf("issue on a full disk: no answer after %s: %v", time.Since(t0), err)
		}
		switch {
		case r.status == http.StatusCreated:
			if _, err := led.ackTicket(r); err != nil {
				t.Fatalf("issue on a full disk: %v", err)
			}
			acceptedWhileFull++
			fill()
		case r.status >= 500:
			failed = r
		default:
			t.Fatalf("issue on a full disk: %d %s", r.status, r.body)
		}
	}
	if failed == nil {
		t.Fatal("200 tickets issued on a full disk: it never filled")
	}
	wantUnavailable(t, "write on a full disk", failed, nil)
	r, err := apply("crash-full-during")
	wantUnavailable(t, "application on a full disk", r, err)
	// Reads still work.
	for _, path := range []string{"/healthz", "/api/v1/centres/baku-3", fmt.Sprintf("/api/v1/tickets/%d?token=%s", firstID, token)} {
		if r, err := kiosk.do(ctx, "GET", path, nil, nil); err != nil || r.status != http.StatusOK {
			t.Errorf("GET %s on a full disk: %v %v, want 200", path, r, err)
		}
	}
	if r, err := cw.do(ctx, "GET", "/api/v1/applications?limit=5", nil, nil); err != nil || r.status != http.StatusOK {
		t.Errorf("GET applications on a full disk: %v %v, want 200", r, err)
	}
	if !e.node.Running() {
		t.Fatalf("the node died on a full disk: %v\n%s", e.node.Err(), e.node.Tail(4000))
	}
	logs := e.node.Tail(1 << 20)
	if !strings.Contains(logs, `"msg":"database unavailable"`) || !strings.Contains(logs, "disk is full") {
		t.Errorf("no clear log line for the full disk; stderr ends:\n%s", e.node.Tail(2000))
	}

	// Free the space: writes work again, without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	r, err = apply("crash-full-during")
	if err != nil || (r.status != http.StatusCreated && r.status != http.StatusOK) {
		t.Fatalf("application after freeing space: %v %v", r, err)
	}
	if _, err := led.ackApplication("crash-full-during", r); err != nil {
		t.Fatalf("application after freeing space: %v", err)
	}
	for i := 0; i < 5; i++ {
		r, err := issue()
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("issue after freeing space: %v %v", r, err)
		}
		if _, err := led.ackTicket(r); err != nil {
			t.Fatalf("issue after freeing space: %v", err)
		}
	}

	res, audit := e.verify(t, db, led.snapshot())
	t.Logf("disk full (%s tmpfs): %d tickets accepted after the fill before the first failure, then %d %s; reads 200; "+
		"after freeing space writes 201; integrity ok; %d acknowledged writes checked, %d duplicates; %s",
		diskSize, acceptedWhileFull, failed.status, truncate(failed.body, 200), res.checked, res.duplicates, audit)
}
