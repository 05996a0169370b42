// Package http serves dost over HTTP: the JSON API under /api/v1, the
// server-rendered web UI, health and metrics endpoints. One Server holds the
// domain services it needs; each resource registers its routes in one table
// that also says which roles may call them.
package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
)

// ShutdownTimeout is how long Close waits for requests in flight.
const ShutdownTimeout = 10 * time.Second

// ReadTimeout is how long a client may take to send a whole request,
// headers and body, so a slow sender cannot hold a connection open.
const ReadTimeout = 30 * time.Second

// Server is dost's HTTP server. Set the exported fields, then call Open;
// Close stops it, draining requests in flight.
type Server struct {
	ln     net.Listener
	server *http.Server
	mux    *http.ServeMux
	ui     *ui // the web UI's templates and static files, built by Handler

	// Addr is the address to listen on, e.g. ":8080" or "127.0.0.1:0".
	Addr string
	// Demo turns on demo conveniences (the demo banner, demo sign-in).
	Demo bool
	// SecureCookies sets the Secure flag on cookies and sends HSTS; on
	// behind TLS.
	SecureCookies bool

	// SignInLimit limits sign-in attempts (POST /signin, POST
	// /api/v1/session, and cancelling a booking by code) per client IP; PublicLimit limits the other public
	// routes except health, metrics and static files. NewServer sets
	// DefaultSignInLimit and DefaultPublicLimit; the zero RateLimit turns a
	// limit off.
	SignInLimit RateLimit
	PublicLimit RateLimit

	handlerOnce sync.Once // guards handler and handlerErr
	handler     http.Handler
	handlerErr  error

	metrics       *metrics
	signInLimiter *rateLimiter
	publicLimiter *rateLimiter

	Logger *slog.Logger
	Clock  dost.Clock

	PersonService    dost.PersonService
	RecordService    dost.RecordService
	HouseholdService dost.HouseholdService
	CatalogueService dost.CatalogueService
	CentreService    dost.CentreService
	UserService      dost.UserService

	// ApplicationService opens, moves and decides applications;
	// AwardService reads awards and decisions; NotificationService the
	// notifications log; HolidayService keeps the holiday calendar.
	// casework.Service implements them all, and Deadlines too.
	ApplicationService  dost.ApplicationService
	AwardService        dost.AwardService
	NotificationService dost.NotificationService
	HolidayService      dost.HolidayService
	// Deadlines answers the supervisor's deadline view (GET
	// /api/v1/deadlines); without it that route answers 404.
	Deadlines DeadlineCounter
	// EventService receives life events from other registries and
	// OfferService lists and answers offers (proactive.Service implements
	// both); without them those routes answer 404.
	EventService dost.EventService
	OfferService dost.OfferService
	// Letters renders decision letters for the staff pages and the
	// public verification page (/verify); without it the letters answer
	// 404. casework.Service implements it.
	Letters LetterService
	// Certificates issues and finds certificates ("arayış": /my/certificates,
	// the /api/v1/…/certificates routes and the public page
	// /verify/certificates); sqlstore.CertificateService implements it.
	// Without it those routes answer 404.
	Certificates dost.CertificateService

	// RuleSet is the rule set the calculator (POST /api/v1/calculate and
	// /trace, /rules/try) and the variable and parameter pages use; it is
	// immutable and shared by all requests. Without one those routes
	// answer 404.
	RuleSet *rules.RuleSet

	// Payroll prepares, approves and pays the payroll cycles (the
	// /api/v1/payroll routes and the /payroll pages); payroll.Service
	// implements it. Without it those routes answer 404. Programmes are
	// the benefits paid, which the payroll pages offer and name; without
	// them the prepare form takes a programme's code.
	Payroll    dost.PayrollService
	Programmes []dost.Programme
	// MaxStatusFileBytes is the largest bank report the payroll's import
	// (API and cycle page) reads from a request, streamed; 0:
	// DefaultMaxStatusFileBytes.
	MaxStatusFileBytes int64

	// Ready reports whether the database is reachable and migrated; it
	// answers /readyz.
	Ready func(ctx context.Context) error
	// Unavailable reports whether an internal error is the database
	// being unavailable for now (sqlstore.IsUnavailable); such errors
	// answer 503 with Retry-After instead of 500. Nil: every internal
	// error is a 500.
	Unavailable func(err error) bool

	// Hall runs the centres' halls: tickets, counters, appointments,
	// certifications and ratings (the hall's /api/v1 routes and the
	// kiosk, board, console, ticket and feedback pages); hall.Service
	// implements it. Without it those routes answer 404.
	Hall HallService
	// QueueKPIs computes the supervisor dashboard's KPIs from the queue's
	// event log (GET /api/v1/centres/{code}/kpis and the dashboard page,
	// api_hall_kpi.go); hall.KPIService implements it. Without it those
	// routes answer 404.
	QueueKPIs dost.QueueKPIService
	// Training keeps operators' training: courses, completions, the
	// certification matrix and each centre's shortage of certified
	// operators (the /api/v1/courses, /completions, /certifications/matrix
	// and /centres/{code}/shortage routes and the /training pages);
	// training.Service implements it. Without it those routes answer 404.
	Training dost.TrainingService
	// Webhooks keeps the webhook subscriptions (/api/v1/webhooks,
	// api_webhooks.go); webhooks.Service implements it. Without it those
	// routes answer 404.
	Webhooks dost.WebhookService
	// AuditService keeps the audit trail (audit.go records changes, staff
	// reads of a person and denials; /api/v1/audit, /audit, /my/viewers
	// read it); sqlstore.AuditStore implements it. Nil records nothing
	// and those routes answer 404.
	AuditService dost.AuditService
	// BoardRelay carries the display boards' events between nodes that
	// share a database (PGBoardRelay for PostgreSQL); nil on a single
	// node, where calls reach this node's boards directly.
	BoardRelay BoardRelay

	// OIDC turns on sign-in through an OpenID Connect provider
	// (/signin/oidc, http/oidc.go), or through the demo provider mounted
	// at /demo-idp; nil: none, and those routes answer 404. Identities
	// finds the users the provider signs in and opens their sessions;
	// it is required with OIDC.
	OIDC       *OIDCConfig
	Identities dost.IdentityService
	oidcRP     oidcRP // made from OIDC on first use (oidc.go)
	// Portal serves the citizen's account beyond the other services: the
	// profile and the household's awards (the /my pages and /api/v1/me,
	// ui_portal*.go, api_me*.go); sqlstore.PortalStore implements it.
	// Without it those routes answer 404.
	Portal dost.PortalService
	// Video serves calls by video (api_video.go, video_ws.go); nil: those
	// routes answer 404.
	Video *VideoConfig

	board     *Board             // the boards' connections on this node
	stopRelay context.CancelFunc // stops BoardRelay.Listen
	relayDone chan struct{}      // closed when BoardRelay.Listen returned
}

