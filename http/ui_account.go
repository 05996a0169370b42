package http

import (
	"net/http"

	"github.com/dost-az/dost"
)

// accountPageRoutes are the signed-in user's own account pages: their
// sessions and their password (issue 7, hardening).
func (s *Server) accountPageRoutes() []Route {
	return []Route{
		{Pattern: "GET /account/sessions", Access: SignedIn, Handler: s.handleAccountSessions},
		{Pattern: "POST /account/sessions/{id}/revoke", Access: SignedIn, Handler: s.handleAccountSessionRevoke},
		{Pattern: "POST /account/sessions/revoke-others", Access: SignedIn, Handler: s.handleAccountSessionsRevokeOthers},
		{Pattern: "GET /account/password", Access: SignedIn, Handler: s.handleAccountPassword},
		{Pattern: "POST /account/password", Access: SignedIn, Handler: s.handleAccountPasswordForm},
	}
}

// accountSessionRow is one row of the sessions table.
type accountSessionRow struct {
	ID        int64
	Created   string // Baku's date and time
	LastSeen  string
	IP        string
	UserAgent string
	Current   bool
}

// accountSessionsPage is the data of the sessions page.
type accountSessionsPage struct {
	Sessions []accountSessionRow
	Notice   string // message key of what was just done
	Revoked  int
}

// handleAccountSessions handles "GET /account/sessions": the signed-in
// user's live sessions (started, last seen, address, browser), this one
// marked, each other with a button that ends it, and one that ends all
// others. ?done=one|others|password says what was just done.
func (s *Server) handleAccountSessions(w http.ResponseWriter, r *http.Request) {
	views, err := s.userSessions(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := accountSessionsPage{}
	for _, x := range views {
		v.Sessions = append(v.Sessions, accountSessionRow{ID: x.ID, Created: clockTime(x.CreatedAt),
			LastSeen: clockTime(x.LastSeenAt), IP: x.IP, UserAgent: x.UserAgent, Current: x.Current})
	}
	switch r.URL.Query().Get("done") {
	case "one":
		v.Notice = "account.sessions.done.one"
	case "others":
		v.Notice = "account.sessions.done.others"
	case "password":
		v.Notice = "account.password.done"
	}
	s.render(w, r, http.StatusOK, "account_sessions", "account", v)
}

// handleAccountSessionRevoke handles "POST /account/sessions/{id}/revoke":
// ends one of the user's sessions and goes back to the list; ending the
// current one signs out. 404 for a session that is not the user's.
func (s *Server) handleAccountSessionRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(r.Context())
	if err := s.UserService.RevokeSession(r.Context(), u.ID, id); err != nil {
		s.Error(w, r, err)
		return
	}
	if id == currentSessionID(r) {
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account/sessions?done=one", http.StatusSeeOther)
}

// handleAccountSessionsRevokeOthers handles "POST
// /account/sessions/revoke-others": ends every session of the user but
// this one.
func (s *Server) handleAccountSessionsRevokeOthers(w http.ResponseWriter, r *http.Request) {
	u := dost.UserFromContext(r.Context())
	if _, err := s.UserService.RevokeOtherSessions(r.Context(), u.ID, currentSessionID(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account/sessions?done=others", http.StatusSeeOther)
}

// accountPasswordPage is the data of the password page.
type accountPasswordPage struct {
	Alert  string            // message key
	Errors map[string]string // field → message key
}

// handleAccountPassword handles "GET /account/password": the form to change
// one's password.
func (s *Server) handleAccountPassword(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "account_password", "account", accountPasswordPage{})
}

// handleAccountPasswordForm handles "POST /account/password": changes the
// user's password (the current one checked; the new one typed twice), ends
// their other sessions and goes to the sessions page saying so. Errors
// re-render the form (400: a field; 403: locked by wrong guesses).
func (s *Server) handleAccountPasswordForm(w http.ResponseWriter, r *http.Request) {
	current, next := r.PostFormValue("current_password"), r.PostFormValue("password")
	v := accountPasswordPage{Errors: map[string]string{}}
	switch {
	case current == "":
		v.Errors["current_password"] = "form.error.required"
	case next == "":
		v.Errors["password"] = "form.error.required"
	case next != r.PostFormValue("password_again"):
		v.Errors["password_again"] = "account.password.error.mismatch"
	}
	if len(v.Errors) > 0 {
		v.Alert = "form.alert.invalid"
		s.render(w, r, http.StatusBadRequest, "account_password", "account", v)
		return
	}
	u := dost.UserFromContext(r.Context())
	err := s.UserService.ChangePassword(r.Context(), u.ID, current, next, currentSessionID(r))
	if err == nil {
		http.Redirect(w, r, "/account/sessions?done=password", http.StatusSeeOther)
		return
	}
	switch dost.ErrorCode(err) {
	case dost.EINVALID:
		v.Alert = "form.alert.invalid"
		for _, f := range dost.ErrorFields(err) {
			switch f.Code {
			case "password.wrong":
				v.Errors["current_password"] = "account.password.error.wrong"
			case "password.too_short":
				v.Errors["password"] = "account.password.error.short"
			default:
				v.Errors[f.Field] = "form.error.invalid"
			}
		}
	case dost.EFORBIDDEN:
		v.Alert = "account.password.error.locked"
	case dost.ECONFLICT:
		v.Alert = "account.password.error.changed"
	default:
		s.Error(w, r, err)
		return
	}
	s.render(w, r, ErrorStatus(err), "account_password", "account", v)
}
