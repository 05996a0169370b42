package dosttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/hall"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/iso20022"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/pdf"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/training"
	"github.com/dost-az/dost/video"
	"github.com/dost-az/dost/webhooks"
)

// TestServer is dost's HTTP server started in-process on 127.0.0.1:0 over
// a real, migrated and seeded database. It is stopped when the test ends.
//
// The seed: the demo's catalogue, centres and staff accounts (package
// demo, without its synthetic population), three persons (two of them in
// one household) and a citizen account; every user of Roles has a password
// (Password) and a bearer token (Token). Rate limits are off unless an
// option turns them on. The server calculates with the Azerbaijani rule
// set (programmes/az), so the rules API and pages answer; an option may
// replace it (e.g. NoRuleSet). Applications, decisions, awards,
// notifications and holidays are served by a casework.Service over the
// same database, with uploaded files on disk in a temporary directory.
// Life events and offers are served by a proactive.Service over it.
type TestServer struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:38211".
	URL string
	// Server is the running server; its exported fields must not change.
	Server *dosthttp.Server
	// DB is the database the server runs on.
	DB *sqlstore.DB
	// Logs receives the server's JSON log lines.
	Logs *LogBuffer
	// Fixtures names the seeded records.
	Fixtures Fixtures

	// Persons, Records, … are the services the server uses.
	Persons    *sqlstore.PersonService
	Records    *sqlstore.RecordService
	Households *sqlstore.HouseholdService
	Catalogue  *sqlstore.CatalogueService
	Centres    *sqlstore.CentreService
	Users      *sqlstore.UserService
	// Identities links OpenID Connect identities and opens their
	// sessions (sign-in through the digital login, WithOIDC).
	Identities *sqlstore.IdentityService
	// Cases is the casework storage and Casework the service over it
	// (applications, decisions, awards, notifications); Files holds the
	// uploaded documents.
	Cases    *sqlstore.CaseStore
	Casework *casework.Service
	Files    *filestore.Disk

	// Proactive receives life events and answers offers, over
	// ProactiveStore and Casework.
	Proactive      *proactive.Service
	ProactiveStore *sqlstore.ProactiveStore

	// Payroll prepares and pays the payroll cycles over PayrollStore,
	// in-process (no job queue: PrepareCycle returns the cycle
	// prepared), paying from DebtorIBAN.
	Payroll      *payroll.Service
	PayrollStore *sqlstore.PayrollStore

	// Hall runs the centres' halls (queue, appointments,
	// certifications, ratings) over HallStore.
	Hall      *hall.Service
	HallStore *sqlstore.HallStore

	// Training keeps operators' training (courses, completions, the
	// matrix, shortage, reminders) over TrainingStore.
	Training      *training.Service
	TrainingStore *sqlstore.TrainingStore

	// Webhooks keeps the webhook subscriptions over WebhookStore; its
	// client may reach loopback (httptest receivers), and Deliverer sends
	// the deliveries when a test calls DeliverDue.
	Webhooks     *webhooks.Service
	WebhookStore *sqlstore.WebhookStore
	Deliverer    *webhooks.Deliverer

	// Audit is the audit trail's store; the server records into it only
	// WithAudit.
	Audit *sqlstore.AuditStore

	t      testing.TB
	tokens map[dost.Role]string

	mu      sync.Mutex // guards clients
	clients map[dost.Role]*http.Client
}

// Fixtures names the records NewServer seeds.
type Fixtures struct {
	// Head and Spouse form Household; Child belongs to no household.
	Head, Spouse, Child *dost.Person
	Household           *dost.Household
	// Centre (demo centre baku-3) offers Service; OtherCentre (ganja)
	// does not.
	Centre, OtherCentre *dost.Centre
	Service             *dost.Service
	// Users holds the seeded user of each role (staff roles and citizen).
	Users map[dost.Role]*dost.User
}

// Roles are the roles NewServer seeds a user for: every staff role,
// citizen, and registry (a system account named "civil-registry").
var Roles = append(append([]dost.Role{}, dost.StaffRoles...), dost.RoleCitizen, dost.RoleRegistry)

// DebtorIBAN is the paying agency's account in the test server's bank
// files (bank AIIB).
const DebtorIBAN = "AZ86AIIB00000000000000000001"

// Password returns the password of the seeded user with role: the demo
// account's for staff roles, whose usernames are the roles' names (see
// demo.Accounts); the citizen's username is "fin:" and the FIN of
// Fixtures.Child.
func Password(role dost.Role) string {
	for _, a := range demo.Accounts() {
		if a.Username == string(role) {
			return a.Password
		}
	}
	return string(role) + "-secret-pw"
}

