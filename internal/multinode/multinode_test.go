package multinode_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/internal/nodeproc"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the tests' own queries
)

func TestMain(m *testing.M) {
	code := m.Run()
	dropShared() // the shared fixture's databases (jobs_test.go)
	nodeproc.RemoveShared()
	os.Exit(code)
}

// feedbackKey is DOST_FEEDBACK_KEY of every node: the same on all, as in
// production, so that a ticket's link made by one node opens on another.
const feedbackKey = "multinode-test-feedback-key-0123456789abcdef"

// needPostgres skips the test without a PostgreSQL server, or with -short
// (it builds dost and starts processes), and returns the dost binary.
func needPostgres(t *testing.T) string {
	t.Helper()
	if os.Getenv(dosttest.PostgresEnv) == "" {
		t.Skipf("%s is not set: the multi-node tests run three dost nodes on one PostgreSQL database", dosttest.PostgresEnv)
	}
	if testing.Short() {
		t.Skip("-short: the multi-node tests build dost and start three nodes")
	}
	if bin := os.Getenv(binEnv); bin != "" {
		return bin
	}
	bin, err := nodeproc.SharedBinary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// binEnv names a dost binary the tests run instead of building one (for
// trying a build by hand, or a release).
const binEnv = "DOST_MULTINODE_BIN"

// migrate migrates the database at dsn with `dost migrate`.
func migrate(t *testing.T, bin, dsn string) {
	t.Helper()
	if _, err := nodeproc.Run(context.Background(), bin, "migrate", "--database", dsn); err != nil {
		t.Fatal(err)
	}
}

// sqlDB opens the tests' own connection pool on dsn, for checking what
// the nodes wrote; closed when the test ends.
func sqlDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	t.Cleanup(func() { db.Close() })
	return db
}

// adminDB connects to the test server's admin database.
func adminDB() (*sql.DB, error) { return sql.Open("pgx", os.Getenv(dosttest.PostgresEnv)) }

// createDB creates a database on the test server, a copy of template if
// it is not empty (CREATE DATABASE … TEMPLATE: byte for byte the same
// rows and IDs), and returns its address. The caller drops it (dropDB).
func createDB(template string) (name, dsn string, err error) {
	b := make([]byte, 8)
	rand.Read(b)
	name = "dost_mn_" + hex.EncodeToString(b)
	adm, err := adminDB()
	if err != nil {
		return "", "", err
	}
	defer adm.Close()
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
	}
	if _, err := adm.Exec(q); err != nil {
		return "", "", fmt.Errorf("%s: %w", q, err)
	}
	u, err := url.Parse(os.Getenv(dosttest.PostgresEnv))
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	return name, u.String(), nil
}

// dropDB drops a database createDB made, closing its connections.
func dropDB(name string) error {
	adm, err := adminDB()
	if err != nil {
		return err
	}
	defer adm.Close()
	_, err = adm.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	return err
}

