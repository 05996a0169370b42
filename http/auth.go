package http

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// SessionCookie is the name of the cookie holding a browser's session token.
const SessionCookie = "dost_session"

// authenticate finds the user of a request from its bearer token or session
// cookie and returns the request with the user in its context. A request
// with a bad bearer token is refused outright; a stale cookie is cleared and
// the request continues as nobody.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	if len(r.Header["Authorization"]) == 0 && len(r.Header["Cookie"]) == 0 {
		return r, true // nobody, and nothing to look up (most public API calls)
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			s.Error(w, r, dost.Errorf(dost.EUNAUTHORIZED, "Use the Bearer authorization scheme."))
			return r, false
		}
		t, err := s.UserService.FindAPIToken(r.Context(), strings.TrimSpace(token))
		if err != nil {
			s.Error(w, r, err)
			return r, false
		}
		ctx := context.WithValue(r.Context(), apiTokenKey{}, t)
		return r.WithContext(dost.NewContextWithUser(ctx, t.User)), true
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		sess, err := s.UserService.FindSessionByToken(r.Context(), c.Value)
		if err != nil {
			if dost.ErrorCode(err) != dost.EUNAUTHORIZED {
				s.Error(w, r, err)
				return r, false
			}
			s.clearSessionCookie(w)
			return r, true
		}
		ctx := context.WithValue(r.Context(), sessionKey{}, sess)
		return r.WithContext(dost.NewContextWithUser(ctx, sess.User)), true
	}
	return r, true
}

type apiTokenKey struct{}
type sessionKey struct{}

// apiTokenFrom returns the bearer token the request authenticated with, or
// nil.
func apiTokenFrom(r *http.Request) *dost.APIToken {
	t, _ := r.Context().Value(apiTokenKey{}).(*dost.APIToken)
	return t
}

// sessionFrom returns the session the request's cookie belongs to, or nil
// (no cookie, or a bearer token).
func sessionFrom(r *http.Request) *dost.Session {
	sess, _ := r.Context().Value(sessionKey{}).(*dost.Session)
	return sess
}

// checkScope narrows a bearer token to its scopes (sessions are not
// scoped). A token without the route's scope (RouteScope) is refused with
// 403 (field error code "token.scope", naming the scope) on routes behind
// sign-in; on public routes it counts as nobody, as if it were not sent.
// It returns the request to go on with, or false when it answered.
func (s *Server) checkScope(w http.ResponseWriter, r *http.Request, rt Route) (*http.Request, bool) {
	t := apiTokenFrom(r)
	if t == nil {
		return r, true
	}
	need := RouteScope(rt.Pattern)
	if dost.ScopesCover(t.Scopes, need) {
		return r, true
	}
	if rt.Access == Public {
		return r.WithContext(dost.NewContextWithUser(r.Context(), nil)), true
	}
	msg := fmt.Sprintf("This API token lacks the scope %s.", need)
	s.Error(w, r, &dost.Error{Code: dost.EFORBIDDEN, Message: msg,
		Fields: []dost.FieldError{{Field: "scope", Code: "token.scope", Message: msg}}})
	return r, false
}

// scopeAreas groups the first segments of route paths into the areas of
// token scopes; a segment not listed is its own area (so new resources get
// a scope without a change here).
var scopeAreas = map[string]string{
	"persons": "persons", "households": "persons",
	"applications": "applications", "deadlines": "applications", "decisions": "applications",
	"awards": "applications", "offers": "applications", "notifications": "applications",
	"events":  "events",
	"payroll": "payroll",
	"centres": "hall", "counters": "hall", "tickets": "hall", "appointments": "hall",
	"feedback": "hall", "hall": "hall", "dashboard": "hall", "kiosk": "hall",
	"services": "catalogue", "holidays": "catalogue", "staff": "catalogue",
	"courses": "training", "completions": "training", "certifications": "training", "training": "training",
	"variables": "rules", "parameters": "rules", "entities": "rules", "calculate": "rules",
	"trace": "rules", "rules": "rules",
	"me": "account", "session": "account", "sessions": "account", "account": "account",
	"signin": "account", "signout": "account", "users": "users",
	"healthz": "system", "readyz": "system", "metrics": "system", "openapi.json": "system",
	"": "home", "{$}": "home",
}

