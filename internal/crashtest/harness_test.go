package crashtest_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/internal/nodeproc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	nodeproc.RemoveShared()
	os.Exit(code)
}

// BinEnv names the environment variable holding a dost binary to test
// instead of building ./cmd/dost (a release candidate, or a build shared
// by several runs).
const BinEnv = "DOST_CRASH_BIN"

// rescueAfter is the nodes' --jobs-rescue-after.
const rescueAfter = 20 * time.Second

// demoPersons is the size of the demo population the nodes are seeded
// with: enough mothers and applicants, quick to seed.
const demoPersons = 200

// Demo accounts (demo/demo.go) and the second payroll officer the setup
// adds, who approves what "payroll" prepared (four eyes).
const (
	approver         = "payroll2"
	approverPassword = "crash-payroll2-2026"
)

var passwords = map[string]string{
	"admin":      "demo-admin-2026",
	"operator":   "demo-operator-2026",
	"caseworker": "demo-caseworker-2026",
	"payroll":    "demo-payroll-2026",
	approver:     approverPassword,
}

// Demo hall: the operator's centre baku-3 and a counter of its pensions
// group "P" (demo/demo.go).
const (
	centreID  = 2
	counterID = 13
)

// pensionServices are services of queue group P, which counter 13 calls.
var pensionServices = []string{"05-01-01-00", "05-01-02-00", "05-01-03-00", "05-02-01-00"}

// applicationService is a service without required documents (a
// complaint), so that any person may apply.
const applicationService = "09-02-01-00"

// env is one database and the node over it.
type env struct {
	dialect string
	bin     string
	dsn     string // the node's database
	dataDir string
	node    *nodeproc.Node
}

