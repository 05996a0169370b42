package multinode_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/internal/nodeproc"
	"github.com/dost-az/dost/sqlstore"
)

// Sizes and timings of the job tests. The population is small, the shards
// smaller still, so that a scan and a payroll make many shards (some 60
// and 150) for three nodes to share, and take long enough for a node to
// be killed mid-way.
const (
	jobsPersons      = 2000
	scanShardSize    = 50
	payrollShardSize = 40
	// rescueAfter is --jobs-rescue-after of the nodes that are killed:
	// the jobs of a dead node come back after it (within River's rescuer
	// round, 30 s, or at once when a new leader starts its rescuer); the
	// scan and payroll jobs' time limit is half of it.
	rescueAfter = 10 * time.Second
	// phaseTimeout bounds a scan's or a payroll's preparation, a node's
	// death included.
	phaseTimeout = 2 * time.Minute
)

// jobsOptions are the nodes' options in the job tests, the single node's
// of the reference run included: the default time limits (5 min), so
// that no shard is cut off and retried on a busy machine (a retried
// shard's summary counts what its first attempt made as the scan's, by
// the scan_tasks it recorded: TestKillMidScanAndPayroll proves it).
var jobsOptions = nodeOptions{ScanShardSize: scanShardSize, PayrollShardSize: payrollShardSize}

// killOptions are the options of the nodes TestKillMidScanAndPayroll
// kills: jobsOptions with a rescue time of seconds.
var killOptions = nodeOptions{ScanShardSize: scanShardSize, PayrollShardSize: payrollShardSize, RescueAfter: rescueAfter}

// seeded is the shared fixture of the job tests: a database migrated by
// `dost migrate`, with the demo and a population of jobsPersons loaded
// through sqlstore, which each test copies (CREATE DATABASE … TEMPLATE:
// the same rows with the same IDs), and the month they scan and pay.
type seeded struct {
	base   string // the template database's name
	period dost.Month
}

// reference is the result of a single node's scan and payroll on another
// copy of the seeded database, built in the background while the tests
// run theirs.
type reference struct {
	result result
	// scanTook and payrollTook are the single node's times.
	scanTook, payrollTook time.Duration
	shards                [2]int // scan shards, payroll shards
}

var (
	seedOnce sync.Once
	seed     *seeded
	seedErr  error
	// refDone is closed when ref or refErr is set; nil until the
	// reference run starts.
	refDone chan struct{}
	ref     *reference
	refErr  error
	// sharedDBs are the databases of the fixture, dropped by TestMain.
	sharedMu  sync.Mutex
	sharedDBs []string
)

// dropShared waits for the reference run, if it started, and drops the
// fixture's databases.
func dropShared() {
	if refDone != nil {
		<-refDone
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for _, name := range sharedDBs {
		if err := dropDB(name); err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
		}
	}
	sharedDBs = nil
}

// createShared creates a database of the fixture (see createDB).
func createShared(template string) (name, dsn string, err error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	name, dsn, err = createDB(template)
	if err == nil {
		sharedDBs = append(sharedDBs, name)
	}
	return name, dsn, err
}

// jobsSeeded returns the seeded database, seeding it on first use and
// then starting the reference run in the background.
func jobsSeeded(t *testing.T, bin string) *seeded {
	t.Helper()
	seedOnce.Do(func() {
		start := time.Now()
		seed, seedErr = seedBase(bin)
		if seedErr != nil {
			return
		}
		t.Logf("seeded a database of %d persons in %s", jobsPersons, time.Since(start).Round(time.Millisecond))
		refDone = make(chan struct{})
		go func() {
			defer close(refDone)
			ref, refErr = runReference(bin, seed)
		}()
	})
	if seedErr != nil {
		t.Fatalf("seed: %v", seedErr)
	}
	return seed
}

// jobsReference waits for the reference run.
func jobsReference(t *testing.T) *reference {
	t.Helper()
	<-refDone
	if refErr != nil {
		t.Fatalf("the single node's reference run: %v", refErr)
	}
	return ref
}

