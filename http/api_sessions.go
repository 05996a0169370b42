package http

import (
	"net/http"
	"time"

	"github.com/dost-az/dost"
)

// sessionRoutes are the signed-in user's sessions and password, and the
// administrators' revocation of another user's access (issue 7,
// hardening).
func (s *Server) sessionRoutes() []Route {
	admins := []dost.Role{dost.RoleAdmin}
	return []Route{
		{Pattern: "GET /api/v1/sessions", Access: SignedIn, Handler: s.handleSessionList},
		{Pattern: "DELETE /api/v1/sessions", Access: SignedIn, Handler: s.handleSessionRevokeOthers},
		{Pattern: "DELETE /api/v1/sessions/{id}", Access: SignedIn, Handler: s.handleSessionRevoke},
		{Pattern: "POST /api/v1/session/password", Access: SignedIn, Handler: s.handlePasswordChange},
		{Pattern: "POST /api/v1/users/{id}/revoke", Access: ByRole, Roles: admins, Handler: s.handleUserRevoke},
		{Pattern: "POST /api/v1/users/{id}/disable", Access: ByRole, Roles: admins, Handler: s.handleUserDisable},
		{Pattern: "POST /api/v1/users/{id}/enable", Access: ByRole, Roles: admins, Handler: s.handleUserDisable},
	}
}

// sessionView is one of the user's sessions as the API and the account
// page show it; Current marks the session of the request.
type sessionView struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// userSessions returns the signed-in user's live sessions, the request's
// own marked.
func (s *Server) userSessions(r *http.Request) ([]sessionView, error) {
	u := dost.UserFromContext(r.Context())
	ss, err := s.UserService.FindSessions(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	var current int64
	if sess := sessionFrom(r); sess != nil {
		current = sess.ID
	}
	views := make([]sessionView, len(ss))
	for i, x := range ss {
		views[i] = sessionView{ID: x.ID, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt,
			IP: x.IP, UserAgent: x.UserAgent, Current: x.ID == current}
	}
	return views, nil
}

// handleSessionList handles "GET /api/v1/sessions": the signed-in user's
// live sessions, the most recently used first, the request's own marked
// current (none is when the request came with an API token).
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) {
	views, err := s.userSessions(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": views})
}

// currentSessionID is the ID of the request's session, 0 for none.
func currentSessionID(r *http.Request) int64 {
	if sess := sessionFrom(r); sess != nil {
		return sess.ID
	}
	return 0
}

// handleSessionRevokeOthers handles "DELETE /api/v1/sessions": ends every
// session of the signed-in user except the request's own (with an API
// token: all of them). 200 with the number ended.
func (s *Server) handleSessionRevokeOthers(w http.ResponseWriter, r *http.Request) {
	u := dost.UserFromContext(r.Context())
	n, err := s.UserService.RevokeOtherSessions(r.Context(), u.ID, currentSessionID(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}

// handleSessionRevoke handles "DELETE /api/v1/sessions/{id}": ends one of
// the signed-in user's sessions (the request's own signs out, and clears
// the cookie). 204; 404 for a session that is not the user's.
func (s *Server) handleSessionRevoke(w http.ResponseWriter, r *http.Request) {
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
	}
	w.WriteHeader(http.StatusNoContent)
}

// passwordInput is the body of "POST /api/v1/session/password".
type passwordInput struct {
	CurrentPassword string `json:"current_password"`
	Password        string `json:"password"`
}

// handlePasswordChange handles "POST /api/v1/session/password": the
// signed-in user changes their password, giving the current one; every
// other session of theirs ends. 204; 400 with field "current_password"
// (code "password.wrong") or "password" (code "password.too_short");
// 403 when too many wrong current passwords locked the account.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) {
	var in passwordInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	var v dost.Validation
	if in.CurrentPassword == "" {
		v.Add("current_password", "required", "The current password is required.")
	}
	if in.Password == "" {
		v.Add("password", "required", "A new password is required.")
	}
	if err := v.Err("Changing the password needs the current and a new password."); err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(r.Context())
	if err := s.UserService.ChangePassword(r.Context(), u.ID, in.CurrentPassword, in.Password, currentSessionID(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleUserRevoke handles "POST /api/v1/users/{id}/revoke": an
// administrator ends all sessions and revokes all API tokens of a user.
// 200 with the counts; 404 for an unknown user.
func (s *Server) handleUserRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rv, err := s.UserService.RevokeUser(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rv)
}

// handleUserDisable handles "POST /api/v1/users/{id}/disable" and
// "POST /api/v1/users/{id}/enable": an administrator disables an account
// (its sessions end at once, its tokens are refused while it stays
// disabled) or enables it again. 200 with the user; 404 for an unknown
// user; 409 for an administrator disabling their own account.
func (s *Server) handleUserDisable(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	disabled := r.Pattern == "POST /api/v1/users/{id}/disable"
	if me := dost.UserFromContext(r.Context()); disabled && me.ID == id {
		s.Error(w, r, dost.Errorf(dost.ECONFLICT, "You cannot disable your own account."))
		return
	}
	u, err := s.UserService.UpdateUser(r.Context(), id, dost.UserUpdate{Disabled: &disabled})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
