package nodeproc_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dost-az/dost/internal/nodeproc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	nodeproc.RemoveShared()
	os.Exit(code)
}

// TestNode starts a real dost on a fresh SQLite file, kills it with
// SIGKILL, restarts it on the same address and stops it gracefully.
func TestNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dost")
	}
	ctx := context.Background()
	bin, err := nodeproc.SharedBinary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "dost.db")
	if _, err := nodeproc.Run(ctx, bin, "migrate", "--database", db, "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	n, err := nodeproc.Start(ctx, nodeproc.Options{
		Bin:  bin,
		Args: []string{"serve", "--database", db, "--data-dir", dir, "--jobs=false"},
		Dir:  dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	get := func() int {
		resp, err := http.Get(n.URL + "/healthz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(); got != 200 {
		t.Fatalf("healthz: %d", got)
	}
	addr := n.Addr()
	n.Kill()
	if n.Running() {
		t.Fatal("still running after Kill")
	}
	if got := get(); got != 0 {
		t.Fatalf("a killed node answered %d", got)
	}
	if err := n.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if n.Addr() != addr {
		t.Errorf("restarted on %s, was %s", n.Addr(), addr)
	}
	if got := get(); got != 200 {
		t.Fatalf("healthz after restart: %d", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "stderr-2.log")); err != nil {
		t.Errorf("second start's log: %v", err)
	}
	if err := n.Stop(15 * time.Second); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}