// ServerOption changes the server before it starts, e.g. to turn on rate
// limits.
type ServerOption func(*dosthttp.Server)

// NoRuleSet is an option for a server without a rule set, whose rules
// routes answer 404.
func NoRuleSet(s *dosthttp.Server) { s.RuleSet = nil }

// WithOIDC is an option for a server that signs in through the OpenID
// Connect provider cfg names (cfg.Demo: the demo provider at /demo-idp).
// An empty cfg.BaseURL is the test server's URL.
func WithOIDC(cfg dosthttp.OIDCConfig) ServerOption {
	return func(s *dosthttp.Server) { s.OIDC = &cfg }
}

// WithAudit is an option for a server that records the audit trail in
// TestServer.Audit (Server.AuditService). Without it nothing is recorded.
func WithAudit(s *dosthttp.Server) { s.AuditService = auditOn{} }

// auditOn marks a server WithAudit until NewServer gives it the store.
type auditOn struct{ dost.AuditService }

// NewServer starts a TestServer over a fresh database of the dialect
// ("sqlite" or "postgres", see OpenDB). It fails the test on any error.
func NewServer(t testing.TB, dialect string, opts ...ServerOption) *TestServer {
	t.Helper()
	ctx := context.Background()
	db := OpenDB(t, dialect)
	ts := &TestServer{
		DB:         db,
		Logs:       &LogBuffer{},
		Persons:    sqlstore.NewPersonService(db),
		Records:    sqlstore.NewRecordService(db),
		Households: sqlstore.NewHouseholdService(db),
		Catalogue:  sqlstore.NewCatalogueService(db),
		Centres:    sqlstore.NewCentreService(db),
		Users:      sqlstore.NewUserService(db),
		Identities: sqlstore.NewIdentityService(db),
		Cases:      sqlstore.NewCaseStore(db),
		t:          t,
		tokens:     map[dost.Role]string{},
		clients:    map[dost.Role]*http.Client{},
	}
	if err := ts.seed(ctx); err != nil {
		t.Fatalf("seed test server: %v", err)
	}

	s := dosthttp.NewServer()
	s.Addr = "127.0.0.1:0"
	s.Demo = true
	s.Logger = slog.New(slog.NewJSONHandler(ts.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.Clock = db.Clock()
	s.SignInLimit, s.PublicLimit = dosthttp.RateLimit{}, dosthttp.RateLimit{}
	s.PersonService = ts.Persons
	s.RecordService = ts.Records
	s.HouseholdService = ts.Households
	s.CatalogueService = ts.Catalogue
	s.CentreService = ts.Centres
	s.UserService = ts.Users
	s.Identities = ts.Identities
	s.Ready = db.CheckMigrated
	// The rule set is loaded once per test binary (az caches it) and
	// shared: a RuleSet is safe for concurrent use.
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatalf("load the Azerbaijani rules: %v", err)
	}
	s.RuleSet = rs
	if ts.Files, err = filestore.NewDisk(filepath.Join(t.TempDir(), "files")); err != nil {
		t.Fatalf("file store: %v", err)
	}
	ts.Casework, err = casework.New(casework.Config{
		Store: ts.Cases, Persons: ts.Persons, Households: ts.Households, Catalogue: ts.Catalogue,
		Users: ts.Users, Population: sqlstore.NewPopulationStore(db),
		RuleSet: rs, RuleSetVersion: az.Version(), Programmes: az.Programmes(),
		Files: ts.Files, Centres: ts.Centres, Clock: db.Clock(), BaseURL: "http://dost.test", Logger: s.Logger,
	})
	if err != nil {
		t.Fatalf("casework: %v", err)
	}
	s.ApplicationService = ts.Casework
	s.AwardService = ts.Casework
	s.NotificationService = ts.Casework
	s.HolidayService = ts.Cases
	s.Deadlines = ts.Casework
	s.Letters = ts.Casework
	s.Certificates = sqlstore.NewCertificateService(db, &pdf.CertificateRenderer{BaseURL: "http://dost.test"}, az.Programmes()) // certificates (issue 7)
	ts.ProactiveStore = sqlstore.NewProactiveStore(db)
	ts.Proactive, err = proactive.New(proactive.Config{
		Store: ts.ProactiveStore, Assigner: ts.Casework, Applications: ts.Casework, Persons: ts.Persons,
		Households: ts.Households, Records: ts.Records, Population: sqlstore.NewPopulationStore(db),
		RuleSet: rs, Programmes: az.Programmes(), Clock: db.Clock(), Logger: s.Logger,
		BaseURL: "http://dost.test", Catalogue: ts.Catalogue, // as `dost serve` wires them
	})
	if err != nil {
		t.Fatalf("proactive: %v", err)
	}
	s.EventService, s.OfferService = ts.Proactive, ts.Proactive
	ts.PayrollStore = sqlstore.NewPayrollStore(db)
	ts.Payroll, err = payroll.New(payroll.Config{
		Store: ts.PayrollStore, Persons: ts.Persons, Population: sqlstore.NewPopulationStore(db), RuleSet: rs,
		Programmes: az.Programmes(), Clock: db.Clock(), Logger: s.Logger,
		Debtor: iso20022.Account{Name: "DOST Agentliyi", IBAN: DebtorIBAN, BIC: "AIIBAZ2X"},
	})
	if err != nil {
		t.Fatalf("payroll: %v", err)
	}
	s.Payroll, s.Programmes = ts.Payroll, az.Programmes()
	ts.HallStore = sqlstore.NewHallStore(db)
	ts.Hall, err = hall.New(hall.Config{Store: ts.HallStore, Centres: ts.Centres, Catalogue: ts.Catalogue, Clock: db.Clock(), BaseURL: "http://dost.test"})
	if err != nil {
		t.Fatalf("hall: %v", err)
	}
	ts.HallStore.RatingSMS = ts.Hall.RatingSMS
	s.Hall = ts.Hall
	ts.TrainingStore = sqlstore.NewTrainingStore(db)
	ts.Training, err = training.New(training.Config{Store: ts.TrainingStore, Centres: ts.Centres, Users: ts.Users, Clock: db.Clock()})
	if err != nil {
		t.Fatalf("training: %v", err)
	}
	s.Training = ts.Training
	s.Portal = sqlstore.NewPortalStore(db)
	if s.QueueKPIs, err = hall.NewKPIService(ts.HallStore, db.Clock()); err != nil {
		t.Fatalf("hall kpis: %v", err)
	}
	ts.WebhookStore = sqlstore.NewWebhookStore(db)
	whClient := &webhooks.Client{AllowPrivate: true} // loopback receivers
	ts.Webhooks = &webhooks.Service{Store: ts.WebhookStore, Client: whClient}
	ts.Deliverer = &webhooks.Deliverer{Store: ts.WebhookStore, Client: whClient, Clock: db.Clock()}
	s.Webhooks = ts.Webhooks
	ts.Audit = sqlstore.NewAuditStore(db) // the audit trail, recorded with WithAudit
	// Service by video (issue 9): the demo video centre is seeded by the
	// tests that need it (demo.SeedVideo).
	videoStore := sqlstore.NewVideoStore(db)
	videoStore.RatingSMS = ts.Hall.RatingSMS
	s.Video = &dosthttp.VideoConfig{Service: videoStore, Hub: video.NewHub(), Files: ts.Files}
	for _, o := range opts {
		o(s)
	}
	if _, on := s.AuditService.(auditOn); on {
		s.AuditService = ts.Audit
	}
	if err := s.Open(); err != nil {
		t.Fatalf("open test server: %v", err)
	}
	t.Cleanup(func() { ts.checkLogPrivacy(t) }) // logscan.go; runs after Close below (cleanups run last first)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close test server: %v", err)
		}
	})
	ts.Server, ts.URL = s, s.URL()
	return ts
}

