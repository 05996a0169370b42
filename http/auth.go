package http

import (
	"net/http"
	"net/url"
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
		u, err := s.UserService.FindUserByAPIToken(r.Context(), strings.TrimSpace(token))
		if err != nil {
			s.Error(w, r, err)
			return r, false
		}
		return r.WithContext(dost.NewContextWithUser(r.Context(), u)), true
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
		return r.WithContext(dost.NewContextWithUser(r.Context(), sess.User)), true
	}
	return r, true
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
		u := dost.UserFromContext(r.Context())
		if u != nil {
			info.userID.Store(u.ID)
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

// signInPatterns are the routes that check passwords, and those that
// check a booking's second factor (the phone or FIN given at booking, with
// its code: a phone is guessable at the public routes' rate). The cancel
// form's GET checks nothing and keeps the public limit.
var signInPatterns = map[string]bool{"POST /signin": true, "POST /api/v1/session": true,
	"POST /appointments/cancel": true, "POST /api/v1/appointments/cancel": true}

// unlimitedPatterns are public routes without a rate limit: probes,
// metrics and the OpenAPI document.
var unlimitedPatterns = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
}

// limiterFor returns the rate limiter of a route, or nil for none:
// sign-in routes share the sign-in limiter, the other public routes the
// public one, except probes, metrics and static files. Routes behind
// sign-in are not limited.
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
