package http

import (
	"net/http"
	"time"

	"github.com/dost-az/dost"
)

// signInInput is the body of "POST /api/v1/session".
type signInInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// sessionOutput is the answer of "POST /api/v1/session".
type sessionOutput struct {
	User      *dost.User `json:"user"`
	ExpiresAt time.Time  `json:"expires_at"`
}

// handleSessionCreate handles "POST /api/v1/session": signs in with a
// username and password, setting the session cookie. 201 with the user;
// 401 for a wrong username or password (one message for both), 403 for a
// disabled or locked account. Rate limited per IP.
func (s *Server) handleSessionCreate(w http.ResponseWriter, r *http.Request) {
	var in signInInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	var v dost.Validation
	if in.Username == "" {
		v.Add("username", "required", "Username is required.")
	}
	if in.Password == "" {
		v.Add("password", "required", "Password is required.")
	}
	if err := v.Err("Sign-in needs a username and a password."); err != nil {
		s.Error(w, r, err)
		return
	}
	sess, token, err := s.UserService.SignIn(r.Context(), in.Username, in.Password,
		dost.SignInMeta{IP: remoteIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.setSessionCookie(w, token)
	u := sess.User
	if u == nil {
		if u, err = s.UserService.FindUserByID(r.Context(), sess.UserID); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	requestInfoFrom(r).userID.Store(u.ID)
	writeJSON(w, http.StatusCreated, sessionOutput{User: u, ExpiresAt: sess.ExpiresAt})
}

// handleSessionDelete handles "DELETE /api/v1/session": signs out, ending
// the session of the cookie and clearing it. 204, also when nobody was
// signed in.
func (s *Server) handleSessionDelete(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := s.UserService.SignOut(r.Context(), c.Value); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

// handleMe handles "GET /api/v1/me": the signed-in user.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, dost.UserFromContext(r.Context()))
}