// seed stores the demo (catalogue, centres and staff accounts, see
// demo.Seed, without its population), three persons, a household and a
// citizen account, and makes a bearer token for each seeded user.
func (ts *TestServer) seed(ctx context.Context) error {
	_, err := demo.Seed(ctx, demo.Stores{
		Catalogue: ts.Catalogue, Centres: ts.Centres, Users: ts.Users,
		Importer: sqlstore.NewRegistryImporter(ts.DB), Persons: ts.Persons,
	}, demo.Options{Persons: -1})
	if err != nil {
		return err
	}
	f := &ts.Fixtures
	if f.Centre, err = ts.Centres.FindCentreByCode(ctx, demo.CentreBaku3); err != nil {
		return err
	}
	if f.OtherCentre, err = ts.Centres.FindCentreByCode(ctx, demo.CentreGanja); err != nil {
		return err
	}
	for _, code := range f.Centre.Services {
		if !slices.Contains(f.OtherCentre.Services, code) {
			if f.Service, err = ts.Catalogue.FindServiceByCode(ctx, code); err != nil {
				return err
			}
			break
		}
	}
	if f.Service == nil {
		return fmt.Errorf("every service of %s is offered at %s too", f.Centre.Code, f.OtherCentre.Code)
	}

	person := func(fin, first, last string, sex dost.Sex, born string) *dost.Person {
		return &dost.Person{FIN: dost.FIN(fin), FirstName: first, LastName: last, Patronymic: "Test",
			BirthDate: dost.MustDate(born), Sex: sex, Region: "Baku", District: "Nizami", Address: "Street 1"}
	}
	f.Head = person("1AB2CD3", "Rashad", "Aliyev", dost.SexMale, "1970-03-15")
	f.Spouse = person("2EF3GH4", "Leyla", "Aliyeva", dost.SexFemale, "1974-08-02")
	f.Child = person("3JK4LM5", "Murad", "Aliyev", dost.SexMale, "2010-11-20")
	for _, p := range []*dost.Person{f.Head, f.Spouse, f.Child} {
		if err := ts.Persons.CreatePerson(ctx, p); err != nil {
			return fmt.Errorf("person: %w", err)
		}
	}
	f.Household = &dost.Household{Code: "HH0000001", Region: "Baku", District: "Nizami", Address: "Street 1",
		Members: []*dost.HouseholdMember{{FIN: f.Head.FIN, Role: dost.RoleHead}, {FIN: f.Spouse.FIN, Role: dost.RoleSpouse}}}
	if err := ts.Households.CreateHousehold(ctx, f.Household); err != nil {
		return fmt.Errorf("household: %w", err)
	}

	f.Users = map[dost.Role]*dost.User{}
	for _, role := range Roles {
		u, err := ts.Users.FindUserByUsername(ctx, string(role))
		if role == dost.RoleCitizen {
			u = &dost.User{Username: "fin:" + string(f.Child.FIN), Name: "Murad Aliyev", Roles: []dost.Role{role}, PersonID: &f.Child.ID}
			err = ts.Users.CreateUser(ctx, u, Password(role))
		}
		if role == dost.RoleRegistry {
			u = &dost.User{Username: "civil-registry", Name: "Civil registry", Roles: []dost.Role{role}}
			err = ts.Users.CreateUser(ctx, u, Password(role))
		}
		if err != nil {
			return fmt.Errorf("user %s: %w", role, err)
		}
		_, token, err := ts.Users.CreateAPIToken(ctx, u.ID, "test", 24*time.Hour)
		if err != nil {
			return fmt.Errorf("token %s: %w", role, err)
		}
		f.Users[role], ts.tokens[role] = u, token
	}
	return nil
}

