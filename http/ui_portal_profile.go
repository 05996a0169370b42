package http

import (
	"net/http"
	"strings"

	"github.com/dost-az/dost"
)

// This file holds the citizen's profile page: the phone, e-mail and
// language dost reaches them by (PortalService.UpdateProfile).

// profileView is the profile form.
type profileView struct {
	Phone, Email, Language string
	Languages              []string
	Saved                  bool
	Alert                  string
	Errors                 map[string]string // field → message key
}

// handlePortalProfile handles "GET /my/profile": the form with the
// person's phone, e-mail and language.
func (s *Server) handlePortalProfile(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	v := profileView{Phone: c.Person.Phone, Email: c.Person.Email, Language: c.Person.Lang(), Languages: dost.Languages,
		Saved: r.URL.Query().Get("saved") == "1", Errors: map[string]string{}}
	s.renderPortal(w, r, http.StatusOK, "portal_profile", "my.profile", c, v)
}

// handlePortalProfileForm handles "POST /my/profile": saves the phone,
// e-mail and language (the person's, and the e-mail on the account too)
// in one transaction; the pages switch to the language chosen at once and
// notifications are written in it. Bad input re-renders the form with
// the messages and changes nothing.
func (s *Server) handlePortalProfileForm(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	v := profileView{Phone: strings.TrimSpace(r.PostFormValue("phone")), Email: strings.TrimSpace(r.PostFormValue("email")),
		Language: strings.TrimSpace(r.PostFormValue("language")), Languages: dost.Languages, Errors: map[string]string{}}
	upd := dost.ProfileUpdate{Phone: &v.Phone, Email: &v.Email, Language: &v.Language}
	p, err := s.Portal.UpdateProfile(r.Context(), c.User.ID, c.Person.ID, upd)
	if err == nil {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: p.Language, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/my/profile?saved=1", http.StatusSeeOther)
		return
	}
	if dost.ErrorCode(err) != dost.EINVALID {
		s.Error(w, r, err)
		return
	}
	v.Alert = "form.alert.invalid"
	for _, f := range dost.ErrorFields(err) {
		switch f.Field {
		case "phone", "email", "language":
			v.Errors[f.Field] = "portal.profile.error." + f.Field
		}
	}
	s.renderPortal(w, r, http.StatusBadRequest, "portal_profile", "my.profile", c, v)
}
