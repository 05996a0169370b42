package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
	"github.com/schollz/progressbar/v3"
)

// runScan handles "dost scan": the proactive service's population scan of
// a month, which finds everyone newly entitled and awards or offers them.
// By default it enqueues the scan for the nodes that work jobs (dost
// serve, dost worker), whose shards they share, and with --wait follows it
// to its summary; with --local it scans in this process, without the job
// queue, for measurements and small installations. Either way the scan is
// recorded (table scans) with its summary.
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost scan", stderr)
	c.bindDatabase(fs)
	period := fs.String("period", "", "month to scan, YYYY-MM (default: the current month in Baku, as the daily scan)")
	wait := fs.Bool("wait", false, "wait for the enqueued scan to finish, showing its progress, and print its summary")
	local := fs.Bool("local", false, "scan in this process, without the job queue")
	workers := fs.Int("workers", runtime.NumCPU(), "with --local: shards scanned at once")
	shardSize := fs.Int("shard-size", rulesrun.DefaultShardSize, "with --local: persons per shard")
	quiet := fs.Bool("quiet", false, "no progress bar")
	dryRun := fs.Bool("dry-run", false, "with --local: count the newly entitled without awarding or offering anything")
	baseURL := fs.String("base-url", "", "with --local: public address of dost, for the confirmation links of the offers made (none when unset; an enqueued scan uses its nodes' --base-url)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dost scan: unexpected argument %q", fs.Arg(0))
	}
	if *local && *wait {
		return errors.New("dost scan: --wait is for an enqueued scan; --local always waits")
	}
	if *dryRun && !*local {
		return errors.New("dost scan: --dry-run needs --local")
	}
	if *baseURL != "" && !*local {
		return errors.New("dost scan: --base-url needs --local; an enqueued scan's offers link to its nodes' --base-url")
	}
	logger := c.logger(stderr)
	db, err := c.openDB(ctx, logger, false)
	if err != nil {
		return err
	}
	defer db.Close()
	p := dost.MonthOf(dost.DateOf(db.Clock().Now().In(bakuTime)))
	if *period != "" {
		if p, err = dost.ParseMonth(*period); err != nil {
			return fmt.Errorf("dost scan: --period %q is not a month YYYY-MM", *period)
		}
	}
	if err := checkCatalogue(ctx, sqlstore.NewCatalogueService(db)); err != nil {
		return err
	}
	scans := sqlstore.NewScanStore(db)

	if !*local {
		r, err := jobs.New(ctx, jobs.Config{DB: db.WriterDB(), Dialect: db.Dialect(), Clock: db.Clock(), Logger: logger, InsertOnly: true})
		if err != nil {
			return err
		}
		jobID, err := r.EnqueueScan(ctx, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "scan of %s enqueued (job %d) for the nodes that work jobs\n", p, jobID)
		if !*wait {
			return nil
		}
		sc, err := waitScan(ctx, scans, jobID, stderr, *quiet)
		if err != nil {
			return err
		}
		printScan(stdout, sc, sc.FinishedAt.Sub(sc.StartedAt))
		return nil
	}

	m := &Main{Config: c, DB: db, stdout: stdout, stderr: stderr, logger: logger, BaseURL: *baseURL}
	if err := m.wireServices(dosthttp.NewServer()); err != nil {
		return err
	}
	start := time.Now()
	scanShard := m.Proactive.ScanShard
	if *dryRun {
		scanShard = m.Proactive.FindNewlyEntitled
	}
	sc, err := scanLocal(ctx, m.Proactive, scanShard, scans, p, *shardSize, *workers, stderr, *quiet)
	if err != nil {
		return err
	}
	printScan(stdout, sc, time.Since(start))
	if *dryRun {
		fmt.Fprintln(stdout, "dry run: nothing was awarded or offered")
	}
	return nil
}

// bakuTime is the time zone of dost's dates (UTC+4).
var bakuTime = time.FixedZone("AZT", 4*60*60)

// checkCatalogue returns an error unless the catalogue has the service of
// every programme: the scan awards through them, and without them it
// would fail once per beneficiary.
func checkCatalogue(ctx context.Context, catalogue dost.CatalogueService) error {
	for _, p := range az.Programmes() {
		_, err := catalogue.FindServiceByCode(ctx, p.ServiceCode)
		switch {
		case dost.ErrorCode(err) == dost.ENOTFOUND:
			return fmt.Errorf("dost scan: the catalogue lacks service %s, through which programme %s is awarded; load the catalogue first (dost demo loads the shipped one)",
				p.ServiceCode, p.Code)
		case err != nil:
			return err
		}
	}
	return nil
}

