package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/filestore"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/pdf"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

// Main is the running program of `dost serve` (and of `dost worker`, a
// node that works background jobs and serves no HTTP): build it with
// NewMain, configure it with ParseFlags, start it with Run and stop it
// with Close. Tests start the real program in-process on ":0" over a
// temporary database.
type Main struct {
	Config Config
	// Worker makes the node a worker: jobs, no HTTP server.
	Worker      bool
	Demo        bool
	DemoPersons int
	// BaseURL is dost's public address, for the verification links of
	// decision letters; default http://<addr>.
	BaseURL string

	// DB is the open database (set by Run).
	DB *sqlstore.DB
	// HTTPServer is nil on a worker.
	HTTPServer *dosthttp.Server
	// Proactive receives life events, answers offers and scans the
	// registry (set by Run, for the jobs).
	Proactive *proactive.Service
	// Payroll prepares and pays payroll cycles (set by Run, for the jobs;
	// payroll.go).
	Payroll *payroll.Service

	payrollDebtor debtorFlags // --payroll-debtor-* (payroll.go)
	// payrollMaxReportMB is --payroll-max-report-mb (payroll.go).
	payrollMaxReportMB int64
	// oidc is --oidc-* (oidc.go).
	oidc oidcFlags
	// webhooks is --webhooks-allow-private and the deliverer (webhook.go).
	webhooks webhookNode
	// video is the --turn-* flags, the TURN server and the signalling
	// hub's relay (video.go).
	video videoNode

	// boardRelay carries the hall boards' events between nodes on
	// PostgreSQL (hall.go); nil on SQLite.
	boardRelay *dosthttp.PGBoardRelay

	stdout, stderr io.Writer
	logger         *slog.Logger
	jobs           jobsNode // background work on River (jobs.go)

	pprof pprofServer // --pprof-addr (pprof.go)
}

// NewMain returns a Main writing its messages to stdout and its logs to stderr.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{Config: DefaultConfig(), DemoPersons: 2000, stdout: stdout, stderr: stderr}
}

