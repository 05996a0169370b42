package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dost-az/dost"
)

// This file holds the pages of service by video (Smart DOST): the
// citizen's way into a video queue (from the portal, or from the kiosk of
// a Smart DOST point), the visit page that waits for the call and then
// holds it, the operator's video desk beside the counter console, and the
// interpreters' list of requests. The pages are shells: the call itself
// runs in the browser (static/video.js) over the video API and its
// WebSocket signalling (api_video.go, video_ws.go), which decide who may
// join a call. Issuing, calling and finishing video tickets are the
// hall's own code paths.

// videoPageRoutes returns the video pages' rows of the route table.
func (s *Server) videoPageRoutes() []Route {
	return []Route{
		{Pattern: "GET /my/video", Access: ByRole, Roles: portalRoles, Handler: s.handleVideoJoinPage},
		{Pattern: "POST /my/appointments/{id}/video", Access: ByRole, Roles: portalRoles, Handler: s.handlePortalVideoCheckIn}, // ui_video_appointment.go
		{Pattern: "GET /centres/{code}/video", Access: Public, Handler: s.handleVideoKioskPage},
		{Pattern: "GET /video/tickets/{id}", Access: Public, Handler: s.handleVideoVisitPage},
		{Pattern: "GET /video/calls/{ticket}", Access: Staff, Handler: s.handleVideoCallPage},
		{Pattern: "GET /video/interpretations", Access: Staff, Handler: s.handleVideoInterpretationsPage},
		{Pattern: "GET /hall/counters/{counter}/video", Access: ByRole, Roles: hallOperators, Handler: s.handleVideoDeskPage},
		{Pattern: "POST /hall/counters/{counter}/video/call-next", Access: ByRole, Roles: hallOperators, Handler: s.handleVideoDeskCallNext},
	}
}

// videoCentres returns the video centres (Centre.Kind video) and the
// active services each offers, in the catalogue's order.
func (s *Server) videoCentres(ctx context.Context) ([]videoCentre, error) {
	cs, _, err := s.CentreService.FindCentres(ctx, dost.CentreFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []videoCentre
	for _, c := range cs {
		if !s.isVideoCentre(ctx, c) {
			continue
		}
		svcs, err := s.offeredServices(ctx, c)
		if err != nil {
			return nil, err
		}
		if len(svcs) > 0 {
			out = append(out, videoCentre{Centre: c, Services: svcs})
		}
	}
	return out, nil
}

// videoCentre is a video centre with the services it offers.
type videoCentre struct {
	Centre   *dost.Centre
	Services []*dost.Service
}

// videoJoin is the page to join a video queue: the portal's (Kiosk
// false) or a Smart DOST point's kiosk (Kiosk true, one centre).
type videoJoin struct {
	Kiosk     bool
	Lang      string
	Languages []string // to choose the call's language from
	Centres   []videoCentre
	Msgs      map[string]string // the texts video_join.js shows
}

// videoJoinMessages are the catalogue keys video_join.js needs.
var videoJoinMessages = []string{"video.join.error", "video.join.error.rate_limited", "video.join.working"}

// videoCallMessages are the catalogue keys video.js needs.
var videoCallMessages = []string{
	"video.status.waiting", "video.status.called", "video.status.camera", "video.status.connecting",
	"video.status.connected", "video.status.alone", "video.status.reconnecting", "video.status.ended",
	"video.status.refused", "video.status.no_media", "video.status.failed", "video.status.audio_only_auto",
	"video.status.joined", "video.status.left", "video.status.idle", "video.status.finished", "video.status.cancelled",
	"video.quality.good", "video.quality.fair", "video.quality.poor", "video.quality.unknown", "video.quality.detail",
	"video.chat.me", "video.chat.system", "video.role.citizen", "video.role.operator", "video.role.interpreter",
	"video.consent.asked", "video.consent.granted", "video.consent.refused", "video.consent.requested",
	"video.interpreter.requested", "video.wait.ahead", "video.wait.minutes", "video.wait.unknown",
	"video.interpretations.none", "video.interpretations.accept", "video.interpretations.language",
	"video.interpretations.ticket", "video.interpretations.error", "video.person.open", "video.call.title",
	"video.record.start", "video.record.stop", "video.record.started", "video.record.saved", "video.record.refused",
	"video.record.failed", "video.record.nothing", "video.record.stopped_consent", "video.desk.documents.person",
	"hall.status.waiting", "hall.status.called", "hall.status.serving", "hall.status.parked",
	"hall.status.finished", "hall.status.no_show", "hall.status.cancelled",
}

// messagesFor returns the texts of keys in lang, for a page's script.
func (s *Server) messagesFor(lang string, keys []string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = s.ui.msgs.text(lang, k)
	}
	return m
}