// NewServer returns a Server with defaults: system clock, default logger.
func NewServer() *Server {
	return &Server{
		Addr:        ":8080",
		Logger:      slog.Default(),
		Clock:       dost.SystemClock{},
		SignInLimit: DefaultSignInLimit,
		PublicLimit: DefaultPublicLimit,
	}
}

// logger returns the Logger, or slog's default when none is set.
func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// Open builds the routes, starts listening and serves in a goroutine that
// Close stops.
func (s *Server) Open() (err error) {
	handler, err := s.Handler()
	if err != nil {
		return err
	}
	if s.ln, err = net.Listen("tcp", s.Addr); err != nil {
		return err
	}
	s.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger().Handler(), slog.LevelWarn),
		// No WriteTimeout: it would cut off large responses (exports) on
		// slow links and the event streams to come; a handler that needs
		// a limit sets one with http.ResponseController.SetWriteDeadline.
	}
	// Open board streams never go idle: end them when shutdown begins.
	s.server.RegisterOnShutdown(s.board.Close)
	s.startRelay()
	s.startVideo() // video_ws.go: the signalling hub's relay and shutdown
	go func() {
		if err := s.server.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger().Error("http serve", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL of the listening server, e.g. "http://127.0.0.1:38211".
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	a := s.ln.Addr().(*net.TCPAddr)
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, itoa(a.Port))
}

// Close stops the server, waiting up to ShutdownTimeout for requests.
func (s *Server) Close() error {
	if s.server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := s.server.Shutdown(ctx)
	s.stopBoardRelay()
	return err
}
