package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/importer"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/synth"
)

// runBench handles "dost bench": whole-system measurements on this machine,
// printed as lines for BENCHMARKS.md. Each run uses a fresh temporary
// database unless --database is given.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost bench", stderr)
	fs.StringVar(&c.Database, "database", "", "database to benchmark on (default: a temporary SQLite file)")
	persons := fs.Int("persons", 100000, "persons for the import and generation runs")
	apiPersons := fs.Int("api-persons", 20000, "persons in the registry for the API run")
	duration := fs.Duration("duration", 10*time.Second, "length of the API load run")
	conns := fs.Int("connections", 32, "concurrent connections of the API load run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	payrollPersons := fs.Int("payroll-persons", 1000000, "payroll: persons in the registry")
	payrollAwards := fs.Int("payroll-awards", 1000000, "payroll: awards to pay (the rules' monthly awards, topped up with one-off awards)")
	payrollWorkers := fs.Int("payroll-workers", runtime.NumCPU(), "payroll: shards prepared at once")
	payrollKeep := fs.String("payroll-keep", "", "payroll: keep (and reuse) the database in this directory and stop after the approval")
	hallOpts := hallBenchFlags(fs) // bench_hall.go
	which := "all"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		which, args = args[0], args[1:]
	}
	if which == "load" { // its own flags (bench_load.go)
		return runBenchLoad(ctx, args, stdout, stderr)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	tmp, err := os.MkdirTemp("", "dost-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(stdout, "# dost bench %s on %s/%s, %d CPUs, %s\n", which, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	today := dost.MustDate("2026-11-01")

	if which == "gen" || which == "all" {
		start := time.Now()
		if err := synth.WriteCSV(filepath.Join(tmp, "gen"), synth.Options{Persons: *persons, Seed: 1, Today: today}, nil); err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Fprintf(stdout, "gen: %d persons to CSV in %s (%.0f persons/s)\n", *persons, el.Round(time.Millisecond), float64(*persons)/el.Seconds())
		os.RemoveAll(filepath.Join(tmp, "gen"))
	}
	if which == "import" || which == "all" {
		if err := benchImport(ctx, c, tmp, *persons, today, stdout, stderr); err != nil {
			return err
		}
	}
	if which == "api" || which == "all" {
		if err := benchAPI(ctx, c, tmp, *apiPersons, *duration, *conns, today, stdout, stderr); err != nil {
			return err
		}
	}
	if which == "calc" || which == "all" { // POST /api/v1/calculate (bench_calc.go)
		if err := benchCalc(ctx, c, *duration, *conns, stdout); err != nil {
			return err
		}
	}
	if which == "hall" { // the record day of the centre halls replayed (bench_hall.go)
		if err := benchHall(ctx, c, tmp, *hallOpts, stdout); err != nil {
			return err
		}
	}
	if which == "payroll" { // not in all: it takes minutes (bench_payroll.go)
		if err := benchPayroll(ctx, c, tmp, *payrollPersons, *payrollAwards, *payrollWorkers, *payrollKeep, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// benchDB opens the benchmark database: the configured one or a fresh
// SQLite file in dir.
func benchDB(ctx context.Context, c Config, dir, name string, stderr io.Writer) (*sqlstore.DB, error) {
	if c.Database == "" {
		c.Database = filepath.Join(dir, name+".db")
	}
	return sqlstore.Open(ctx, c.Database, sqlstore.Options{Migrate: true, Logger: c.logger(io.Discard)})
}

// benchImport measures parsing and storing persons from CSV.
func benchImport(ctx context.Context, c Config, tmp string, n int, today dost.Date, stdout, stderr io.Writer) error {
	dir := filepath.Join(tmp, "import")
	if err := synth.WriteCSV(dir, synth.Options{Persons: n, Seed: 2, Today: today}, nil); err != nil {
		return err
	}
	db, err := benchDB(ctx, c, tmp, "import", stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Open(filepath.Join(dir, "persons.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	batch, err := importer.Parse(importer.Persons, f, importer.CSV)
	if err != nil {
		return err
	}
	parsed := time.Since(start)
	if err := sqlstore.NewRegistryImporter(db).Import(ctx, batch); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "import: %d persons from CSV into %s in %s (parse %s; %.0f persons/s)\n",
		n, db.Dialect(), el.Round(time.Millisecond), parsed.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

// benchAPI loads a registry, starts the real HTTP server on loopback and
// drives GET /api/v1/persons/{fin} with concurrent keep-alive clients.
func benchAPI(ctx context.Context, c Config, tmp string, n int, d time.Duration, conns int, today dost.Date, stdout, stderr io.Writer) error {
	db, err := benchDB(ctx, c, tmp, "api", stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	batch := synth.Batch(synth.Options{Persons: n, Seed: 3, Today: today})
	if err := sqlstore.NewRegistryImporter(db).Import(ctx, batch); err != nil {
		return err
	}
	users := sqlstore.NewUserService(db)
	u := &dost.User{Username: "bench-operator", Name: "Bench", Roles: []dost.Role{dost.RoleOperator}}
	if err := users.CreateUser(ctx, u, ""); err != nil {
		return err
	}
	_, token, err := users.CreateAPIToken(ctx, u.ID, "bench", time.Hour)
	if err != nil {
		return err
	}
	s := dosthttp.NewServer()
	s.Addr = "127.0.0.1:0"
	s.Logger = c.logger(io.Discard)
	s.PersonService = sqlstore.NewPersonService(db)
	s.RecordService = sqlstore.NewRecordService(db)
	s.HouseholdService = sqlstore.NewHouseholdService(db)
	s.CatalogueService = sqlstore.NewCatalogueService(db)
	s.CentreService = sqlstore.NewCentreService(db)
	s.UserService = users
	s.Ready = db.Ping
	if s.RuleSet, err = az.RuleSet(); err != nil {
		return err
	}
	if err := s.Open(); err != nil {
		return err
	}
	defer s.Close()

	fins := make([]string, len(batch.Persons))
	for i, p := range batch.Persons {
		fins[i] = string(p.FIN)
	}
	res := load(ctx, s.URL()+"/api/v1/persons/", fins, token, d, conns)
	fmt.Fprintf(stdout, "api: GET /api/v1/persons/{fin} on %s, %d persons, %d connections, %s: %d requests, %.0f req/s, p50 %s, p99 %s, errors %d\n",
		db.Dialect(), n, conns, d, res.n, float64(res.n)/d.Seconds(), res.p50, res.p99, res.errors)
	fmt.Fprintf(stdout, "     (for an outside load generator: wrk -t2 -c%d -d%s -H 'Authorization: Bearer …' %s/api/v1/persons/<fin>)\n", conns, d, s.URL())
	return nil
}

type loadResult struct {
	n, errors int
	p50, p99  time.Duration
}

// load runs conns clients for d, each requesting base+fin for random FINs,
// and returns the count and latency percentiles of successful requests.
func load(ctx context.Context, base string, fins []string, token string, d time.Duration, conns int) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	deadline := time.Now().Add(d)
	var mu sync.Mutex // guards lat, errs
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			local := make([]time.Duration, 0, 1<<14)
			bad := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", base+fins[rng.IntN(len(fins))], nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	r := loadResult{n: len(lat), errors: errs}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2].Round(10 * time.Microsecond)
		r.p99 = lat[len(lat)*99/100].Round(10 * time.Microsecond)
	}
	return r
}
