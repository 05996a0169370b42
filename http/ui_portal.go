package http

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/dost-az/dost"
)

// This file holds the frame of the citizen's account (the portal): its
// rows of the route table, the signed-in citizen every /my page starts
// from, and the overview with the to-do list. The other pages are in
// ui_portal_*.go, the JSON API in api_me*.go.
//
// Every /my route derives the person from the session (User.PersonID),
// never from the URL: an id in a URL (an application, an offer, an
// appointment) is checked to be the citizen's own, and one that is not
// answers 404, as an unknown one does, so that its existence is not
// confirmed.

// portalRoles are the roles the portal's routes admit: citizens.
var portalRoles = []dost.Role{dost.RoleCitizen}

// appealDays is how long after a decision the portal lists it as open to
// appeal; it mirrors casework.AppealDays, which refuses a later appeal.
const appealDays = 30

// portalRoutes returns the portal's rows of the route table.
func (s *Server) portalRoutes() []Route {
	my := func(pattern string, h http.HandlerFunc) Route {
		return Route{Pattern: pattern, Access: ByRole, Roles: portalRoles, Handler: h}
	}
	return append(s.meRoutes(), // api_me.go
		my("GET /my", s.handlePortalOverview),
		my("GET /my/benefits", s.handlePortalBenefits),                           // ui_portal_benefits.go
		my("GET /my/payments", s.handlePortalPayments),                           // ui_portal_benefits.go
		my("GET /my/applications", s.handlePortalApplications),                   // ui_portal_applications.go
		my("GET /my/applications/new", s.handlePortalApplyPage),                  // ui_portal_apply.go
		my("POST /my/applications", s.handlePortalApplyForm),                     // ui_portal_apply.go
		my("GET /my/applications/{id}", s.handlePortalApplication),               // ui_portal_applications.go
		my("POST /my/applications/{id}/actions", s.handlePortalApplicationAct),   // ui_portal_applications.go
		my("POST /my/applications/{id}/documents", s.handlePortalDocumentUpload), // ui_portal_applications.go
		my("GET /my/offers", s.handlePortalOffers),                               // ui_portal_offers.go
		my("POST /my/offers/{id}", s.handlePortalOfferAnswer),                    // ui_portal_offers.go
		my("GET /my/appointments", s.handlePortalAppointments),                   // ui_portal_appointments.go
		my("GET /my/appointments/new", s.handlePortalBookPage),                   // ui_portal_appointments.go
		my("POST /my/appointments", s.handlePortalBookForm),                      // ui_portal_appointments.go
		my("POST /my/appointments/{id}/cancel", s.handlePortalCancel),            // ui_portal_appointments.go
		my("GET /my/profile", s.handlePortalProfile),                             // ui_portal_profile.go
		my("POST /my/profile", s.handlePortalProfileForm),                        // ui_portal_profile.go
	)
}

// errNotLinked answers a citizen account that is linked to no person of
// the registry: there is no account to show.
var errNotLinked = dost.Errorf(dost.ENOTFOUND, "Your account is not linked to a person of the registry.")

// errNoPortal answers the portal's routes on a server without a
// PortalService.
var errNoPortal = dost.Errorf(dost.ENOTFOUND, "The citizen's account is not available on this server.")

// citizen is the signed-in citizen a portal request acts for: the account,
// its person and the person's household (0: none).
type citizen struct {
	User        *dost.User
	Person      *dost.Person
	HouseholdID int64
}