// seedBase makes the template database.
func seedBase(bin string) (*seeded, error) {
	ctx := context.Background()
	s := &seeded{period: dost.MonthOf(dost.Today(dost.SystemClock{}))}
	name, dsn, err := createShared("")
	if err != nil {
		return nil, err
	}
	s.base = name
	if _, err := nodeproc.Run(ctx, bin, "migrate", "--database", dsn); err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		return nil, err
	}
	_, err = demo.Seed(ctx, demo.Stores{
		Catalogue: sqlstore.NewCatalogueService(db), Centres: sqlstore.NewCentreService(db), Users: sqlstore.NewUserService(db),
		Importer: sqlstore.NewRegistryImporter(db), Persons: sqlstore.NewPersonService(db), Training: sqlstore.NewTrainingStore(db),
		Hall: sqlstore.NewHallStore(db),
	}, demo.Options{Persons: jobsPersons, Seed: 1, Today: dost.Today(dost.SystemClock{})})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return s, err
}

// runReference runs the reference: one node works the scan and the
// payroll of the month on a copy of the seeded database.
func runReference(bin string, s *seeded) (*reference, error) {
	ctx := context.Background()
	r := &reference{}
	_, refDSN, err := createShared(s.base)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dost-multinode-ref-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	c, err := startNodes(bin, refDSN, dir, []string{"single"}, jobsOptions)
	if err != nil {
		return nil, err
	}
	defer c.kill(false, nil)
	fail := func(err error) error {
		return fmt.Errorf("%w\nsingle node's log, last lines:\n%s", err, c.nodes[0].Tail(3000))
	}
	q, err := sql.Open("pgx", refDSN)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	if err := awaitStartupJobs(ctx, q); err != nil {
		return nil, fail(err)
	}
	t0 := time.Now()
	scanID, err := runScan(ctx, bin, q, refDSN, s.period)
	if err != nil {
		return nil, fail(err)
	}
	r.scanTook = time.Since(t0)
	t0 = time.Now()
	cycleID, err := runPayroll(ctx, bin, q, refDSN, s.period)
	if err != nil {
		return nil, fail(err)
	}
	r.payrollTook = time.Since(t0)
	if r.result, err = resultOf(ctx, q, scanID, cycleID); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT (SELECT shards_total FROM scans WHERE id = $1), (SELECT shards_total FROM payroll_cycles WHERE id = $2)`,
		scanID, cycleID).Scan(&r.shards[0], &r.shards[1]); err != nil {
		return nil, err
	}
	if r.shards[0] < 20 || r.shards[1] < 20 {
		return nil, fmt.Errorf("the scan has %d shards and the payroll %d: too few for three nodes to share", r.shards[0], r.shards[1])
	}
	if len(r.result.rows["awards"]) == 0 || len(r.result.rows["payments"]) == 0 {
		return nil, fmt.Errorf("the reference made %d awards and %d payments: nothing to compare", len(r.result.rows["awards"]), len(r.result.rows["payments"]))
	}
	return r, nil
}

// awaitStartupJobs waits until the jobs a leader runs at its start that
// may change what a scan finds (the date change: pensions from today)
// have run, so that a scan meets the same registry on every database.
func awaitStartupJobs(ctx context.Context, q *sql.DB) error {
	return poll(ctx, time.Minute, "the date_tick job to complete", func() (bool, error) {
		var n int
		err := q.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'date_tick' AND state = 'completed'`).Scan(&n)
		return n > 0, err
	})
}

