package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dost-az/dost"
)

// signInForm is the staff sign-in form, parsed from the request and
// re-rendered with Error (a message key) when sign-in fails.
type signInForm struct {
	Username string
	Next     string
	Error    string
	// OIDC shows the button "Sign in with the digital login" (OIDCDemo:
	// the demo provider's).
	OIDC, OIDCDemo bool
}

// renderSignIn renders the sign-in page with the digital login's button
// when OIDC is configured.
func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, form signInForm) {
	form.OIDC = s.OIDC != nil
	form.OIDCDemo = form.OIDC && s.OIDC.Demo
	s.render(w, r, status, "signin", "signin", form)
}

// handleSignInForm handles "GET /signin": the staff password form.
func (s *Server) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	s.renderSignIn(w, r, http.StatusOK, signInForm{Next: localPath(r.URL.Query().Get("next"))})
}

// handleSignIn handles "POST /signin". A wrong username or password
// re-renders the form (401) with one message for both; a locked or
// disabled account re-renders it (403) saying so; success sets the session
// cookie and redirects to the form's local next path, else to /staff.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	form := signInForm{
		Username: strings.TrimSpace(r.PostFormValue("username")),
		Next:     localPath(r.PostFormValue("next")),
	}
	password := r.PostFormValue("password")
	if form.Username == "" || password == "" {
		form.Error = "signin.error.missing"
		s.renderSignIn(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	meta := dost.SignInMeta{IP: remoteIP(r), UserAgent: r.UserAgent()}
	_, token, err := s.UserService.SignIn(r.Context(), form.Username, password, meta)
	switch dost.ErrorCode(err) {
	case "":
	case dost.EUNAUTHORIZED:
		form.Error = "signin.error.invalid"
		s.renderSignIn(w, r, http.StatusUnauthorized, form)
		return
	case dost.EFORBIDDEN:
		form.Error = "signin.error.locked"
		s.renderSignIn(w, r, http.StatusForbidden, form)
		return
	default:
		s.Error(w, r, err)
		return
	}
	s.setSessionCookie(w, token)
	next := form.Next
	if next == "" {
		next = "/staff"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleSignOut handles "POST /signout": it ends the browser's session,
// if any, clears the cookie and goes home.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := s.UserService.SignOut(r.Context(), c.Value); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// localPath returns next if it is a path on this site ("/persons?x=1"),
// else "": an open redirect to another host must not follow sign-in.
//
// Browsers strip tabs and newlines from a Location and read a backslash as
// a slash, so "/\t/evil.example" or "/\\evil.example" would reach another
// host: any control character or backslash is refused outright, and what is
// left must start with one "/" and parse with no scheme and no host.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}