// citizenOf returns the signed-in citizen of r. ENOTFOUND (errNotLinked)
// for an account linked to no person, errNoPortal without a
// PortalService.
func (s *Server) citizenOf(ctx context.Context) (*citizen, error) {
	if s.Portal == nil {
		return nil, errNoPortal
	}
	u := dost.UserFromContext(ctx)
	if u == nil || u.PersonID == nil {
		return nil, errNotLinked
	}
	p, err := s.PersonService.FindPersonByID(ctx, *u.PersonID)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, errNotLinked
	} else if err != nil {
		return nil, err
	}
	c := &citizen{User: u, Person: p}
	hs, _, err := s.HouseholdService.FindHouseholds(ctx, dost.HouseholdFilter{PersonID: &p.ID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(hs) > 0 {
		c.HouseholdID = hs[0].ID
	}
	return c, nil
}

// portalCitizen returns the signed-in citizen, or answers the error and
// returns nil. On a page (not the API) without a language chosen (?lang=
// or the cookie) it adopts the person's language, so the account speaks
// the language set in the profile on any browser.
func (s *Server) portalCitizen(w http.ResponseWriter, r *http.Request) *citizen {
	c, err := s.citizenOf(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return nil
	}
	if _, err := r.Cookie(LangCookie); err != nil && r.URL.Query().Get("lang") == "" && dost.ValidLanguage(c.Person.Language) {
		cookie := &http.Cookie{Name: LangCookie, Value: c.Person.Language, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode}
		http.SetCookie(w, cookie)
		r.AddCookie(cookie)
	}
	return c
}

// portalPage is what every portal view gets: the citizen and the view's
// own data.
type portalPage struct {
	Me   *citizen
	View any
}

// renderPortal renders a portal view; nav names the portal_nav entry.
func (s *Server) renderPortal(w http.ResponseWriter, r *http.Request, status int, view, nav string, c *citizen, v any) {
	s.render(w, r, status, view, nav, portalPage{Me: c, View: v})
}

// todo is one entry of the overview's to-do list: Kind chooses its text
// ("documents", "offer", "appointment", "appeal"), URL where it is done.
type todo struct {
	Kind   string
	Key    string    // the message key of its text: "portal.todo.<kind>"
	DueKey string    // the message key of its date: "portal.todo.<kind>.due"
	Title  dost.Text // the service or programme
	Ref    string    // an application number, a booking code
	Due    string    // a date or time, "" if none
	URL    string
}

// overviewView is the overview: the to-do list and counts for the cards.
type overviewView struct {
	Todos        []todo
	Applications int // open ones
	Awards       int // active ones of the household
	Appointments int // upcoming
}

// handlePortalOverview handles "GET /my": the citizen's overview with the
// to-do list (documents requested, offers to confirm, upcoming
// appointments, decisions open to appeal), each linking where it is done.
func (s *Server) handlePortalOverview(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	v, err := s.overviewOf(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderPortal(w, r, http.StatusOK, "portal", "my", c, v)
}

// overviewOf builds the overview of c.
func (s *Server) overviewOf(ctx context.Context, c *citizen) (*overviewView, error) {
	v := &overviewView{}
	names, err := s.serviceIndex(ctx)
	if err != nil {
		return nil, err
	}
	title := func(code string) dost.Text {
		if svc := names[code]; svc != nil {
			return svc.Name
		}
		return dost.Text{AZ: code, EN: code, RU: code}
	}
	apps, _, err := s.ApplicationService.FindApplications(ctx, dost.ApplicationFilter{PersonID: c.Person.ID, Limit: 200})
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	today := dost.Today(s.Clock)
	for _, a := range apps {
		if a.PersonID != c.Person.ID {
			continue
		}
		if a.Status.Open() {
			v.Applications++
		}
		switch a.Status {
		case dost.ApplicationInformationRequested:
			v.Todos = append(v.Todos, todo{Kind: "documents", Title: title(a.ServiceCode), Ref: a.Number,
				Due: a.Deadline.String(), URL: portalApplicationPath(a.ID) + "#documents"})
		case dost.ApplicationApproved, dost.ApplicationRefused:
			if a.DecisionID == 0 {
				continue
			}
			d, err := s.AwardService.FindDecisionByID(ctx, a.DecisionID)
			if err != nil {
				return nil, err
			}
			last := dost.DateOf(d.DecidedAt.In(dost.Baku)).AddDate(0, 0, appealDays)
			if !today.After(last) {
				v.Todos = append(v.Todos, todo{Kind: "appeal", Title: title(a.ServiceCode), Ref: a.Number,
					Due: last.String(), URL: portalApplicationPath(a.ID) + "#appeal"})
			}
		}
	}
	if s.OfferService != nil {
		offers, err := s.OfferService.FindOffers(ctx, c.Person.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range offers {
			if o.PersonID == c.Person.ID && o.Status == dost.OfferSent && !o.ExpiresOn.Before(today) {
				v.Todos = append(v.Todos, todo{Kind: "offer", Title: s.programmeName(o.Programme, title(o.ServiceCode)),
					Due: o.ExpiresOn.String(), URL: "/my/offers#offer-" + itoa64(o.ID)})
			}
		}
	}
	if s.Hall != nil {
		booked, _, err := s.Hall.FindAppointments(ctx, dost.AppointmentFilter{PersonID: c.Person.ID,
			Statuses: []dost.AppointmentStatus{dost.AppointmentBooked}, From: now, Limit: 50})
		if err != nil {
			return nil, err
		}
		for _, a := range booked {
			if a.PersonID != c.Person.ID {
				continue
			}
			v.Appointments++
			v.Todos = append(v.Todos, todo{Kind: "appointment", Title: title(a.ServiceCode), Ref: a.Code,
				Due: a.Start.In(dost.Baku).Format("2006-01-02 15:04"), URL: "/my/appointments#appointment-" + itoa64(a.ID)})
		}
	}
	awards, _, err := s.Portal.FindHouseholdAwards(ctx, c.Person.ID, 0, 500)
	if err != nil {
		return nil, err
	}
	for _, w := range awards {
		if w.Status == dost.AwardActive {
			v.Awards++
		}
	}
	// Most urgent first: documents and offers have deadlines, then
	// appeals, then appointments, each by its date.
	order := []string{"documents", "offer", "appeal", "appointment"}
	slices.SortStableFunc(v.Todos, func(a, b todo) int {
		if d := slices.Index(order, a.Kind) - slices.Index(order, b.Kind); d != 0 {
			return d
		}
		switch {
		case a.Due < b.Due:
			return -1
		case a.Due > b.Due:
			return 1
		}
		return 0
	})
	for i := range v.Todos {
		v.Todos[i].Key = "portal.todo." + v.Todos[i].Kind
		v.Todos[i].DueKey = v.Todos[i].Key + ".due"
	}
	return v, nil
}

// programmeName returns the name of programme code, or def when the
// server does not know it.
func (s *Server) programmeName(code string, def dost.Text) dost.Text {
	for _, p := range s.Programmes {
		if p.Code == code {
			return p.Name
		}
	}
	return def
}

// portalApplicationPath returns the portal page of application id.
func portalApplicationPath(id int64) string { return "/my/applications/" + itoa64(id) }

// itoa64 formats an id.
func itoa64(i int64) string { return strconv.FormatInt(i, 10) }

// portalDate formats t as Baku's date.
func portalDate(t time.Time) string { return t.In(dost.Baku).Format("2006-01-02") }
