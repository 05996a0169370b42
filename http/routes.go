package http

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/dost-az/dost"
)

// Access says who may call a route.
type Access int

// Access levels. A route with Roles set admits exactly those roles.
const (
	Public   Access = iota // anyone, signed in or not
	SignedIn               // any signed-in user (staff or citizen)
	Staff                  // any staff role
	ByRole                 // only the roles listed in Route.Roles
)

// Route is one row of the route × role table: the ServeMux pattern, who
// may call it and the handler. The same table drives the authorisation
// middleware and the test that walks every route as every role.
type Route struct {
	Pattern string // e.g. "GET /api/v1/persons/{fin}"
	Access  Access
	Roles   []dost.Role // for ByRole
	Handler http.HandlerFunc
}

// Allows reports whether a user (nil: nobody signed in) may call the route.
func (r Route) Allows(u *dost.User) bool {
	switch r.Access {
	case Public:
		return true
	case SignedIn:
		return u != nil
	case Staff:
		if u == nil {
			return false
		}
		for _, role := range dost.StaffRoles {
			if u.HasRole(role) {
				return true
			}
		}
		return false
	case ByRole:
		if u == nil {
			return false
		}
		for _, role := range r.Roles {
			if u.HasRole(role) {
				return true
			}
		}
	}
	return false
}

// Routes returns the whole route table: API and UI.
func (s *Server) Routes() []Route {
	var rs []Route
	rs = append(rs, s.systemRoutes()...)
	rs = append(rs, s.apiRoutes()...)
	rs = append(rs, s.applicationRoutes()...)
	rs = append(rs, s.awardRoutes()...)
	rs = append(rs, s.eventRoutes()...)
	rs = append(rs, s.rulesAPIRoutes()...)
	rs = append(rs, s.uiRoutes()...)
	rs = append(rs, s.applicationPageRoutes()...)
	rs = append(rs, s.verifyRoutes()...)
	rs = append(rs, s.payrollRoutes()...)
	rs = append(rs, s.suspensionRoutes()...) // api_suspensions.go
	rs = append(rs, s.payrollPageRoutes()...)
	rs = append(rs, s.hallRoutes()...)
	rs = append(rs, s.hallPageRoutes()...)
	rs = append(rs, s.trainingRoutes()...)
	rs = append(rs, s.trainingPageRoutes()...)
	rs = append(rs, s.hallKPIRoutes()...)
	rs = append(rs, append(s.sessionRoutes(), s.accountPageRoutes()...)...) // api_sessions.go, ui_account.go
	rs = append(rs, s.portalRoutes()...)
	rs = append(rs, append(append(s.certificateRoutes(), s.portalCertificateRoutes()...), s.verifyCertificateRoutes()...)...) // api_certificates.go, ui_portal_certificates.go, ui_verify_cert.go
	rs = append(rs, s.oidcRoutes()...)
	rs = append(rs, s.auditRoutes()...) // api_audit.go: audit trail, who viewed my data
	rs = append(rs, s.webhookRoutes()...)
	rs = append(rs, s.videoRoutes()...)     // api_video.go, video_ws.go
	rs = append(rs, s.videoPageRoutes()...) // ui_video.go
	return rs
}

// Handler returns the server's handler: the mux built from the route table,
// each route wrapped in the authorisation check, and the middleware around
// it all. The first call builds it; later calls return the same handler, so
// a test or benchmark may call it on an open Server. Set the exported
// fields before the first call.
func (s *Server) Handler() (http.Handler, error) {
	s.handlerOnce.Do(func() { s.handler, s.handlerErr = s.buildHandler() })
	return s.handler, s.handlerErr
}

// buildHandler builds what Handler returns.
func (s *Server) buildHandler() (http.Handler, error) {
	if err := s.openUI(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics()
	s.board = &Board{}
	// Rate limits use the wall clock, not s.Clock: a test clock standing
	// still would never refill the buckets.
	s.signInLimiter = newRateLimiter(s.SignInLimit, time.Now)
	s.publicLimiter = newRateLimiter(s.PublicLimit, time.Now)
	s.mux = http.NewServeMux()
	for _, r := range s.Routes() {
		if err := register(s.mux, r.Pattern, s.authorize(r)); err != nil {
			return nil, err
		}
	}
	return s.middleware(s.mux), nil
}

// register adds a pattern, turning ServeMux's panic on a bad or duplicate
// pattern into an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("route %q: %v", pattern, r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