// ParseFlags reads the serve (or, with Worker set, the worker) command's
// flags.
func (m *Main) ParseFlags(ctx context.Context, args []string) error {
	name := "dost serve"
	if m.Worker {
		name = "dost worker"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	fs.StringVar(&m.Config.Addr, "addr", m.Config.Addr, "address to listen on (DOST_ADDR)")
	fs.Float64Var(&m.Config.PublicRate, "public-rate", m.Config.PublicRate, "requests per second per client IP on public endpoints; 0 turns the limit off (DOST_PUBLIC_RATE)")
	fs.BoolVar(&m.Config.SecureCookies, "secure-cookies", m.Config.SecureCookies, "mark cookies Secure and send HSTS; on when served over HTTPS (DOST_SECURE_COOKIES)")
	m.Config.bindDatabase(fs)
	m.jobs.bindFlags(fs)
	m.Config.Notify.bindFlags(fs)
	m.payrollDebtor.bindFlags(fs)
	bindMaxReport(fs, &m.payrollMaxReportMB)
	m.oidc.bindFlags(fs)
	m.webhooks.bindFlags(fs) // webhook.go
	m.video.bindFlags(fs)    // video.go
	m.pprof.bindFlags(fs)    // pprof.go
	fs.BoolVar(&m.Demo, "demo", false, "load the demo catalogue, centres, staff accounts and population")
	fs.IntVar(&m.DemoPersons, "demo-persons", m.DemoPersons, "size of the demo population")
	fs.StringVar(&m.BaseURL, "base-url", "", "public address of dost for the verification links of decision letters (default http://<addr>) and the confirmation links of offers (none when unset)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if m.Worker && !m.jobs.work {
		return fmt.Errorf("%s --jobs=false would do nothing", name)
	}
	if err := m.Config.Notify.Validate(); err != nil {
		return err
	}
	if err := m.oidc.validate(); err != nil {
		return err
	}
	if err := m.webhooks.validate(fs); err != nil { // webhook.go
		return err
	}
	if err := m.video.validate(); err != nil { // video.go
		return err
	}
	return nil
}

// Run opens the database (creating and migrating the embedded default),
// loads the demo if asked, starts the background jobs and the HTTP server
// (a worker has none). It returns once the server listens; Close stops
// it.
func (m *Main) Run(ctx context.Context) error {
	m.logger = m.Config.logger(m.stderr)
	m.logger.Info("starting dost", "config", m.Config.Redacted())
	if err := m.pprof.start(m.stdout, m.logger); err != nil { // pprof.go
		return err
	}

	db, err := m.Config.openDB(ctx, m.logger, false)
	if err != nil {
		return err
	}
	m.DB = db

	if m.Demo {
		res, err := seedDemo(ctx, db, m.DemoPersons, m.logger)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		printAccounts(m.stdout, res)
	}

	s := dosthttp.NewServer()
	if err := m.wireServices(s); err != nil {
		return err
	}
	warnMissingHolidays(ctx, s.HolidayService, db.Clock(), m.logger) // holidays.go
	if err := m.startJobs(ctx, s); err != nil {                      // jobs.go
		return err
	}
	if m.Worker {
		fmt.Fprintln(m.stdout, "dost worker is running")
		return nil
	}
	if err := s.Open(); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.HTTPServer = s
	fmt.Fprintf(m.stdout, "dost is running on %s\n", s.URL())
	return nil
}

// wireServices gives s its configuration and every service over m.DB,
// casework and the proactive service included (wireCasework).
func (m *Main) wireServices(s *dosthttp.Server) error {
	db := m.DB
	s.Addr = m.Config.Addr
	s.Demo = m.Demo
	s.SecureCookies = m.Config.SecureCookies
	s.PublicLimit = m.Config.publicLimit()
	s.Logger = m.logger
	s.PersonService = sqlstore.NewPersonService(db)
	s.RecordService = sqlstore.NewRecordService(db)
	s.HouseholdService = sqlstore.NewHouseholdService(db)
	s.CatalogueService = sqlstore.NewCatalogueService(db)
	s.CentreService = sqlstore.NewCentreService(db)
	s.UserService = sqlstore.NewUserService(db)
	s.AuditService = sqlstore.NewAuditStore(db) // the audit trail (http/audit.go records, `dost audit verify` checks)
	s.Ready = db.Ping
	s.Unavailable = sqlstore.IsUnavailable // 503, not 500, while the database is away or full
	var err error
	if s.RuleSet, err = az.RuleSet(); err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	m.wireOIDC(s) // oidc.go
	m.wireWebhooks(s)
	return m.wireCasework(s)
}

// wireCasework gives s the casework service (applications, decisions,
// awards, notifications) over the database, with uploads on disk under
// <data-dir>/files, the holiday calendar, and the proactive service over
// casework (life events and offers; m.Proactive).
func (m *Main) wireCasework(s *dosthttp.Server) error {
	files, err := filestore.NewDisk(filepath.Join(m.Config.DataDir, "files"))
	if err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	m.jobs.files = files // swept of orphans (jobs.go)
	baseURL := m.BaseURL
	if baseURL == "" {
		host := m.Config.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		baseURL = "http://" + host
	}
	cases := sqlstore.NewCaseStore(m.DB)
	svc, err := casework.New(casework.Config{
		Store: m.jobs.kickAfter(cases), Persons: s.PersonService, Households: s.HouseholdService, Catalogue: s.CatalogueService,
		Users: s.UserService, Population: sqlstore.NewPopulationStore(m.DB),
		RuleSet: s.RuleSet, RuleSetVersion: az.Version(), Programmes: az.Programmes(),
		Files: files, Centres: s.CentreService, Clock: m.DB.Clock(), BaseURL: baseURL, Logger: m.logger,
	})
	if err != nil {
		return err
	}
	s.ApplicationService, s.AwardService, s.NotificationService, s.Deadlines, s.Letters = svc, svc, svc, svc, svc
	s.Certificates = sqlstore.NewCertificateService(m.DB, &pdf.CertificateRenderer{BaseURL: baseURL}, az.Programmes())
	s.HolidayService = cases
	// The proactive service: life events, offers, the population scan.
	m.Proactive, err = proactive.New(proactive.Config{
		Store: m.jobs.kickAfterOffers(sqlstore.NewProactiveStore(m.DB)), Assigner: svc, Applications: svc, Persons: s.PersonService,
		Households: s.HouseholdService, Records: s.RecordService, Population: sqlstore.NewPopulationStore(m.DB),
		RuleSet: s.RuleSet, Programmes: az.Programmes(), Clock: m.DB.Clock(), Logger: m.logger,
		// Offers link to the portal only at a public address set with
		// --base-url (not http://<addr>); the catalogue's assignment
		// modes say what is assigned and what offered.
		BaseURL: m.BaseURL, Catalogue: s.CatalogueService,
	})
	if err != nil {
		return err
	}
	s.EventService, s.OfferService = m.Proactive, m.Proactive
	if err := m.wireHall(s); err != nil { // hall.go
		return err
	}
	if err := m.wireTraining(s); err != nil { // training.go
		return err
	}
	if err := m.wireVideo(s); err != nil { // video.go
		return err
	}
	if s.Video != nil {
		s.Video.Files = files // the calls' recordings (api_video_admin.go)
	}
	s.Portal = sqlstore.NewPortalStore(m.DB) // the citizen's account
	return m.wirePayroll(s)                  // payroll.go
}

// Close stops the HTTP server, draining requests, then the background
// jobs, then closes the database.
func (m *Main) Close() error {
	first := m.pprof.close() // pprof.go
	if m.HTTPServer != nil {
		if err := m.HTTPServer.Close(); err != nil {
			first = err
		}
	}
	if err := m.video.close(); err != nil && first == nil { // video.go: TURN, relay
		first = err
	}
	if m.boardRelay != nil { // after the server: its boards' streams are closed
		if err := m.boardRelay.Close(); err != nil && first == nil {
			first = err
		}
	}
	if err := m.stopJobs(); err != nil && first == nil { // jobs.go; before the database closes
		first = err
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// seedDemo loads the demo data into db.
func seedDemo(ctx context.Context, db *sqlstore.DB, persons int, logger *slog.Logger) (*demo.Result, error) {
	return demo.Seed(ctx, demo.Stores{
		Catalogue: sqlstore.NewCatalogueService(db),
		Centres:   sqlstore.NewCentreService(db),
		Users:     sqlstore.NewUserService(db),
		Importer:  sqlstore.NewRegistryImporter(db),
		Persons:   sqlstore.NewPersonService(db),
		Training:  sqlstore.NewTrainingStore(db),
		Hall:      sqlstore.NewHallStore(db),
		Video:     sqlstore.NewVideoStore(db), Certifications: sqlstore.NewHallStore(db), // video.go
	}, demo.Options{Persons: persons, Seed: 1, Today: dost.DateOf(dost.SystemClock{}.Now()), Logger: logger})
}

// printAccounts prints the demo sign-in accounts.
func printAccounts(w io.Writer, res *demo.Result) {
	fmt.Fprintln(w, "Demo sign-in accounts (username / password — roles):")
	for _, a := range res.Accounts {
		note := ""
		if !a.Created {
			note = " (existed already; the password may have been changed since)"
		}
		fmt.Fprintf(w, "  %-11s / %-20s — %v%s\n", a.Username, a.Password, a.Roles, note)
	}
}