// poll calls done every 20 ms until it reports true, fails, or within
// passes (an error naming what).
func poll(ctx context.Context, within time.Duration, what string, done func() (bool, error)) error {
	deadline := time.Now().Add(within)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s", within, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

var (
	scanJobRE = regexp.MustCompile(`enqueued \(job (\d+)\)`)
	payrollRE = regexp.MustCompile(`payroll cycle (\d+) .* is preparing`)
)

// enqueueScan enqueues the scan of period with `dost scan` (for the nodes
// that work jobs) and returns its coordinator job's ID.
func enqueueScan(ctx context.Context, bin, dsn string, period dost.Month) (int64, error) {
	out, err := nodeproc.Run(ctx, bin, "scan", "--database", dsn, "--period", period.String())
	if err != nil {
		return 0, err
	}
	m := scanJobRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("dost scan said %q", out)
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

// awaitScan waits for the scan of coordinator job jobID to finish and
// returns its ID.
func awaitScan(ctx context.Context, q *sql.DB, jobID int64) (int64, error) {
	var id int64
	err := poll(ctx, phaseTimeout, fmt.Sprintf("the scan of job %d to finish", jobID), func() (bool, error) {
		var status, reason string
		err := q.QueryRowContext(ctx, `SELECT id, status, error FROM scans WHERE job_id = $1`, jobID).Scan(&id, &status, &reason)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return false, nil
		case err != nil:
			return false, err
		case status == sqlstore.ScanFailed:
			return false, fmt.Errorf("scan %d failed: %s", id, reason)
		}
		return status == sqlstore.ScanFinished, nil
	})
	return id, err
}

// runScan enqueues the scan of period and waits for it.
func runScan(ctx context.Context, bin string, q *sql.DB, dsn string, period dost.Month) (int64, error) {
	jobID, err := enqueueScan(ctx, bin, dsn, period)
	if err != nil {
		return 0, err
	}
	return awaitScan(ctx, q, jobID)
}

// enqueuePayroll prepares the payroll cycle of period (every programme)
// with `dost payroll prepare` as the demo's payroll officer, for the
// nodes that work jobs, and returns the cycle's ID.
func enqueuePayroll(ctx context.Context, bin, dsn string, period dost.Month) (int64, error) {
	out, err := nodeproc.Run(ctx, bin, "payroll", "prepare", "--database", dsn, "--as", "payroll", "--period", period.String())
	if err != nil {
		return 0, err
	}
	m := payrollRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("dost payroll prepare said %q", out)
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

// awaitCycle waits for payroll cycle id to be prepared.
func awaitCycle(ctx context.Context, q *sql.DB, id int64) error {
	return poll(ctx, phaseTimeout, fmt.Sprintf("payroll cycle %d to be prepared", id), func() (bool, error) {
		var status, reason string
		if err := q.QueryRowContext(ctx, `SELECT status, error FROM payroll_cycles WHERE id = $1`, id).Scan(&status, &reason); err != nil {
			return false, err
		}
		if reason != "" {
			return false, fmt.Errorf("payroll cycle %d failed: %s", id, reason)
		}
		return status == string(dost.CyclePrepared), nil
	})
}

// runPayroll prepares the payroll of period and waits for it.
func runPayroll(ctx context.Context, bin string, q *sql.DB, dsn string, period dost.Month) (int64, error) {
	id, err := enqueuePayroll(ctx, bin, dsn, period)
	if err != nil {
		return 0, err
	}
	return id, awaitCycle(ctx, q, id)
}

// result is what a scan and a payroll made, in a form two databases can
// be compared in: each table's rows as sorted text, without the IDs the
// nodes drew (awards, payments) but with those of the copied registry
// (persons, households), which are the same in every copy.
type result struct {
	rows map[string][]string
	// scan is the scan's summary by programme, without its times.
	scan []string
}

// resultQueries are the tables of a result. Each row is what a node
// decided; a row twice is a duplicate.
var resultQueries = map[string]string{
	"awards": `SELECT programme, service_code, person_id, household_id, payee_id, kind, amount, period, starts_on, ends_on,
		status, status_reason FROM awards`,
	"offers": `SELECT person_id, household_id, programme, service_code, period, amount, status, expires_on FROM offers`,
	"applications": `SELECT person_id, household_id, service_code, channel, status, period, submitted_on, decided_on,
		decision_id <> 0 FROM applications`,
	"decisions": `SELECT a.person_id, a.household_id, a.service_code, d.outcome, d.reason_code, d.period, d.language
		FROM decisions d JOIN applications a ON a.id = d.application_id`,
	"notifications": `SELECT person_id, user_id, channel, topic, language FROM notifications`,
	"payments": `SELECT p.programme, a.person_id, a.household_id, p.payee_id, p.period, p.amount, p.iban, p.bank, p.status,
		p.reason_code, p.attempts FROM payments p JOIN awards a ON a.id = p.award_id`,
	"cycles": `SELECT programme, period, status, count, total, arrears_count, arrears_total, held, review, shards_total,
		shards_done, run, error FROM payroll_cycles`,
	"scan_shards":    `SELECT kind, lo, hi, persons, finished_at IS NOT NULL FROM scan_shards`,
	"payroll_shards": `SELECT run, kind, lo, hi, persons, review, finished_at IS NOT NULL FROM payroll_shards`,
}

// resultOf reads the result of scan scanID and payroll cycle cycleID.
func resultOf(ctx context.Context, q *sql.DB, scanID, cycleID int64) (result, error) {
	r := result{rows: map[string][]string{}}
	for name, query := range resultQueries {
		rows, err := q.QueryContext(ctx, query)
		if err != nil {
			return r, fmt.Errorf("%s: %w", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return r, err
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				switch v := v.(type) {
				case time.Time:
					parts[i] = v.Format(time.DateOnly)
				case []byte:
					parts[i] = string(v)
				default:
					parts[i] = fmt.Sprint(v)
				}
			}
			r.rows[name] = append(r.rows[name], strings.Join(parts, "|"))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, err
		}
		slices.Sort(r.rows[name])
	}
	var summary []byte
	if err := q.QueryRowContext(ctx, `SELECT summary FROM scans WHERE id = $1`, scanID).Scan(&summary); err != nil {
		return r, fmt.Errorf("scan %d: %w", scanID, err)
	}
	var s struct {
		Shards     int   `json:"shards"`
		Persons    int64 `json:"persons"`
		Households int64 `json:"households"`
		Programmes []struct {
			Programme                                                         string
			Entitled, Held, Later, Found, Awarded, Offered, Unchanged, Failed int
		} `json:"programmes"`
	}
	if err := json.Unmarshal(summary, &s); err != nil {
		return r, fmt.Errorf("scan %d summary: %w", scanID, err)
	}
	r.scan = append(r.scan, fmt.Sprintf("%d shards, %d persons, %d households", s.Shards, s.Persons, s.Households))
	for _, p := range s.Programmes {
		r.scan = append(r.scan, fmt.Sprintf("%+v", p))
	}
	slices.Sort(r.scan)
	return r, nil
}

// compare reports every difference between got and the reference want:
// per table, the rows only one of them has (a duplicate counts).
func compare(t *testing.T, got, want result, scanSummary bool) {
	t.Helper()
	for name := range resultQueries {
		missing, extra := diff(want.rows[name], got.rows[name])
		if len(missing)+len(extra) == 0 {
			continue
		}
		t.Errorf("%s: %d rows, the single node's run %d; %d of its rows missing %v, %d rows more %v", name,
			len(got.rows[name]), len(want.rows[name]), len(missing), head(missing), len(extra), head(extra))
	}
	if scanSummary && !slices.Equal(got.scan, want.scan) {
		t.Errorf("scan summary:\n%s\nthe single node's:\n%s", strings.Join(got.scan, "\n"), strings.Join(want.scan, "\n"))
	}
}

// diff returns the rows of sorted a missing from sorted b and those of b
// more than in a, as multisets.
func diff(a, b []string) (missing, extra []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			missing = append(missing, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			extra = append(extra, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}

// head returns up to five rows, for messages.
func head(rows []string) []string { return rows[:min(5, len(rows))] }

// shardJob is a scan's or payroll's shard job as River recorded it.
type shardJob struct {
	id          int64
	state       string
	attempt     int
	attemptedBy []string
	finalizedAt sql.NullTime
	firstError  string // the first failed attempt's error, if any
}

// last returns the node that attempted the job last.
func (j shardJob) last() string {
	if len(j.attemptedBy) == 0 {
		return ""
	}
	return j.attemptedBy[len(j.attemptedBy)-1]
}

// shardKinds are the shard jobs' kinds and the argument naming their
// scan or cycle.
var shardKinds = map[string]string{"scan_shard": "scan_id", "payroll_shard": "cycle_id"}

// shardJobs returns the shard jobs of kind of the scan or cycle id.
func shardJobs(ctx context.Context, q *sql.DB, kind string, id int64) ([]shardJob, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, state, attempt, COALESCE(array_to_string(attempted_by, ','), ''), finalized_at,
		COALESCE(errors[1]->>'error', '') FROM river_job WHERE kind = $1 AND (args->>$2)::bigint = $3 ORDER BY id`, kind, shardKinds[kind], id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shardJob
	for rows.Next() {
		var j shardJob
		var by string
		if err := rows.Scan(&j.id, &j.state, &j.attempt, &by, &j.finalizedAt, &j.firstError); err != nil {
			return nil, err
		}
		if by != "" {
			j.attemptedBy = strings.Split(by, ",")
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// byNode counts completed jobs by the node that completed them.
func byNode(jobs []shardJob) map[string]int {
	m := map[string]int{}
	for _, j := range jobs {
		if j.state == "completed" {
			m[j.last()]++
		}
	}
	return m
}

// completedJobs waits until every shard job of kind of the scan or cycle
// id has completed, and returns them. The shard that finishes a scan or
// a cycle marks it so before River records its job completed (in a
// batch, within 50 ms).
func completedJobs(t *testing.T, q *sql.DB, kind string, id int64) []shardJob {
	t.Helper()
	ctx := context.Background()
	var jobs []shardJob
	err := poll(ctx, 30*time.Second, "every "+kind+" job to complete", func() (bool, error) {
		var err error
		jobs, err = shardJobs(ctx, q, kind, id)
		return err == nil && !slices.ContainsFunc(jobs, func(j shardJob) bool { return j.state != "completed" }), err
	})
	if err != nil {
		for _, j := range jobs {
			if j.state != "completed" {
				t.Errorf("%s job %d: %s (attempt %d by %v), want completed", kind, j.id, j.state, j.attempt, j.attemptedBy)
			}
		}
		t.Fatal(err)
	}
	return jobs
}

// checkShared checks that every shard job of kind of id completed, and
// that each node of ids completed some; it returns the counts by node and
// how many jobs took more than one attempt.
func checkShared(t *testing.T, q *sql.DB, kind string, id int64, ids []string) (map[string]int, int) {
	t.Helper()
	jobs := completedJobs(t, q, kind, id)
	counts := byNode(jobs)
	for _, n := range ids {
		if counts[n] == 0 {
			t.Errorf("%s: no job of %d completed by %s (completed by node: %v)", kind, len(jobs), n, counts)
		}
	}
	retried := 0
	for _, j := range jobs {
		if j.attempt > 1 {
			retried++
		}
	}
	return counts, retried
}

// TestScanSharedByNodes: three nodes share a population scan and a payroll
// preparation of many shards: each node's workers complete some of the
// shard jobs (River's attempted_by names the node, --node-id), every job
// completes, and what they made (awards, offers, decisions,
// notifications, the scan's summary, payments and the cycle's totals)
// equals a single node's run on an identical database.
func TestScanSharedByNodes(t *testing.T) {
	bin := needPostgres(t)
	t.Parallel()
	sd := jobsSeeded(t, bin)
	dsn := testDB(t, sd.base)
	c := startCluster(t, bin, dsn, 3, jobsOptions)
	ctx := context.Background()
	q := sqlDB(t, dsn)
	if err := awaitStartupJobs(ctx, q); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	scanID, err := runScan(ctx, bin, q, dsn, sd.period)
	if err != nil {
		t.Fatal(err)
	}
	scanTook := time.Since(t0)
	t0 = time.Now()
	cycleID, err := runPayroll(ctx, bin, q, dsn, sd.period)
	if err != nil {
		t.Fatal(err)
	}
	payrollTook := time.Since(t0)
	scanBy, retried := checkShared(t, q, "scan_shard", scanID, c.ids)
	payrollBy, _ := checkShared(t, q, "payroll_shard", cycleID, c.ids)
	got, err := resultOf(ctx, q, scanID, cycleID)
	if err != nil {
		t.Fatal(err)
	}
	r := jobsReference(t)
	// A shard run twice (an error, a time limit passed) still counts
	// what its first attempt made as the scan's (scan_tasks).
	compare(t, got, r.result, true)
	if retried > 0 {
		t.Logf("%d scan shard jobs took more than one attempt (see the nodes' logs)", retried)
	}
	t.Logf("scan: %d shards in %s on 3 nodes (single node %s), completed by node %v", r.shards[0], scanTook.Round(time.Millisecond),
		r.scanTook.Round(time.Millisecond), scanBy)
	t.Logf("payroll: %d shards in %s on 3 nodes (single node %s), completed by node %v; %d awards, %d payments as the single node's (load %s)",
		r.shards[1], payrollTook.Round(time.Millisecond), r.payrollTook.Round(time.Millisecond), payrollBy,
		len(got.rows["awards"]), len(got.rows["payments"]), nodeproc.LoadAverage())
}

// killAttempts is how often killLeaderMidShards may kill a leader that
// turned out to have finished its shards just before it died.
const killAttempts = 3

// killLeaderMidShards waits until River's leader has shard jobs of kind
// of scan or cycle id running, kills it (SIGKILL), and returns it and the
// jobs it left running: the lost shards. A leader that completed its
// shards in the moment before it died lost none: it is restarted and the
// next leader is killed, up to killAttempts times. done reports whether
// the phase finished meanwhile (no shard left to lose: a failure).
func killLeaderMidShards(t *testing.T, c *cluster, q *sql.DB, kind string, id int64, done func() (bool, error)) (victim string, lost []shardJob, at time.Time) {
	t.Helper()
	ctx := context.Background()
	for attempt := 1; ; attempt++ {
		err := poll(ctx, phaseTimeout, "the leader to run "+kind+" jobs", func() (bool, error) {
			var n int
			err := q.QueryRowContext(ctx, `SELECT l.leader_id, count(j.id) FROM river_leader l
				LEFT JOIN river_job j ON j.state = 'running' AND j.kind = $1 AND (j.args->>$2)::bigint = $3
				AND j.attempted_by[array_length(j.attempted_by, 1)] = l.leader_id
				WHERE l.expires_at > now() GROUP BY l.leader_id`, kind, shardKinds[kind], id).Scan(&victim, &n)
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil
			}
			if err != nil || n > 0 {
				return n > 0, err
			}
			finished, err := done()
			if finished {
				return false, fmt.Errorf("the %s jobs finished before the leader could be killed mid-way", kind)
			}
			return false, err
		})
		if err != nil {
			t.Fatal(err)
		}
		c.node(victim).Kill()
		at = time.Now()
		jobs, err := shardJobs(ctx, q, kind, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.state == "running" && j.last() == victim {
				lost = append(lost, j)
			}
		}
		if len(lost) > 0 {
			return victim, lost, at
		}
		t.Logf("attempt %d: %s finished its %s jobs just before it was killed; restarting it and trying again", attempt, victim, kind)
		if attempt == killAttempts {
			t.Fatalf("no %s job lost in %d kills", kind, killAttempts)
		}
		if err := c.node(victim).Restart(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRescued checks that every lost job completed on another node than
// victim, in a later attempt, and returns the time from the kill to the
// last one's completion.
func checkRescued(t *testing.T, q *sql.DB, kind string, id int64, victim string, lost []shardJob, killed time.Time) time.Duration {
	t.Helper()
	jobs := completedJobs(t, q, kind, id)
	byID := map[int64]shardJob{}
	for _, j := range jobs {
		byID[j.id] = j
	}
	var last time.Duration
	others := map[string]int{} // jobs retried but not lost, by their first error
	for _, j := range jobs {
		if j.attempt > 1 && !slices.ContainsFunc(lost, func(l shardJob) bool { return l.id == j.id }) {
			others[j.firstError]++
		}
	}
	if len(others) > 0 {
		t.Logf("%s: jobs retried besides the lost ones, by their first error: %v", kind, others)
	}
	for _, l := range lost {
		j := byID[l.id]
		if j.state != "completed" || j.last() == victim || j.attempt <= l.attempt {
			t.Errorf("%s job %d, lost with %s: %s in attempt %d by %v; want completed by another node in a later attempt",
				kind, j.id, victim, j.state, j.attempt, j.attemptedBy)
		}
		if j.finalizedAt.Valid {
			last = max(last, j.finalizedAt.Time.Sub(killed))
		}
	}
	return last
}

// TestKillMidScanAndPayroll: three nodes work a population scan; the node
// that is River's leader is killed (SIGKILL) while shards of the scan run
// on it. The two others finish the scan: a new leader is elected, its
// rescuer makes the dead node's shards available again
// (--jobs-rescue-after) and they are retried on a living node. The dead
// node is restarted, the payroll of the month is prepared, and the leader
// is killed again while payroll shards run on it. The awards, offers,
// decisions, notifications, payments and the cycle's totals equal a
// single node's run on an identical database, nothing duplicated (a row
// twice would differ from the reference's). The scan's summary equals the
// single node's too: a lost shard's retry counts what the dead node had
// made as the scan's (the scan_tasks its first attempt recorded), not as
// held.
func TestKillMidScanAndPayroll(t *testing.T) {
	bin := needPostgres(t)
	t.Parallel()
	sd := jobsSeeded(t, bin)
	dsn := testDB(t, sd.base)
	c := startCluster(t, bin, dsn, 3, killOptions)
	ctx := context.Background()
	q := sqlDB(t, dsn)
	if err := awaitStartupJobs(ctx, q); err != nil {
		t.Fatal(err)
	}

	// The scan, and its leader killed mid-way.
	jobID, err := enqueueScan(ctx, bin, dsn, sd.period)
	if err != nil {
		t.Fatal(err)
	}
	scanDone := func() (bool, error) {
		var status string
		err := q.QueryRowContext(ctx, `SELECT status FROM scans WHERE job_id = $1`, jobID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return status == sqlstore.ScanFinished, err
	}
	var scanID int64
	if err := poll(ctx, phaseTimeout, "the scan to start", func() (bool, error) {
		err := q.QueryRowContext(ctx, `SELECT id FROM scans WHERE job_id = $1`, jobID).Scan(&scanID)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}); err != nil {
		t.Fatal(err)
	}
	victim, lost, killed := killLeaderMidShards(t, c, q, "scan_shard", scanID, scanDone)
	if _, err := awaitScan(ctx, q, jobID); err != nil {
		t.Fatal(err)
	}
	scanRecovered := time.Since(killed)
	back := checkRescued(t, q, "scan_shard", scanID, victim, lost, killed)
	t.Logf("scan: killed %s (the leader) with %d of its shards running; the scan finished %s after the kill, the lost shards completed elsewhere within %s (load %s)",
		victim, len(lost), scanRecovered.Round(time.Millisecond), back.Round(time.Millisecond), nodeproc.LoadAverage())
	if err := c.node(victim).Restart(ctx); err != nil {
		t.Fatal(err)
	}

	// The payroll, and its leader killed mid-way.
	cycleID, err := enqueuePayroll(ctx, bin, dsn, sd.period)
	if err != nil {
		t.Fatal(err)
	}
	cycleDone := func() (bool, error) {
		var status string
		err := q.QueryRowContext(ctx, `SELECT status FROM payroll_cycles WHERE id = $1`, cycleID).Scan(&status)
		return status == string(dost.CyclePrepared), err
	}
	victim, lost, killed = killLeaderMidShards(t, c, q, "payroll_shard", cycleID, cycleDone)
	if err := awaitCycle(ctx, q, cycleID); err != nil {
		t.Fatal(err)
	}
	payrollRecovered := time.Since(killed)
	back = checkRescued(t, q, "payroll_shard", cycleID, victim, lost, killed)
	t.Logf("payroll: killed %s (the leader) with %d of its shards running; the cycle was prepared %s after the kill, the lost shards completed elsewhere within %s (load %s)",
		victim, len(lost), payrollRecovered.Round(time.Millisecond), back.Round(time.Millisecond), nodeproc.LoadAverage())

	got, err := resultOf(ctx, q, scanID, cycleID)
	if err != nil {
		t.Fatal(err)
	}
	r := jobsReference(t)
	compare(t, got, r.result, true)
	t.Logf("%d awards, %d offers, %d payments, as the single node's", len(got.rows["awards"]), len(got.rows["offers"]), len(got.rows["payments"]))
}