// RouteScope returns the scope a bearer token needs for a route pattern:
// the area of the path's first segment after "/api/v1/" (or "/" for
// pages), grouped by scopeAreas, with "read" for GET and HEAD and "write"
// for every other method.
func RouteScope(pattern string) dost.Scope {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	access := dost.AccessWrite
	if method == "" || method == http.MethodGet || method == http.MethodHead {
		access = dost.AccessRead
	}
	path = strings.TrimPrefix(path, "/api/v1/")
	path = strings.TrimPrefix(path, "/")
	seg, _, _ := strings.Cut(path, "/")
	area, ok := scopeAreas[seg]
	if !ok {
		// An area is lower-case letters, digits, "-" and "_" (dost.ParseScope).
		area = strings.ToLower(seg)
		if i := strings.IndexFunc(area, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}); i >= 0 {
			area = area[:i]
		}
		if area == "" || area[0] < 'a' || area[0] > 'z' {
			area = "home"
		}
	}
	return dost.NewScope(area, access)
}

// Scopes returns the area scopes of the route table, sorted: the scopes
// worth giving a token, besides dost.ScopeAll and dost.ScopeReadAll.
func (s *Server) Scopes() []dost.Scope {
	seen := map[dost.Scope]bool{}
	var scopes []dost.Scope
	for _, rt := range s.Routes() {
		if rt.Pattern == staticPattern || !strings.Contains(rt.Pattern, "/api/") {
			continue
		}
		sc := RouteScope(rt.Pattern)
		if !seen[sc] {
			seen[sc] = true
			scopes = append(scopes, sc)
		}
	}
	slices.Sort(scopes)
	return scopes
}

// authorize wraps a route's handler with the route table's access check,
// preceded by the route's rate limit. It records the route pattern and the
// user for the access log and metrics.
func (s *Server) authorize(rt Route) http.Handler {
	limiter := s.limiterFor(rt)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := requestInfoFrom(r)
		info.pattern = rt.Pattern
		if ok, wait := limiter.allow(remoteIP(r)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			s.Error(w, r, errRateLimited)
			return
		}
		if rt.Pattern == staticPattern {
			// Static files are the same for everyone: no session lookup.
			rt.Handler(w, r)
			return
		}
		r, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if r, ok = s.checkScope(w, r, rt); !ok {
			return
		}
		u := dost.UserFromContext(r.Context())
		if u != nil {
			info.userID.Store(u.ID)
		}
		if s.AuditService != nil { // audit.go: records changes, staff reads of a person, denials; asks for a reason
			aw, ok := s.beginAudit(w, r, rt, u)
			if !ok {
				return
			}
			if aw != nil {
				defer aw.end()
				w = aw
			}
		}
		if !rt.Allows(u) {
			if u == nil {
				if isAPI(r) {
					s.Error(w, r, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first."))
				} else {
					http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				}
				return
			}
			s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "You do not have permission for this."))
			return
		}
		rt.Handler(w, r)
	})
}

// staticPattern is the route of the embedded static files.
const staticPattern = "GET /static/"

// signInPatterns are the routes that check passwords (signing in, and
// changing one's password, which checks the current one), and those that
// check a booking's second factor (the phone or FIN given at booking, with
// its code: a phone is guessable at the public routes' rate). The cancel
// form's GET checks nothing and keeps the public limit.
var signInPatterns = map[string]bool{"POST /signin": true, "POST /api/v1/session": true,
	"POST /account/password": true, "POST /api/v1/session/password": true,
	"POST /appointments/cancel": true, "POST /api/v1/appointments/cancel": true}

// unlimitedPatterns are public routes without a rate limit: probes,
// metrics and the OpenAPI document.
var unlimitedPatterns = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
}

// limiterFor returns the rate limiter of a route, or nil for none:
// sign-in routes (signInPatterns, also those behind sign-in) share the
// sign-in limiter, the other public routes the public one, except probes,
// metrics and static files. Other routes behind sign-in are not limited.
func (s *Server) limiterFor(rt Route) *rateLimiter {
	switch {
	case signInPatterns[rt.Pattern]:
		return s.signInLimiter
	case rt.Access != Public, unlimitedPatterns[rt.Pattern], rt.Pattern == staticPattern:
		return nil
	}
	return s.publicLimiter
}

// setSessionCookie gives the browser its session token.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/",
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
		MaxAge: int(dost.SessionMaxAge.Seconds()),
	})
}

// clearSessionCookie removes the session cookie.
func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// isAPI reports whether r is a JSON API request.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
