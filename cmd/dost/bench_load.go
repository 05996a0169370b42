package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/nodeproc"
	"github.com/dost-az/dost/loadgen"
	"github.com/dost-az/dost/sqlstore"
)

// benchLoadOptions are the flags of "dost bench load".
type benchLoadOptions struct {
	database    string
	targets     string
	nodes       int
	reset       bool
	duration    time.Duration
	visitRate   float64
	portalRate  float64
	eventRate   float64
	payroll     bool
	awards      int
	persons     int
	citizens    int
	seed        uint64
	serviceTime time.Duration
	maxInFlight int
	profileDir  string
	report      string
	bin         string
}

// runBenchLoad handles "dost bench load": a day in the DOST network
// scaled up (package loadgen) against dost nodes, reporting throughput
// and p50 / p99 / max latency per endpoint.
//
// Without --targets it starts its own nodes: --nodes `dost serve`
// processes of its own executable on loopback ports, on the PostgreSQL
// database of --database (migrated first; --reset empties it before),
// or one node on a fresh SQLite file when no database is given. With
// --targets it drives nodes already running on the database of
// --database, which it seeds with the accounts it acts as (their public
// routes must not be rate-limited: --public-rate 0). Either way it seeds
// the demo, the population and the load's accounts first, and inserts
// the awards the payroll cycle pays (when the database has none).
//
// With --cpuprofile-dir it takes each node's CPU profile over the run's
// middle half (the nodes it starts get --pprof-addr; --targets nodes
// must have been started with it, the profiles are then not taken) and
// writes node-N.pprof and node-N.top.txt (go tool pprof -top) there.
//
// A run with a 5xx answer, an unexpected status or a request without
// an answer fails: the report is printed and the command exits non-zero.
func runBenchLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o benchLoadOptions
	fs := newFlagSet("dost bench load", stderr)
	fs.StringVar(&o.database, "database", "", "PostgreSQL database of the nodes (postgres://…); default: one node on a fresh SQLite file")
	fs.StringVar(&o.targets, "targets", "", "drive these running nodes (base URLs, comma-separated, round robin) instead of starting nodes; needs --database, theirs, to seed")
	fs.IntVar(&o.nodes, "nodes", 1, "nodes to start on --database (more than 1 needs PostgreSQL)")
	fs.BoolVar(&o.reset, "reset", false, "empty the PostgreSQL database first (DROP SCHEMA public CASCADE): for a bench database only")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "how long visitors arrive")
	fs.Float64Var(&o.visitRate, "load-rate", 20, "visits per second over all centres (kiosk ticket, call-next, start, finish)")
	fs.Float64Var(&o.portalRate, "portal-rate", 20, "citizens' portal reads per second (/api/v1/me/…, /my pages)")
	fs.Float64Var(&o.eventRate, "event-rate", 2, "life events per second (births, deaths, the date change, events sent again)")
	fs.BoolVar(&o.payroll, "payroll", true, "prepare and approve a payroll cycle during the run")
	fs.IntVar(&o.awards, "payroll-awards", 5000, "awards the payroll cycle pays (inserted when the database has none)")
	fs.IntVar(&o.persons, "persons", 20000, "size of the population (imported into an empty registry)")
	fs.IntVar(&o.citizens, "citizens", 300, "citizens with a portal session")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the run's draws (visits, citizens, events)")
	fs.DurationVar(&o.serviceTime, "service-time", 0, "operator's time between start and finish")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 512, "open-loop requests in flight at most; arrivals past it are dropped and counted")
	fs.StringVar(&o.profileDir, "cpuprofile-dir", "", "take each node's CPU profile over the run's middle half into this directory, with a top-25 text beside it")
	fs.StringVar(&o.report, "report", "", "also write the report (Markdown) to this file")
	fs.StringVar(&o.bin, "bin", "", "dost executable to start the nodes from (default: this one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	postgres := strings.HasPrefix(o.database, "postgres://") || strings.HasPrefix(o.database, "postgresql://")
	switch {
	case o.targets != "" && o.database == "":
		return errors.New("dost bench load: --targets needs --database, the targets' database, to seed the accounts the load acts as")
	case o.targets == "" && o.nodes > 1 && !postgres:
		return errors.New("dost bench load: more than one node needs a PostgreSQL --database")
	case o.nodes < 1 || o.duration <= 0:
		return errors.New("dost bench load: --nodes and --duration must be positive")
	}
	tmp, err := os.MkdirTemp("", "dost-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dsn := o.database
	if dsn == "" {
		dsn = filepath.Join(tmp, "load.db")
	}
	bin := o.bin
	if bin == "" {
		if bin, err = nodeproc.Executable(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "# dost bench load, %s, %s\n", time.Now().UTC().Format(time.RFC3339), machine())
	fmt.Fprintf(stdout, "command: dost bench load %s\n", strings.Join(redactArgs(args), " "))

	// The database: emptied, migrated, seeded.
	if o.reset && postgres && o.targets == "" {
		if err := resetSchema(ctx, dsn); err != nil {
			return err
		}
	}
	if o.targets == "" {
		if _, err := nodeproc.Run(ctx, bin, "migrate", "--database", dsn); err != nil {
			return err
		}
	}
	setup := time.Now()
	creds, awards, err := seedLoad(ctx, dsn, o)
	if err != nil {
		return fmt.Errorf("dost bench load: seed: %w", err)
	}
	fmt.Fprintf(stdout, "seeded in %s: %d centres, %d counters, %d citizens with sessions, %d awards to pay, on %s\n",
		time.Since(setup).Round(time.Millisecond), len(creds.Centres), countCounters(creds), len(creds.Citizens), awards, dbKind(postgres))

	// The nodes.
	var targets []string
	var nodes []*nodeproc.Node
	var pprofURLs []string
	if o.targets != "" {
		for _, t := range strings.Split(o.targets, ",") {
			if t = strings.TrimRight(strings.TrimSpace(t), "/"); t != "" {
				targets = append(targets, t)
			}
		}
	} else {
		defer func() {
			for _, n := range nodes {
				n.Stop(15 * time.Second)
			}
		}()
		// The key of the tickets' links, the same on every node: a
		// visitor's ticket page is read from any node.
		key := make([]byte, 32)
		crand.Read(key)
		env := []string{"DOST_FEEDBACK_KEY=" + hex.EncodeToString(key)}
		for i := range o.nodes {
			dir := filepath.Join(tmp, fmt.Sprintf("node-%d", i+1))
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return err
			}
			a := []string{"serve", "--database", dsn, "--data-dir", dir, "--public-rate", "0"}
			if o.profileDir != "" {
				a = append(a, "--pprof-addr", "127.0.0.1:0")
			}
			n, err := nodeproc.Start(ctx, nodeproc.Options{Bin: bin, Args: a, Env: env, Dir: dir, Name: fmt.Sprintf("node %d", i+1)})
			if err != nil {
				return err
			}
			nodes = append(nodes, n)
			targets = append(targets, n.URL)
			if o.profileDir != "" {
				u, err := pprofURL(dir)
				if err != nil {
					return err
				}
				pprofURLs = append(pprofURLs, u)
			}
		}
	}
	fmt.Fprintf(stdout, "load: %s against %s; load average before %s\n", o.duration, strings.Join(targets, " "), nodeproc.LoadAverage())

	// The run, with the profiles of its middle half.
	var profiles sync.WaitGroup
	profileErrs := make([]error, len(pprofURLs))
	sc := loadgen.Scenario{Targets: targets, Duration: o.duration, VisitRate: o.visitRate, PortalRate: o.portalRate,
		EventRate: o.eventRate, Payroll: o.payroll, ServiceTime: o.serviceTime, Seed: o.seed, MaxInFlight: o.maxInFlight,
		Creds: creds, Progress: stdout}
	if len(pprofURLs) > 0 {
		if err := os.MkdirAll(o.profileDir, 0o750); err != nil {
			return err
		}
		sc.Window = func(d time.Duration) {
			for i, u := range pprofURLs {
				profiles.Add(1)
				go func() {
					defer profiles.Done()
					profileErrs[i] = fetchProfile(ctx, u, d, filepath.Join(o.profileDir, fmt.Sprintf("node-%d.pprof", i+1)))
				}()
			}
		}
	}
	cpu0, wait0 := nodesCPU(nodes)
	self0 := selfCPU()
	res, err := loadgen.Run(ctx, sc)
	if err != nil {
		return err
	}
	cpu1, wait1 := nodesCPU(nodes)
	self1 := selfCPU()
	profiles.Wait()

	var rep bytes.Buffer
	fmt.Fprintf(&rep, "\n## dost bench load: %d node(s) on %s, %s, %s\n\n", len(targets), dbKind(postgres), o.duration,
		time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&rep, "machine: %s; load average after the run %s\n\n", machine(), nodeproc.LoadAverage())
	loadgen.Report(&rep, res)
	if len(nodes) > 0 {
		fmt.Fprintf(&rep, "CPU: ")
		for i := range nodes {
			fmt.Fprintf(&rep, "node %d ran %.1f s (%.0f %% of a core) and waited %.1f s for a CPU; ", i+1, cpu1[i]-cpu0[i],
				100*(cpu1[i]-cpu0[i])/res.Elapsed.Seconds(), wait1[i]-wait0[i])
		}
		fmt.Fprintf(&rep, "the generator %.1f s (%.0f %%)\n", self1-self0, 100*(self1-self0)/res.Elapsed.Seconds())
	}
	for i, err := range profileErrs {
		if err != nil {
			fmt.Fprintf(&rep, "node %d: CPU profile: %v\n", i+1, err)
			continue
		}
		file := filepath.Join(o.profileDir, fmt.Sprintf("node-%d.pprof", i+1))
		top, err := pprofTop(ctx, bin, file)
		if err != nil {
			fmt.Fprintf(&rep, "node %d: %s written; go tool pprof -top failed: %v\n", i+1, file, err)
			continue
		}
		os.WriteFile(strings.TrimSuffix(file, ".pprof")+".top.txt", []byte(top), 0o644)
		fmt.Fprintf(&rep, "\nnode %d: CPU profile of the middle %s: %s; top functions (go tool pprof -top):\n\n```\n%s```\n",
			i+1, o.duration/2, file, top)
	}
	stdout.Write(rep.Bytes())
	if o.report != "" {
		if err := os.WriteFile(o.report, rep.Bytes(), 0o644); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if !n.Running() {
			return fmt.Errorf("dost bench load: %s died during the run: %v\n%s", n.Dir(), n.Err(), n.Tail(2000))
		}
	}
	if res.Failed() {
		return fmt.Errorf("dost bench load: the run failed: %s", strings.Join(res.Failures, "; "))
	}
	return nil
}

// seedLoad seeds the database for the load (loadgen.Seed) and inserts
// the payroll's awards when it has none; it returns the credentials and
// the number of awards the database holds.
func seedLoad(ctx context.Context, dsn string, o benchLoadOptions) (*loadgen.Credentials, int, error) {
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	today := dost.DateOf(time.Now().In(dost.Baku))
	creds, err := loadgen.Seed(ctx, db, loadgen.SeedOptions{Persons: o.persons, Citizens: o.citizens, Deceased: 5000, Today: today})
	if err != nil {
		return nil, 0, err
	}
	var n int
	if err := db.WriterDB().QueryRowContext(ctx, `SELECT count(*) FROM awards`).Scan(&n); err != nil {
		return nil, 0, err
	}
	if n == 0 && o.payroll && o.awards > 0 {
		monthly, oneOff, err := payrollFixture(ctx, db, dost.MonthOf(today), o.awards, runtime.NumCPU())
		if err != nil {
			return nil, 0, fmt.Errorf("awards: %w", err)
		}
		n = monthly + oneOff
	}
	return creds, n, nil
}

// resetSchema empties a PostgreSQL database: its schema public dropped
// and made again.
func resetSchema(ctx context.Context, dsn string) error {
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.WriterDB().ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	if err != nil {
		return fmt.Errorf("reset %s: %w", redactDSN(dsn), err)
	}
	return nil
}

var pprofRE = regexp.MustCompile(`dost pprof is on (http://\S+)/debug/pprof/`)

// pprofURL reads a node's pprof address from its stdout.log.
func pprofURL(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "stdout.log"))
	if err != nil {
		return "", err
	}
	m := pprofRE.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("the node in %s printed no pprof address", dir)
	}
	return string(m[1]), nil
}