// testDB creates a database for one test (a copy of template if not
// empty), dropped when the test ends.
func testDB(t *testing.T, template string) string {
	t.Helper()
	name, dsn, err := createDB(template)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dropDB(name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return dsn
}

// nodeOptions are the flags every node of a test gets.
type nodeOptions struct {
	// ScanShardSize is --scan-shard-size; PayrollShardSize is
	// DOST_PAYROLL_SHARD_SIZE (0: the defaults).
	ScanShardSize, PayrollShardSize int
	// RescueAfter is --jobs-rescue-after (0: the default, 10 min).
	RescueAfter time.Duration
}

// cluster is dost nodes over one database.
type cluster struct {
	t     *testing.T // nil outside a test (the shared fixture's)
	bin   string
	dsn   string
	data  string // the nodes' shared data directory (a shared volume's stand-in)
	dir   string // the nodes' files: dir/<id>/stderr.log …
	opts  nodeOptions
	nodes []*nodeproc.Node
	ids   []string // River client IDs (--node-id), by node
}

// nodeNames are the nodes' names and River client IDs.
var nodeNames = []string{"node-a", "node-b", "node-c"}

// startCluster starts n `dost serve` nodes (n ≤ 3) over dsn at once (see
// startNodes) and kills them when the test ends; a failed test shows the
// end of each node's log.
func startCluster(t *testing.T, bin, dsn string, n int, opts nodeOptions) *cluster {
	t.Helper()
	c, err := startNodes(bin, dsn, t.TempDir(), nodeNames[:n], opts)
	if c != nil {
		c.t = t
		t.Cleanup(func() { c.kill(t.Failed(), t.Logf) })
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startNodes starts a `dost serve` node per River client ID of ids over
// dsn at once, on loopback ports, each working jobs with two scan
// workers, their node files under dir. On an error the nodes started are
// killed, their logs in the error. The cluster it returns has no test
// (c.t): kill it when done.
func startNodes(bin, dsn, dir string, ids []string, opts nodeOptions) (*cluster, error) {
	c := &cluster{bin: bin, dsn: dsn, data: filepath.Join(dir, "data"), dir: dir, opts: opts, ids: ids}
	c.nodes = make([]*nodeproc.Node, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { c.nodes[i], errs[i] = nodeproc.Start(context.Background(), c.nodeOptions(i)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var logs strings.Builder
		c.kill(true, func(format string, args ...any) { fmt.Fprintf(&logs, format+"\n", args...) })
		return c, fmt.Errorf("start nodes: %w\n%s", err, logs.String())
	}
	return c, nil
}

// kill kills every node; with show, it logs the end of each node's log.
func (c *cluster) kill(show bool, logf func(format string, args ...any)) {
	for i, nd := range c.nodes {
		if nd == nil {
			continue
		}
		nd.Kill()
		if show {
			logf("%s (%s) log, last lines:\n%s", c.ids[i], nd.Dir(), nd.Tail(3000))
		}
	}
}

// nodeOptions returns the process options of node i.
func (c *cluster) nodeOptions(i int) nodeproc.Options {
	args := []string{"serve", "--database", c.dsn, "--data-dir", c.data, "--public-rate", "0",
		"--node-id", c.ids[i], "--scan-workers", "2"}
	if c.opts.ScanShardSize > 0 {
		args = append(args, "--scan-shard-size", fmt.Sprint(c.opts.ScanShardSize))
	}
	if c.opts.RescueAfter > 0 {
		args = append(args, "--jobs-rescue-after", c.opts.RescueAfter.String())
	}
	env := []string{"DOST_FEEDBACK_KEY=" + feedbackKey}
	if c.opts.PayrollShardSize > 0 {
		env = append(env, fmt.Sprintf("DOST_PAYROLL_SHARD_SIZE=%d", c.opts.PayrollShardSize))
	}
	dir := filepath.Join(c.dir, c.ids[i])
	os.MkdirAll(dir, 0o755)
	return nodeproc.Options{Bin: c.bin, Args: args, Env: env, Dir: dir, Name: c.ids[i]}
}

// node returns the node whose River client ID is id.
func (c *cluster) node(id string) *nodeproc.Node {
	c.t.Helper()
	i := slices.Index(c.ids, id)
	if i < 0 {
		c.t.Fatalf("no node %q", id)
	}
	return c.nodes[i]
}

// client is an API client of one node, signed in with a bearer token
// (none: anonymous, as a kiosk or a board).
type client struct {
	base, token string
}

// apiError is a refused request: its status and problem document.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// httpClient is shared by the tests' API calls: keep-alive connections
// to every node.
var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// do sends a JSON request and decodes a 2xx answer into out (if not nil);
// another status is an *apiError.
func (c client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// percentile returns the q-quantile of ds (sorted in place).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(int(q*float64(len(ds))), len(ds)-1)]
}
