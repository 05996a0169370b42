package crashtest_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/crashtest"
	"github.com/dost-az/dost/internal/dosttest"
)

// failFast bounds how long a request may take while the database is away.
const failFast = 5 * time.Second

// TestDatabaseAway puts a TCP proxy between a node and PostgreSQL and cuts
// it: requests must fail fast with a 503 problem+json and /readyz must say
// not ready; once the proxy is restored the same node process must
// recover by itself, and nothing acknowledged may be lost.
func TestDatabaseAway(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: not in -short")
	}
	if os.Getenv(dosttest.PostgresEnv) == "" {
		t.Skipf("database away: PostgreSQL only; %s is not set", dosttest.PostgresEnv)
	}
	ctx := context.Background()
	e := setup(t, "postgres", "", "")
	u, err := url.Parse(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := crashtest.NewProxy(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	via := *u
	via.Host = proxy.Addr()
	e.start(t, via.String())
	pid := e.node.PID()

	led := newLedger()
	kiosk := newClient(e.node.URL, "")
	cw := newClient(e.node.URL, "caseworker")
	db := e.openSQL(t)
	defer db.Close()
	persons, _, err := population(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	issue := func() (*response, time.Duration, error) {
		t0 := time.Now()
		r, err := kiosk.do(ctx, "POST", "/api/v1/tickets", dost.NewTicket{CentreID: centreID, ServiceCode: pensionServices[0], Language: "az"}, nil)
		return r, time.Since(t0), err
	}
	apply := func(key string) (*response, time.Duration, error) {
		t0 := time.Now()
		r, err := cw.do(ctx, "POST", "/api/v1/applications", map[string]any{"fin": persons[1], "service_code": applicationService},
			map[string]string{"Idempotency-Key": key})
		return r, time.Since(t0), err
	}
	for i := 0; i < 5; i++ {
		r, _, err := issue()
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("issue before the cut: %v %v", r, err)
		}
		if _, err := led.ackTicket(r); err != nil {
			t.Fatalf("issue before the cut: %v", err)
		}
	}
	key := "crash-away-before"
	r, _, err := apply(key)
	if err != nil || r.status != http.StatusCreated {
		t.Fatalf("apply before the cut: %v %v", r, err)
	}
	if _, err := led.ackApplication(key, r); err != nil {
		t.Fatalf("apply before the cut: %v", err)
	}

	// Cut: every connection closed, new ones refused.
	proxy.Cut()
	cutAt := time.Now()
	var slowest time.Duration
	for i := 0; i < 5; i++ {
		r, took, err := issue()
		slowest = max(slowest, took)
		if err != nil {
			t.Fatalf("issue while the database is away: no answer after %s: %v", took, err)
		}
		wantUnavailable(t, "issue while the database is away", r, nil)
	}
	r, took, err := apply("crash-away-during")
	slowest = max(slowest, took)
	wantUnavailable(t, "application while the database is away", r, err)
	if slowest > failFast {
		t.Errorf("requests while the database is away took up to %s, want under %s", slowest, failFast)
	}
	rz, err := kiosk.do(ctx, "GET", "/readyz", nil, nil)
	if err != nil || rz.status != http.StatusServiceUnavailable || !strings.Contains(string(rz.body), "database unreachable") {
		t.Errorf("/readyz while the database is away: %v %v, want 503 not ready: database unreachable", rz, err)
	}
	if rh, err := kiosk.do(ctx, "GET", "/healthz", nil, nil); err != nil || rh.status != http.StatusOK {
		t.Errorf("/healthz while the database is away: %v %v, want 200", rh, err)
	}
	// Away for a few seconds, as a failover or a network cut would be.
	time.Sleep(3 * time.Second)
	away := time.Since(cutAt)

	// Restore: the same process recovers by itself.
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	restoredAt := time.Now()
	var ready time.Duration
	for {
		rz, err := kiosk.do(ctx, "GET", "/readyz", nil, nil)
		if err == nil && rz.status == http.StatusOK {
			ready = time.Since(restoredAt)
			break
		}
		if time.Since(restoredAt) > 30*time.Second {
			t.Fatalf("/readyz not 200 30 s after the database came back: %v %v\n%s", rz, err, e.node.Tail(3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var firstWrite time.Duration
	for {
		r, _, err := issue()
		if err == nil && r.status == http.StatusCreated {
			if _, err := led.ackTicket(r); err != nil {
				t.Fatalf("issue after the database came back: %v", err)
			}
			firstWrite = time.Since(restoredAt)
			break
		}
		if time.Since(restoredAt) > 30*time.Second {
			t.Fatalf("writes still failing 30 s after the database came back: %v %v\n%s", r, err, e.node.Tail(3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	r, _, err = apply("crash-away-during")
	if err != nil || (r.status != http.StatusCreated && r.status != http.StatusOK) {
		t.Fatalf("application after the database came back: %v %v", r, err)
	}
	if _, err := led.ackApplication("crash-away-during", r); err != nil {
		t.Fatalf("application after the database came back: %v", err)
	}
	if again, _, err := apply(key); err != nil || again.status != http.StatusOK {
		t.Errorf("the application before the cut, sent again: %v %v, want 200", again, err)
	} else if _, err := led.ackApplication(key, again); err != nil {
		t.Errorf("the application before the cut, sent again: %v, want the same application", err)
	}
	if got := e.node.PID(); got != pid || !e.node.Running() {
		t.Errorf("the node restarted (pid %d, then %d; running %v): it must recover by itself", pid, got, e.node.Running())
	}
	logs := e.node.Tail(1 << 20)
	if !strings.Contains(logs, `"msg":"database unavailable"`) {
		t.Errorf("no clear log line for the database away; stderr ends:\n%s", e.node.Tail(2000))
	}

	res, audit := e.verify(t, db, led.snapshot())
	t.Logf("database away %s: requests answered 503 within %s (slowest); /readyz 503; after the restore /readyz 200 in %s, "+
		"first write in %s, same process; %d acknowledged writes checked, %d duplicates; %s",
		away.Round(time.Millisecond), slowest.Round(time.Millisecond), ready.Round(time.Millisecond), firstWrite.Round(time.Millisecond),
		res.checked, res.duplicates, audit)
}