// handleVideoJoinPage handles "GET /my/video": the citizen chooses a
// service of a video centre and joins its queue (video_join.js posts to
// "POST /api/v1/video/tickets" and opens the visit page).
func (s *Server) handleVideoJoinPage(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	cs, err := s.videoCentres(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	v := videoJoin{Lang: lang, Languages: dost.Languages, Centres: cs, Msgs: s.messagesFor(lang, videoJoinMessages)}
	s.renderPortal(w, r, http.StatusOK, "video_join", "my.video", c, v)
}

// handleVideoKioskPage handles "GET /centres/{code}/video": the kiosk of a
// Smart DOST point (a video centre): the visitor chooses a service, joins
// its video queue and waits for the call on the same screen. 404 for a
// centre that is not a video centre.
func (s *Server) handleVideoKioskPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.isVideoCentre(r.Context(), c) {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Centre %s is not a video centre.", c.Code))
		return
	}
	svcs, err := s.offeredServices(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := kioskLang(r)
	v := videoJoin{Kiosk: true, Lang: lang, Languages: dost.Languages, Centres: []videoCentre{{Centre: c, Services: svcs}},
		Msgs: s.messagesFor(lang, videoJoinMessages)}
	s.renderScreen(w, r, lang, http.StatusOK, "video_kiosk", v)
}

// videoCall is what the call panel (video_call.html) and video.js need.
type videoCall struct {
	TicketID int64
	Number   string
	Status   dost.TicketStatus
	Service  string // the ticket's service code: the one a hang-up finishes
	// Role is the viewer's part in the call: citizen, operator or
	// interpreter; it chooses the panel's buttons.
	Role string
	// Token is the ticket's token for a citizen (?t= on the API and the
	// WebSocket); empty for staff, who use their session.
	Token string
	// FeedbackURL is where the citizen rates the visit once it ends;
	// DoneURL where staff go once it ends.
	FeedbackURL string
	DoneURL     string
	Msgs        map[string]string
}

// videoVisit is a citizen's video visit: the ticket while it waits, then
// the call.
type videoVisit struct {
	Ticket      *dost.Ticket
	Centre      *dost.Centre
	Service     *dost.Service
	Ahead       *int
	WaitMinutes *int
	StatusURL   string // the ticket's API, polled for the place in the queue
	Open        bool
	Call        videoCall
}

// handleVideoVisitPage handles "GET /video/tickets/{id}": the citizen's
// video visit, reached with the ticket's token (?token=) from the portal
// or the kiosk: the place in the queue and the estimate while the ticket
// waits, then, as soon as it is called, the call on the same page; once
// the visit is finished, the link to rate it. 404 without the token.
func (s *Server) handleVideoVisitPage(w http.ResponseWriter, r *http.Request) {
	h, t, token, ok := s.tokenTicket(w, r, "Ticket")
	if !ok {
		return
	}
	c, err := s.CentreService.FindCentreByID(r.Context(), t.CentreID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.isVideoCentre(r.Context(), c) {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Ticket %d is not a video ticket.", t.ID))
		return
	}
	lang := s.requestLang(w, r)
	view := viewTicket(r.Context(), h, t)
	v := videoVisit{Ticket: t, Centre: c, Ahead: view.Ahead, Open: t.Status.Open(),
		StatusURL: "/api/v1/tickets/" + strconv.FormatInt(t.ID, 10) + "?token=" + url.QueryEscape(token),
		Call: videoCall{TicketID: t.ID, Number: t.Number, Status: t.Status, Service: t.ServiceCode, Role: "citizen", Token: token,
			FeedbackURL: feedbackPath(t.ID, token, "sms"), Msgs: s.messagesFor(lang, videoCallMessages)}}
	if view.EstimatedWaitSeconds != nil {
		m := (*view.EstimatedWaitSeconds + 59) / 60
		v.WaitMinutes = &m
	}
	if svc, err := s.CatalogueService.FindServiceByCode(r.Context(), t.ServiceCode); err == nil {
		v.Service = svc
	}
	s.render(w, r, http.StatusOK, "video_visit", "", v)
}

// handleVideoCallPage handles "GET /video/calls/{ticket}": the call page
// of staff other than the operator at the desk: the interpreter who
// accepted the call's interpretation request. Whether the viewer belongs
// to the call is the video API's decision: the page shows its refusal.
func (s *Server) handleVideoCallPage(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "ticket")
	if !ok {
		return
	}
	t, err := h.FindTicketByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	v := videoCall{TicketID: t.ID, Number: t.Number, Status: t.Status, Service: t.ServiceCode, Role: "interpreter", DoneURL: "/video/interpretations",
		Msgs: s.messagesFor(lang, videoCallMessages)}
	s.render(w, r, http.StatusOK, "video_call", "", v)
}

// handleVideoInterpretationsPage handles "GET /video/interpretations": the
// interpreters' queue of waiting interpretation requests, kept fresh by
// video_join.js from "GET /api/v1/video/interpretations?status=waiting";
// accepting one opens its call.
func (s *Server) handleVideoInterpretationsPage(w http.ResponseWriter, r *http.Request) {
	lang := s.requestLang(w, r)
	s.render(w, r, http.StatusOK, "video_interpretations", "", videoJoin{Lang: lang,
		Msgs: s.messagesFor(lang, append(append([]string{}, videoJoinMessages...), videoCallMessages...))})
}

// videoDesk is the operator's video desk: the counter's console reduced
// to what a video visit needs, and the call beside it.
type videoDesk struct {
	Centre  *dost.Centre
	Counter *dost.Counter
	Alert   string // message key
	OK      bool
	InHand  *dost.Ticket
	Service *dost.Service
	Waiting int
	Call    videoCall
}

// handleVideoDeskPage handles "GET /hall/counters/{counter}/video": the
// operator's video desk: call the next video ticket (as at a window), then
// the call with the citizen beside the links to the registry, and the
// buttons to ask for an interpreter, ask consent to record, and hang up
// (which finishes the ticket as a window's finish does).
func (s *Server) handleVideoDeskPage(w http.ResponseWriter, r *http.Request) {
	h, c, k := s.console(w, r)
	if h == nil {
		return
	}
	ctx := r.Context()
	lang := s.requestLang(w, r)
	v := videoDesk{Centre: c, Counter: k}
	v.Alert, v.OK = knownAlert(r.URL.Query().Get("alert"))
	tickets, _, err := h.FindTickets(ctx, dost.TicketFilter{CentreID: c.ID, Day: dost.Today(s.Clock),
		Statuses: []dost.TicketStatus{dost.TicketWaiting, dost.TicketCalled, dost.TicketServing}})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, t := range tickets {
		switch {
		case t.Status == dost.TicketWaiting:
			v.Waiting++
		case t.CounterID == k.ID:
			v.InHand = t
		}
	}
	if t := v.InHand; t != nil {
		if svc, err := s.CatalogueService.FindServiceByCode(ctx, t.ServiceCode); err == nil {
			v.Service = svc
		}
		v.Call = videoCall{TicketID: t.ID, Number: t.Number, Status: t.Status, Service: t.ServiceCode}
	}
	// Idle, the panel waits without a ticket; video.js fills it in when
	// call-next answers.
	v.Call.Role, v.Call.DoneURL, v.Call.Msgs = "operator", videoDeskPath(k.ID, "done"), s.messagesFor(lang, videoCallMessages)
	s.render(w, r, http.StatusOK, "video_desk", "hall", v)
}

// videoDeskPath returns the video desk of a counter with an alert.
func videoDeskPath(counterID int64, alert string) string {
	p := "/hall/counters/" + strconv.FormatInt(counterID, 10) + "/video"
	if alert != "" {
		p += "?alert=" + alert
	}
	return p
}

// handleVideoDeskCallNext handles "POST
// /hall/counters/{counter}/video/call-next": the hall's call-next at the
// counter, then back to the video desk, which opens the call; refusals
// (not signed in, nobody waiting, …) come back as the console's alerts.
func (s *Server) handleVideoDeskCallNext(w http.ResponseWriter, r *http.Request) {
	h, _, k := s.console(w, r)
	if h == nil {
		return
	}
	alert := "called"
	t, _, err := h.CallNext(r.Context(), k.ID)
	if err != nil {
		if dost.ErrorCode(err) == dost.EINTERNAL {
			s.Error(w, r, err)
			return
		}
		alert = consoleAlert(err)
	} else {
		s.announce(r.Context(), t, "called")
	}
	http.Redirect(w, r, videoDeskPath(k.ID, alert), http.StatusSeeOther)
}

// isVideoCentre reports whether c is a video centre (its counters are
// video desks); false on a server without video or when the kind cannot
// be read.
func (s *Server) isVideoCentre(ctx context.Context, c *dost.Centre) bool {
	if s.Video == nil || s.Video.Service == nil || c == nil {
		return false
	}
	kind, err := s.Video.Service.CentreKind(ctx, c.ID)
	return err == nil && kind == dost.CentreVideo
}