// AddUser stores a further user (a password is not needed: it signs in
// with the bearer token returned) and returns its bearer token, e.g. a
// staff member of another centre or one who is also in the registry.
func (ts *TestServer) AddUser(u *dost.User) string {
	ts.t.Helper()
	ctx := context.Background()
	if err := ts.Users.CreateUser(ctx, u, ""); err != nil {
		ts.t.Fatalf("add user %s: %v", u.Username, err)
	}
	_, token, err := ts.Users.CreateAPIToken(ctx, u.ID, "test", 24*time.Hour)
	if err != nil {
		ts.t.Fatalf("token for %s: %v", u.Username, err)
	}
	return token
}

// Token returns the bearer token of the seeded user with role.
func (ts *TestServer) Token(role dost.Role) string {
	ts.t.Helper()
	tok, ok := ts.tokens[role]
	if !ok {
		ts.t.Fatalf("no test user with role %q", role)
	}
	return tok
}

// Client returns a client signed in (by POST /api/v1/session, with a
// cookie jar) as the seeded user with role, or signed out for role "". The
// client does not follow redirects, so tests see them. Clients are made
// once per role and shared; signing one out affects later callers.
func (ts *TestServer) Client(role dost.Role) *http.Client {
	ts.t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if c, ok := ts.clients[role]; ok {
		return c
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if role != "" {
		username := string(role)
		if u := ts.Fixtures.Users[role]; u != nil {
			username = u.Username
		}
		body, _ := json.Marshal(map[string]string{"username": username, "password": Password(role)})
		resp, err := c.Post(ts.URL+"/api/v1/session", "application/json", bytes.NewReader(body))
		if err != nil {
			ts.t.Fatalf("sign in as %s: %v", role, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			ts.t.Fatalf("sign in as %s: status %d: %s", role, resp.StatusCode, msg)
		}
	}
	ts.clients[role] = c
	return c
}

// LogBuffer collects log output; it is safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Contains reports whether the logs contain s.
func (b *LogBuffer) Contains(s string) bool { return strings.Contains(b.String(), s) }