// setup builds dost, creates a fresh database of the dialect at dsn (""
// for a new one from dosttest.DSN), migrates it, seeds the demo and the
// second payroll officer. It does not start the node.
func setup(t *testing.T, dialect, dsn, dataDir string) *env {
	t.Helper()
	ctx := context.Background()
	bin := os.Getenv(BinEnv)
	if bin == "" {
		var err error
		if bin, err = nodeproc.SharedBinary(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if dsn == "" {
		dsn = dosttest.DSN(t, dialect)
	}
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	e := &env{dialect: dialect, bin: bin, dsn: dsn, dataDir: dataDir}
	e.run(t, "migrate", "--database", dsn)
	e.run(t, "demo", "--database", dsn, "--persons", strconv.Itoa(demoPersons))
	t.Setenv("DOST_USER_PASSWORD", approverPassword)
	e.run(t, "user", "add", "--database", dsn, "--username", approver, "--name", "Second Payroll Officer", "--role", "payroll")
	return e
}

func (e *env) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := nodeproc.Run(context.Background(), e.bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// start starts `dost serve` over the env's database (or nodeDSN, when
// the node reaches it another way) and kills it when the test ends.
func (e *env) start(t *testing.T, nodeDSN string) {
	t.Helper()
	if nodeDSN == "" {
		nodeDSN = e.dsn
	}
	n, err := nodeproc.Start(context.Background(), nodeproc.Options{
		Bin:  e.bin,
		Args: []string{"serve", "--database", nodeDSN, "--data-dir", e.dataDir, "--public-rate", "0"},
		// A job of a killed node (a payroll preparation) stays "running"
		// until River's rescuer takes it for stuck: 20 s instead of the
		// production default's 10 min, so that it is retried within the
		// run.
		Env:  []string{"DOST_LOG_LEVEL=warn", "DOST_JOBS_RESCUE_AFTER=" + rescueAfter.String()},
		Dir:  t.TempDir(),
		Name: "dost-" + e.dialect,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.node = n
	t.Cleanup(n.Kill)
}

// panicked reports a Go panic or fatal error in any of the node's
// stderr files.
func (e *env) panicked(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.node.Dir(), "stderr*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, marker := range []string{"panic:", "fatal error:", "goroutine 1 ["} {
			if i := bytes.Index(b, []byte(marker)); i >= 0 {
				end := min(len(b), i+2000)
				return filepath.Base(f) + ": " + string(b[i:end])
			}
		}
	}
	return ""
}

// runOut runs a dost command and returns its output.
func runOut(e *env, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := nodeproc.Run(ctx, e.bin, args...)
	return string(out), err
}

// verify is how every crash test ends: it kills the node (as a power cut
// would; nothing if it is down already) and proves that the database is
// sound — on SQLite, PRAGMA integrity_check says "ok"; every write of s,
// the acknowledged ones, is there and nothing is duplicated (check); the
// audit chain verifies (dost audit verify) — and that the node never
// panicked. Each failure fails t. It closes db (db cannot be used after)
// and returns the check's result and audit verify's output, for the
// test's summary.
func (e *env) verify(t *testing.T, db *sql.DB, s snapshot) (checkResult, string) {
	t.Helper()
	ctx := context.Background()
	e.node.Kill()
	if e.dialect == "sqlite" {
		if ok, err := integrity(ctx, db); err != nil || ok != "ok" {
			t.Errorf("integrity_check: %q, %v", ok, err)
		}
	}
	res, err := check(ctx, db, s)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if len(res.problems) > 0 {
		t.Errorf("%d acknowledged writes checked, %d duplicates:\n%s", res.checked, res.duplicates, strings.Join(res.problems, "\n"))
	}
	db.Close()
	audit, err := runOut(e, "audit", "verify", "--database", e.dsn)
	if err != nil {
		t.Errorf("audit verify: %v\n%s", err, audit)
	}
	if p := e.panicked(t); p != "" {
		t.Errorf("the node panicked: %s", p)
	}
	return res, strings.TrimSpace(audit)
}

// client is one signed-in user of the API.
type client struct {
	base     string
	user     string
	http     *http.Client
	signedIn bool
}

func newClient(base, user string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: base, user: user, http: &http.Client{Jar: jar, Timeout: 15 * time.Second}}
}

// errNoAnswer is a request that got no HTTP answer (the node was down or
// died during it): whether it took effect is unknown.
var errNoAnswer = errors.New("no answer")

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

func (r *response) decode(v any) error { return json.Unmarshal(r.body, v) }

// do sends one request; a nil body sends none. It signs in first when
// the client is not signed in. errNoAnswer wraps transport errors.
func (c *client) do(ctx context.Context, method, path string, body any, header map[string]string) (*response, error) {
	if c.user != "" && !c.signedIn {
		if err := c.signIn(ctx); err != nil {
			return nil, err
		}
	}
	return c.send(ctx, method, path, body, header)
}

func (c *client) send(ctx context.Context, method, path string, body any, header map[string]string) (*response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v", errNoAnswer, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: read: %v", errNoAnswer, method, path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (c *client) signIn(ctx context.Context) error {
	r, err := c.send(ctx, "POST", "/api/v1/session", map[string]string{"username": c.user, "password": passwords[c.user]}, nil)
	if err != nil {
		return err
	}
	if r.status != http.StatusCreated {
		return fmt.Errorf("%w: sign in %s: %d %s", errNoAnswer, c.user, r.status, r.body)
	}
	c.signedIn = true
	return nil
}

// ledger records every write the server acknowledged (answered 2xx) and
// what the load saw otherwise. It is safe for concurrent use.
type ledger struct {
	mu sync.Mutex // mu guards everything below
	// tickets maps acknowledged issued tickets' IDs to their numbers.
	tickets map[int64]string
	// finished are tickets whose finish was acknowledged.
	finished map[int64]bool
	// applications maps acknowledged Idempotency-Keys to applications.
	applications map[string]int64
	// events maps acknowledged life events' IDs to the child's FIN.
	events map[string]string
	// prepared and approved are acknowledged payroll cycles.
	prepared, approved map[int64]bool
	// noAnswer counts requests without an answer; retries those retried
	// with the same key or ID; rejected 4xx answers by kind; unavailable
	// 503 answers.
	noAnswer, retries, unavailable int
	rejected                       map[string]int
	// samples are a few requests without answer, for the log.
	samples []string
	// failures are answers that break a contract (a 500, a lost session).
	failures []string
}

func newLedger() *ledger {
	return &ledger{tickets: map[int64]string{}, finished: map[int64]bool{}, applications: map[string]int64{},
		events: map[string]string{}, prepared: map[int64]bool{}, approved: map[int64]bool{}, rejected: map[string]int{}}
}

// writes is the number of acknowledged writes.
func (l *ledger) writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tickets) + len(l.finished) + len(l.applications) + len(l.events) + len(l.prepared) + len(l.approved)
}

// note records an answer that was not a success: no answer, 503, a 4xx
// (rejected, by kind) or anything else (a failure).
func (l *ledger) note(kind string, r *response, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil && errors.Is(err, errNoAnswer):
		l.noAnswer++
		if len(l.samples) < 8 {
			l.samples = append(l.samples, fmt.Sprintf("%s: %v", kind, err))
		}
	case err != nil:
		l.failures = append(l.failures, fmt.Sprintf("%s: %v", kind, err))
	case r.status == http.StatusServiceUnavailable:
		l.unavailable++
	case r.status >= 400 && r.status < 500:
		k := fmt.Sprintf("%s %d", kind, r.status)
		if l.rejected[k] == 0 && len(l.samples) < 12 {
			l.samples = append(l.samples, fmt.Sprintf("%s: %s", k, truncate(r.body, 300)))
		}
		l.rejected[k]++
	default:
		l.failures = append(l.failures, fmt.Sprintf("%s: %d %s", kind, r.status, truncate(r.body, 300)))
	}
}

// ackTicket records the ticket a 201 answer to an issue acknowledged.
// An answer without a ticket is an error, and records nothing.
func (l *ledger) ackTicket(r *response) (dost.Ticket, error) {
	var tk dost.Ticket
	if err := r.decode(&tk); err != nil || tk.ID == 0 {
		return tk, fmt.Errorf("ticket: bad answer %s", truncate(r.body, 200))
	}
	l.mu.Lock()
	l.tickets[tk.ID] = tk.Number
	l.mu.Unlock()
	return tk, nil
}

// ackApplication records the application a 2xx answer to a submission
// with the Idempotency-Key key acknowledged. An answer without an
// application is an error, and records nothing; so is a key acknowledged
// before with another application (the key then holds the new one).
func (l *ledger) ackApplication(key string, r *response) (dost.Application, error) {
	var a dost.Application
	if err := r.decode(&a); err != nil || a.ID == 0 {
		return a, fmt.Errorf("application: bad answer %s", truncate(r.body, 200))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, ok := l.applications[key]
	l.applications[key] = a.ID
	if ok && prev != a.ID {
		return a, fmt.Errorf("application key %s answered %d, then %d", key, prev, a.ID)
	}
	return a, nil
}

func (l *ledger) fail(format string, args ...any) {
	l.mu.Lock()
	l.failures = append(l.failures, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// snapshot is a copy of the ledger's acknowledged writes.
type snapshot struct {
	tickets            map[int64]string
	finished           map[int64]bool
	applications       map[string]int64
	events             map[string]string
	prepared, approved map[int64]bool
}

func (l *ledger) snapshot() snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := snapshot{tickets: map[int64]string{}, finished: map[int64]bool{}, applications: map[string]int64{},
		events: map[string]string{}, prepared: map[int64]bool{}, approved: map[int64]bool{}}
	for k, v := range l.tickets {
		s.tickets[k] = v
	}
	for k, v := range l.finished {
		s.finished[k] = v
	}
	for k, v := range l.applications {
		s.applications[k] = v
	}
	for k, v := range l.events {
		s.events[k] = v
	}
	for k, v := range l.prepared {
		s.prepared[k] = v
	}
	for k, v := range l.approved {
		s.approved[k] = v
	}
	return s
}

// sleepCtx sleeps d or until ctx ends; it reports whether ctx is alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// wantUnavailable fails t unless the answer r (err: none) refuses a
// request for want of the database or the disk: 503, problem+json code
// "unavailable", with Retry-After.
func wantUnavailable(t *testing.T, what string, r *response, err error) {
	t.Helper()
	const want = "want 503 problem+json code unavailable with Retry-After"
	if err != nil {
		t.Errorf("%s: %v, %s", what, err, want)
		return
	}
	if r.status != http.StatusServiceUnavailable || !isProblem(r, "unavailable") || r.header.Get("Retry-After") == "" {
		t.Errorf("%s: got %d %s %q (Retry-After %q), %s",
			what, r.status, r.header.Get("Content-Type"), truncate(r.body, 500), r.header.Get("Retry-After"), want)
	}
}

// isProblem reports whether r is an RFC 9457 document with the code.
func isProblem(r *response, code string) bool {
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		return false
	}
	var p struct {
		Code string `json:"code"`
	}
	return r.decode(&p) == nil && p.Code == code
}
