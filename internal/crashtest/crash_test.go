package crashtest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost/internal/dosttest"
)

// KillsEnv names the environment variable that sets how many times
// TestCrash kills the node per database; the default, DefaultKills, keeps
// the test short enough for CI. The documented full run sets 20 or more.
const KillsEnv = "DOST_CRASH_KILLS"

// DefaultKills is TestCrash's number of kills per database without
// KillsEnv.
const DefaultKills = 5

func kills(t *testing.T) int {
	s := os.Getenv(KillsEnv)
	if s == "" {
		return DefaultKills
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a whole number, 1 or more", KillsEnv, s)
	}
	return n
}

// TestCrash runs dost under load (tickets, applications, life events,
// payroll cycles), kills it with SIGKILL at random moments and restarts
// it, on SQLite and on PostgreSQL. After each restart and at the end,
// every write the node acknowledged must be in the database, nothing may
// be duplicated, and at the end the audit chain must verify.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: not in -short")
	}
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) { testCrash(t, d) })
	}
}

func testCrash(t *testing.T, dialect string) {
	ctx := context.Background()
	began := time.Now()
	e := setup(t, dialect, "", "")
	e.start(t, "")
	db := e.openSQL(t)
	defer db.Close()
	persons, mothers, err := population(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	run := strings.ToUpper(hex.EncodeToString(b))

	led := newLedger()
	ld := &load{base: e.node.URL, led: led, persons: persons, mothers: mothers, run: run}
	if err := ld.signIn(ctx); err != nil {
		t.Fatal(err)
	}
	loadCtx, stop := context.WithCancel(ctx)
	wg := ld.start(loadCtx)
	defer func() { stop(); wg.Wait() }()

	n := kills(t)
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var down time.Duration
	checked := 0
	for k := 1; k <= n; k++ {
		// A random moment: 0.2 to 2 s into the node's life, so that kills
		// land during start-up, preparation, approval and steady load.
		time.Sleep(time.Duration(200+rng.IntN(1800)) * time.Millisecond)
		if !e.node.Running() {
			t.Fatalf("kill %d: the node died by itself: %v\n%s", k, e.node.Err(), e.node.Tail(4000))
		}
		e.node.Kill()
		t0 := time.Now()
		time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
		if err := e.node.Restart(ctx); err != nil {
			t.Fatalf("restart after kill %d: %v", k, err)
		}
		down += time.Since(t0)
		res, err := check(ctx, db, led.snapshot())
		if err != nil {
			t.Fatalf("check after kill %d: %v", k, err)
		}
		checked = res.checked
		if len(res.problems) > 0 {
			t.Fatalf("after kill %d: %d acknowledged writes checked, %d duplicates:\n%s", k, res.checked, res.duplicates, strings.Join(res.problems, "\n"))
		}
	}
	// The load goes on a moment on the last restart, then stops; the node
	// is killed once more, as a power cut would.
	time.Sleep(500 * time.Millisecond)
	stop()
	wg.Wait()
	e.node.Kill()

	// What the load made, for the summary (verify closes db).
	var awards, payments, notifications int
	for _, c := range []struct {
		n *int
		q string
	}{{&awards, "SELECT COUNT(*) FROM awards"}, {&payments, "SELECT COUNT(*) FROM payments"}, {&notifications, "SELECT COUNT(*) FROM notifications"}} {
		if err := db.QueryRowContext(ctx, c.q).Scan(c.n); err != nil {
			t.Fatal(err)
		}
	}
	snap := led.snapshot()
	res, audit := e.verify(t, db, snap)
	led.mu.Lock()
	failures := append([]string(nil), led.failures...)
	summary := fmt.Sprintf("%s: %d kills in %s (node down %s in all); %d acknowledged writes checked "+
		"(tickets %d, finished %d, applications %d, life events %d, cycles prepared %d, approved %d; checked %d after the kills); "+
		"in the database %d awards, %d payments, %d notifications; %d duplicates; %d life events stored but not yet processed; %d requests without answer, %d retried with the same key, %d answered 503, rejected %v; %s",
		e.dialect, n, time.Since(began).Round(time.Millisecond), down.Round(time.Millisecond), res.checked,
		len(snap.tickets), len(snap.finished), len(snap.applications), len(snap.events), len(snap.prepared), len(snap.approved), checked,
		awards, payments, notifications, res.duplicates, res.unprocessed, led.noAnswer, led.retries, led.unavailable, led.rejected, audit)
	led.mu.Unlock()
	t.Log(summary)
	t.Logf("requests without answer, e.g.:\n%s", strings.Join(led.samples, "\n"))
	if len(failures) > 0 {
		t.Errorf("%d answers broke a contract, e.g.:\n%s", len(failures), strings.Join(failures[:min(len(failures), 10)], "\n"))
	}
	// Approvals are not required: in a short run the first preparation,
	// cut by a kill, may still wait for River's rescuer (rescueAfter +
	// up to 30 s) when the run ends. The full run approves many.
	if len(snap.tickets) == 0 || len(snap.finished) == 0 || len(snap.applications) == 0 || len(snap.events) == 0 || len(snap.prepared) == 0 {
		t.Errorf("the load did too little to prove anything: %s", summary)
	}
}