// fetchProfile takes a CPU profile of d from a node's pprof server.
func fetchProfile(ctx context.Context, base string, d time.Duration, file string) error {
	secs := max(int(d/time.Second), 1)
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: d + 30*time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pprofTop runs `go tool pprof -top` on a profile of bin: the top 25
// functions by their own time (flat), then by the time in them and what
// they call (-cum), which names the handlers and queries the time goes
// to.
func pprofTop(ctx context.Context, bin, file string) (string, error) {
	var out bytes.Buffer
	for _, args := range [][]string{{"-top"}, {"-top", "-cum"}} {
		cmd := exec.CommandContext(ctx, "go", append(append([]string{"tool", "pprof"}, args...), "-nodecount=25", bin, file)...)
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("%w: %s", err, errb.String())
		}
	}
	return out.String(), nil
}

// nodesCPU returns, for each node, the CPU time its threads ran and the
// time they waited, runnable, for a CPU (the kernel's run queue), in
// seconds so far, from /proc/PID/task/*/schedstat (0 where unreadable).
// A node that waits for a CPU about as long as it runs is starved by the
// machine, not slow by itself.
func nodesCPU(nodes []*nodeproc.Node) (run, wait []float64) {
	run, wait = make([]float64, len(nodes)), make([]float64, len(nodes))
	for i, n := range nodes {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", n.PID()))
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			f := strings.Fields(string(b))
			if len(f) < 2 {
				continue
			}
			r, _ := strconv.ParseFloat(f[0], 64)
			w, _ := strconv.ParseFloat(f[1], 64)
			run[i] += r / 1e9
			wait[i] += w / 1e9
		}
	}
	return run, wait
}

// selfCPU returns this process's CPU time so far, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// machine describes this machine: CPUs, their model, memory.
func machine() string {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					model = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}

func dbKind(postgres bool) string {
	if postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

func countCounters(c *loadgen.Credentials) int {
	n := 0
	for _, x := range c.Centres {
		n += len(x.Counters)
	}
	return n
}

// redactArgs hides the password of database URLs among args.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.Contains(a, "://") {
			a = redactDSN(a)
		}
		out[i] = a
	}
	return out
}