// scanLocal scans period's shards in this process, workers at once, each
// recorded in scans like a shard job's, and returns the finished scan.
func scanLocal(ctx context.Context, svc *proactive.Service, scanShard func(context.Context, dost.Month, rulesrun.Shard) (proactive.ScanSummary, error),
	scans *sqlstore.ScanStore, period dost.Month, shardSize, workers int, stderr io.Writer, quiet bool) (*sqlstore.Scan, error) {
	id, err := scans.CreateScan(ctx, period, 0)
	if err != nil {
		return nil, err
	}
	planned, err := svc.PlanScan(ctx, shardSize)
	if err != nil {
		return nil, errors.Join(err, scans.FailScan(ctx, id, err.Error()))
	}
	shards, err := scans.StartScan(ctx, id, planned)
	if err != nil {
		return nil, err
	}
	var persons int64
	for _, sh := range shards {
		persons += sh.Persons
	}
	var bar *progressbar.ProgressBar
	if !quiet {
		bar = progressbar.NewOptions64(persons, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("persons"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("persons"),
			progressbar.OptionThrottle(200*time.Millisecond))
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, len(shards))) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(shards) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				sh := shards[i]
				sum, err := scanShard(ctx, period, sh)
				if err == nil {
					var js []byte
					if js, err = json.Marshal(sum); err == nil {
						_, err = scans.FinishScanShard(ctx, id, sh, js)
					}
				}
				if err != nil {
					cancel(err)
					return
				}
				if bar != nil {
					bar.Add64(sh.Persons)
				}
			}
		})
	}
	wg.Wait()
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	if err := context.Cause(ctx); err != nil {
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer fcancel()
		return nil, errors.Join(fmt.Errorf("scan %d: %w", id, err), scans.FailScan(fctx, id, err.Error()))
	}
	return scans.FindScanByID(ctx, id)
}

// waitScan follows the scan of a coordinator job until it finishes,
// showing its shards done, and returns it; a failed scan is an error.
func waitScan(ctx context.Context, scans *sqlstore.ScanStore, jobID int64, stderr io.Writer, quiet bool) (*sqlstore.Scan, error) {
	const every = 500 * time.Millisecond
	var bar *progressbar.ProgressBar
	waited := time.Now()
	hinted := false
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		sc, err := scans.FindScanByJobID(ctx, jobID)
		switch {
		case dost.ErrorCode(err) == dost.ENOTFOUND:
			if !hinted && time.Since(waited) > 10*time.Second {
				fmt.Fprintln(stderr, "no node has started the scan yet: is one working jobs (dost serve, dost worker)?")
				hinted = true
			}
		case err != nil:
			return nil, err
		default:
			if bar == nil && !quiet && sc.ShardsTotal > 0 {
				bar = progressbar.NewOptions(sc.ShardsTotal, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(fmt.Sprintf("scan %d: shards", sc.ID)), progressbar.OptionShowCount(),
					progressbar.OptionThrottle(200*time.Millisecond))
			}
			if bar != nil {
				bar.Set(sc.ShardsDone)
			}
			switch sc.Status {
			case sqlstore.ScanFinished:
				if bar != nil {
					bar.Finish()
					fmt.Fprintln(stderr)
				}
				return sc, nil
			case sqlstore.ScanFailed:
				return nil, fmt.Errorf("scan %d failed: %s", sc.ID, sc.Error)
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// printScan prints a finished scan: per programme what the rules found
// and what was made, then the time taken.
func printScan(w io.Writer, sc *sqlstore.Scan, wall time.Duration) {
	s := sc.Summary
	fmt.Fprintf(w, "scan %d of %s: %s; %d persons in %d households, %d shards\n\n", sc.ID, sc.Period, sc.Status,
		s.Persons, s.Households, s.Shards)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "programme\tentitled\theld\tlater\tnew\tawarded\toffered\tunchanged\tfailed\t")
	found := 0
	for _, p := range s.Programmes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.Programme, p.Entitled, p.Held, p.Later, p.Found,
			p.Awarded, p.Offered, p.Unchanged, p.Failed)
		found += p.Found
	}
	tw.Flush()
	var rate float64
	if wall > 0 {
		rate = float64(s.Persons) / wall.Seconds()
	}
	fmt.Fprintf(w, "\n%d newly entitled, %d new awards and offers; time %s (%.0f persons/s); summed over shards: read %s, compute %s, assign %s\n",
		found, s.New(), wall.Round(time.Millisecond), rate, s.Read.Round(time.Millisecond), s.Compute.Round(time.Millisecond),
		s.Assign.Round(time.Millisecond))
}
