package http

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/video"
)

// VideoConfig is what the video routes need (api_video.go, video_ws.go):
// the calls' store, this node's signalling hub and, optionally, the TURN
// server whose credentials the call's ice_servers carry. Without it
// (Server.Video nil) the video routes answer 404.
type VideoConfig struct {
	// Service keeps the calls; sqlstore.VideoStore implements it.
	Service dost.VideoService
	// Hub is this node's signalling hub; with several nodes on one
	// PostgreSQL database, give it a video.PGRelay.
	Hub *video.Hub
	// TURN, if set, is the TURN server handed to the browsers with
	// short-lived credentials for each participant.
	TURN interface {
		ICEServer(participant string, now time.Time) video.ICEServer
	}
	// STUN are further STUN URLs for ice_servers, e.g.
	// "stun:stun.example.az:3478"; none by default.
	STUN []string
	// Files, if set, keeps the calls' recordings (made with the citizen's
	// consent); without it POST …/recording answers 404.
	Files dost.FileStore

	once sync.Once // sets the hub's hooks (videoHub)
}

// Roles of the video rows in the route table. The citizen's routes are
// public: the citizen is admitted by the portal session of the ticket's
// person or by the ticket's token (?t=), the operator and the interpreter
// by their staff session, each checked by videoCaller. The interpreters'
// queue is any staff member's route; the service admits certified
// interpreters only.
func (s *Server) videoRoutes() []Route {
	routes := []Route{
		{Pattern: "POST /api/v1/video/tickets", Access: Public, Handler: s.handleVideoTicket},
		{Pattern: "GET /api/v1/video/calls/{ticket}", Access: Public, Handler: s.handleVideoCallGet},
		{Pattern: "POST /api/v1/video/calls/{ticket}/consent", Access: Public, Handler: s.handleVideoConsent},
		{Pattern: "POST /api/v1/video/calls/{ticket}/interpretations", Access: Public, Handler: s.handleVideoInterpretationRequest},
		{Pattern: "POST /api/v1/video/calls/{ticket}/hangup", Access: Public, Handler: s.handleVideoHangup},
		{Pattern: "GET /api/v1/video/interpretations", Access: Staff, Handler: s.handleInterpretationList},
		{Pattern: "POST /api/v1/video/interpretations/{id}/accept", Access: Staff, Handler: s.handleInterpretationAccept},
		{Pattern: "GET /video/calls/{ticket}/ws", Access: Public, Handler: s.handleVideoWS}, // video_ws.go
	}
	return append(routes, s.videoAdminRoutes()...) // api_video_admin.go
}

// errNoVideo answers the video routes on a server without video.
var errNoVideo = dost.Errorf(dost.ENOTFOUND, "Service by video is not available on this server.")

// video returns the video configuration and the hall, or answers 404 and
// returns nil when the server has either missing.
func (s *Server) video(w http.ResponseWriter, r *http.Request) (*VideoConfig, HallService) {
	if s.Video == nil || s.Video.Service == nil || s.Video.Hub == nil || s.Hall == nil {
		if isAPI(r) {
			s.Error(w, r, errNoVideo)
		} else {
			s.wsError(w, r, errNoVideo)
		}
		return nil, nil
	}
	s.videoHub()
	return s.Video, s.Hall
}

// videoTicketRequest is the body of POST /api/v1/video/tickets. The
// centre is named by its code (centre) or id (centre_id), the service by
// its code (service or service_code).
type videoTicketRequest struct {
	Centre      string `json:"centre"`
	CentreID    int64  `json:"centre_id"`
	Service     string `json:"service"`
	ServiceCode string `json:"service_code"`
	Language    string `json:"language"`
}

// videoTicket is a video ticket as its citizen gets it: the ticket with
// its token and status page, and the paths of its call.
type videoTicket struct {
	issuedTicket
	// Call is the call's info (GET), with the token.
	Call string `json:"call"`
	// WS is the call's signalling WebSocket, with the token.
	WS string `json:"ws"`
}

// handleVideoTicket handles "POST /api/v1/video/tickets": a citizen joins a
// video centre's queue for a service, from the portal (signed in: the call
// is bound to their person) or from a Smart DOST point's kiosk (public,
// rate-limited). 201 with the ticket, its token and its call's paths. 400
// (field centre, code centre.not_video) for a centre that is not a video
// centre, and as POST /api/v1/tickets for an unknown centre or a service
// it does not offer.
func (s *Server) handleVideoTicket(w http.ResponseWriter, r *http.Request) {
	var in videoTicketRequest
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	ctx := r.Context()
	centreID := in.CentreID
	if in.Centre != "" {
		c, err := s.CentreService.FindCentreByCode(ctx, in.Centre)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			s.Error(w, r, dost.FieldErr("centre", "centre.unknown", "Centre %q does not exist.", in.Centre))
			return
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
		centreID = c.ID
	}
	if centreID == 0 {
		s.Error(w, r, dost.FieldErr("centre", "required", "Name the video centre."))
		return
	}
	kind, err := vc.Service.CentreKind(ctx, centreID)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		s.Error(w, r, dost.FieldErr("centre", "centre.unknown", "Centre %d does not exist.", centreID))
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	if kind != dost.CentreVideo {
		s.Error(w, r, dost.FieldErr("centre", "centre.not_video", "The centre does not serve by video."))
		return
	}
	lang := cmp.Or(in.Language, "az")
	nc := &dost.NewVideoCall{CentreID: centreID, Channel: "kiosk", Language: lang}
	if u := dost.UserFromContext(ctx); u != nil && u.CitizenOnly() && u.PersonID != nil {
		nc.Channel, nc.PersonID, nc.Name = "portal", *u.PersonID, u.Name
	}
	// The ticket is issued without the caller's user: issuing is the
	// kiosk's, anyone's.
	t, err := h.IssueTicket(dost.NewContextWithUser(ctx, nil), &dost.NewTicket{CentreID: centreID,
		ServiceCode: cmp.Or(in.ServiceCode, in.Service), Language: lang})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	nc.TicketID = t.ID
	if _, err := vc.Service.CreateCall(ctx, nc); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeVideoTicket(w, h, t)
}

// writeVideoTicket answers 201 with a video ticket just issued: the
// ticket, its token and its call's paths.
func (s *Server) writeVideoTicket(w http.ResponseWriter, h HallService, t *dost.Ticket) {
	it := s.issued(h, t)
	q := "?t=" + url.QueryEscape(it.Token)
	w.Header().Set("Location", "/api/v1/video/calls/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, videoTicket{issuedTicket: it,
		Call: "/api/v1/video/calls/" + strconv.FormatInt(t.ID, 10) + q,
		WS:   videoWSPath(t.ID) + q})
}

// videoWSPath is the path of a call's signalling WebSocket.
func videoWSPath(ticketID int64) string {
	return "/video/calls/" + strconv.FormatInt(ticketID, 10) + "/ws"
}

// videoCaller is who asks about a call, once admitted.
type videoCaller struct {
	ticket *dost.Ticket
	call   *dost.VideoCall
	role   dost.VideoRole
	user   *dost.User // nil: the citizen by the ticket's token
	name   string
	token  string // the ticket's token, when the caller gave it
	// req is the request that admitted the caller (for a WebSocket, the
	// upgrade's), whose client the audit trail records.
	req *http.Request
}

// errNotParticipant is the answer to anyone who is not of a call.
func errNotParticipant(ticketID int64) error {
	return &dost.Error{Code: dost.EFORBIDDEN, Message: fmt.Sprintf("You are not a participant of the call of ticket %d.", ticketID),
		Fields: []dost.FieldError{{Field: "ticket", Code: "video.not_participant", Message: "Not a participant of this call."}}}
}

// videoCallerOf admits the request to the call of the path's {ticket}:
// the operator who called the ticket, the interpreter who accepted the
// call's request, the citizen by the portal session of the ticket's
// person or by the ticket's token (?t= or ?token=). EFORBIDDEN (code
// video.not_participant) for anyone else; ENOTFOUND for an unknown ticket
// or a ticket without a call.
func (s *Server) videoCallerOf(r *http.Request, vc *VideoConfig, h HallService) (*videoCaller, error) {
	id, err := pathID(r, "ticket")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	t, err := h.FindTicketByID(ctx, id)
	if err != nil {
		return nil, err
	}
	call, err := s.callOfTicket(ctx, vc, t)
	if err != nil {
		return nil, err
	}
	c := &videoCaller{ticket: t, call: call, req: r}
	q := r.URL.Query()
	token := cmp.Or(q.Get("t"), q.Get("token"))
	u := dost.UserFromContext(ctx)
	switch {
	case u != nil && u.HasRole(dost.RoleOperator) && t.OperatorID == u.ID:
		c.role, c.user, c.name = dost.VideoOperator, u, cmp.Or(u.Name, u.Username)
	case u != nil && call.Interpretation != nil && call.Interpretation.Status == dost.InterpretationAccepted &&
		call.Interpretation.InterpreterID == u.ID:
		c.role, c.user, c.name = dost.VideoInterpreter, u, cmp.Or(u.Name, u.Username)
	case u != nil && u.CitizenOnly() && u.PersonID != nil && call.PersonID != 0 && *u.PersonID == call.PersonID:
		c.role, c.user, c.name = dost.VideoCitizen, u, u.Name
	case validToken(h, id, token):
		c.role, c.token = dost.VideoCitizen, token
	default:
		return nil, errNotParticipant(id)
	}
	if c.role == dost.VideoCitizen {
		for _, p := range call.Participants {
			if p.Role == dost.VideoCitizen && p.Name != "" {
				c.name = p.Name
			}
		}
	}
	return c, nil
}

// callOfTicket returns t's call. A ticket of a video centre issued
// another way than POST /api/v1/video/tickets (the hall's kiosk, its
// POST /api/v1/tickets, an appointment's check-in at the kiosk) gets its
// call here, on the first ask: a kiosk call, or bound to the booking's
// person for an appointment's ticket, so that call-next at a video desk
// never hands the operator a ticket without a call. ENOTFOUND for a
// ticket of a hall without a call.
func (s *Server) callOfTicket(ctx context.Context, vc *VideoConfig, t *dost.Ticket) (*dost.VideoCall, error) {
	call, err := vc.Service.FindCallByTicket(ctx, t.ID)
	if dost.ErrorCode(err) != dost.ENOTFOUND {
		return call, err
	}
	if kind, kerr := vc.Service.CentreKind(ctx, t.CentreID); kerr != nil || kind != dost.CentreVideo {
		return nil, err
	}
	nc := &dost.NewVideoCall{TicketID: t.ID, CentreID: t.CentreID, Channel: "kiosk", Language: cmp.Or(t.Language, "az")}
	if t.AppointmentID != 0 && s.Hall != nil {
		if a, aerr := s.Hall.FindAppointmentByID(ctx, t.AppointmentID); aerr == nil && a.PersonID != 0 {
			nc.PersonID, nc.Name, nc.Channel = a.PersonID, a.Name, "portal"
		}
	}
	if _, err := vc.Service.CreateCall(ctx, nc); err != nil && dost.ErrorCode(err) != dost.ECONFLICT {
		return nil, err // ECONFLICT: created at the same moment by another request
	}
	return vc.Service.FindCallByTicket(ctx, t.ID)
}

// participant returns the caller's participant of the call, joining them
// if they never joined (only while the call goes on).
func (c *videoCaller) participant(ctx context.Context, vc *VideoConfig) (*dost.VideoParticipant, error) {
	var user int64
	if c.role != dost.VideoCitizen {
		user = c.user.ID
	}
	for _, p := range c.call.Participants {
		if p.Role == c.role && p.UserID == user {
			return p, nil
		}
	}
	return vc.Service.JoinCall(ctx, c.call.ID, &dost.VideoParticipant{Role: c.role, UserID: user, Name: c.name})
}

// callStatus returns a call's status from its end and its ticket's.
func callStatus(call *dost.VideoCall, t *dost.Ticket) dost.VideoCallStatus {
	switch {
	case call.EndedAt != nil || !t.Status.Open():
		return dost.VideoEnded
	case t.Status == dost.TicketCalled || t.Status == dost.TicketServing:
		return dost.VideoActive
	}
	return dost.VideoWaiting
}

// videoParticipantView is a participant as the others see them.
type videoParticipantView struct {
	ID      int64          `json:"id"`
	Role    dost.VideoRole `json:"role"`
	Name    string         `json:"name"`
	Present bool           `json:"present"`
}

// videoCallView is the answer of GET /api/v1/video/calls/{ticket}.
type videoCallView struct {
	Ticket         int64                     `json:"ticket"`
	Number         string                    `json:"number"`
	TicketStatus   dost.TicketStatus         `json:"ticket_status"`
	Status         dost.VideoCallStatus      `json:"status"`
	CentreID       int64                     `json:"centre_id"`
	ServiceCode    string                    `json:"service_code"`
	Language       string                    `json:"language"`
	Consent        string                    `json:"consent"`
	You            *videoParticipantView     `json:"you,omitempty"` // nil once the call has ended, for one who never joined
	Participants   []videoParticipantView    `json:"participants"`
	Interpretation *dost.VideoInterpretation `json:"interpretation,omitempty"`
	// PersonFIN is the citizen's FIN, for the operator only (whose
	// person page audits the view), when the call's person is known.
	PersonFIN  dost.FIN          `json:"person_fin,omitempty"`
	ICEServers []video.ICEServer `json:"ice_servers"`
	WS         string            `json:"ws"`
	StartedAt  *time.Time        `json:"started_at,omitempty"`
	EndedAt    *time.Time        `json:"ended_at,omitempty"`
}

// handleVideoCallGet handles "GET /api/v1/video/calls/{ticket}": the
// call's participants, status, the ICE servers (TURN with credentials for
// the caller, valid video.CredentialTTL) and its WebSocket's path (with
// the token when the caller came with it). Participants only: 403
// problem+json (code video.not_participant) for anyone else.
func (s *Server) handleVideoCallGet(w http.ResponseWriter, r *http.Request) {
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	c, err := s.videoCallerOf(r, vc, h)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var you *dost.VideoParticipant
	if c.call.EndedAt == nil {
		if you, err = c.participant(r.Context(), vc); err != nil && dost.ErrorCode(err) != dost.ECONFLICT {
			s.Error(w, r, err)
			return
		}
		if you != nil && c.call.Participant(you.ID) == nil {
			c.call.Participants = append(c.call.Participants, you)
		}
	}
	present := map[int64]bool{}
	for _, p := range vc.Hub.Present(c.ticket.ID) {
		present[p.ID] = true
	}
	v := videoCallView{Ticket: c.ticket.ID, Number: c.ticket.Number, TicketStatus: c.ticket.Status,
		Status: callStatus(c.call, c.ticket), CentreID: c.call.CentreID, ServiceCode: c.ticket.ServiceCode,
		Language: c.call.Language, Consent: c.call.Consent, Interpretation: c.call.Interpretation,
		ICEServers: []video.ICEServer{}, WS: videoWSPath(c.ticket.ID), StartedAt: c.call.ConnectedAt, EndedAt: c.call.EndedAt}
	if c.token != "" {
		v.WS += "?t=" + url.QueryEscape(c.token)
	}
	for _, p := range c.call.Participants {
		pv := videoParticipantView{ID: p.ID, Role: p.Role, Name: p.Name, Present: present[p.ID]}
		if you != nil && p.ID == you.ID {
			v.You = &pv
		}
		v.Participants = append(v.Participants, pv)
	}
	if c.role == dost.VideoOperator && c.call.PersonID != 0 && s.PersonService != nil {
		if p, err := s.PersonService.FindPersonByID(r.Context(), c.call.PersonID); err == nil {
			v.PersonFIN = p.FIN
		}
	}
	if len(vc.STUN) > 0 {
		v.ICEServers = append(v.ICEServers, video.ICEServer{URLs: vc.STUN})
	}
	if vc.TURN != nil && you != nil {
		v.ICEServers = append(v.ICEServers, vc.TURN.ICEServer(strconv.FormatInt(you.ID, 10), s.Clock.Now()))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
}

// consentRequest is the body of POST …/consent.
type consentRequest struct {
	Granted *bool `json:"granted"`
}

// handleVideoConsent handles "POST /api/v1/video/calls/{ticket}/consent":
// the citizen's answer to recording, {granted: bool}. 200 with {consent};
// the other participants get a consent message; the audit trail records
// it. 403 for anyone but the citizen; 409 (video.ended) after the call.
func (s *Server) handleVideoConsent(w http.ResponseWriter, r *http.Request) {
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	var in consentRequest
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if in.Granted == nil {
		s.Error(w, r, dost.FieldErr("granted", "required", "Say whether you consent (granted: true or false)."))
		return
	}
	c, err := s.videoCallerOf(r, vc, h)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if c.role != dost.VideoCitizen {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "Only the citizen gives consent."))
		return
	}
	p, err := c.participant(r.Context(), vc)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	call, err := s.videoConsent(r.Context(), r, c, *in.Granted)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	vc.Hub.Deliver(c.ticket.ID, video.Message{Type: video.TypeConsent, From: p.ID,
		Data: mustJSON(map[string]bool{"granted": *in.Granted})})
	writeJSON(w, http.StatusOK, map[string]string{"consent": call.Consent})
}

// videoConsent records the citizen's consent and its audit event.
func (s *Server) videoConsent(ctx context.Context, r *http.Request, c *videoCaller, granted bool) (*dost.VideoCall, error) {
	call, err := s.Video.Service.SetConsent(ctx, c.call.ID, granted)
	if err != nil {
		return nil, err
	}
	s.auditVideo(ctx, r, c.user, call, dost.AuditUpdate, "consent="+call.Consent+" ticket="+strconv.FormatInt(c.ticket.ID, 10))
	return call, nil
}

// interpretationRequest is the body of POST …/interpretations.
type interpretationRequest struct {
	Language string `json:"language"`
}

// handleVideoInterpretationRequest handles "POST
// /api/v1/video/calls/{ticket}/interpretations": the operator or the
// citizen asks for an interpreter of {language} (sign, az, en, ru). 201
// with the request, which enters the interpreters' queue; the others get
// an interpreter-requested message. 409 (interpretation.open) while a
// request of the call is open; 403 for the interpreter and non-participants.
func (s *Server) handleVideoInterpretationRequest(w http.ResponseWriter, r *http.Request) {
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	var in interpretationRequest
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.videoCallerOf(r, vc, h)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if c.role == dost.VideoInterpreter {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "The operator or the citizen asks for an interpreter."))
		return
	}
	p, err := c.participant(r.Context(), vc)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	x, err := s.requestInterpretation(r.Context(), c, in.Language)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	vc.Hub.Deliver(c.ticket.ID, video.Message{Type: video.TypeInterpreterRequested, From: p.ID, Data: mustJSON(x)})
	writeJSON(w, http.StatusCreated, x)
}

// requestInterpretation puts the caller's call in the interpreters' queue.
func (s *Server) requestInterpretation(ctx context.Context, c *videoCaller, language string) (*dost.VideoInterpretation, error) {
	var by int64
	if c.user != nil {
		by = c.user.ID
	}
	return s.Video.Service.RequestInterpretation(ctx, c.call.ID, language, c.role, by)
}

// handleVideoHangup handles "POST /api/v1/video/calls/{ticket}/hangup":
// the operator ends the call. The ticket is finished the way a window's
// finish does (started first if it was only called; the services done
// are the ticket's service), so the rating follows; the call's metadata
// goes to the audit trail; every participant gets ended. 200 with the
// call; 403 for anyone but the operator; 409 (video.ended) if it has
// ended.
func (s *Server) handleVideoHangup(w http.ResponseWriter, r *http.Request) {
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	c, err := s.videoCallerOf(r, vc, h)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if c.role != dost.VideoOperator {
		s.Error(w, r, &dost.Error{Code: dost.EFORBIDDEN, Message: "Only the operator ends the call; close the page to leave it.",
			Fields: []dost.FieldError{{Field: "ticket", Code: "video.operator_only", Message: "Only the operator ends the call."}}})
		return
	}
	call, err := s.endVideoCall(r.Context(), r, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, call)
}

// endVideoCall ends c's call as its operator: finishes the ticket through
// the hall (starting it first if it was only called), ends the call,
// records its metadata in the audit trail and tells every participant.
// A ticket the hall cannot finish (parked, finished at the console
// already) does not keep the call from ending; the hall's error is
// logged.
func (s *Server) endVideoCall(ctx context.Context, r *http.Request, c *videoCaller) (*dost.VideoCall, error) {
	if c.call.EndedAt != nil {
		return nil, &dost.Error{Code: dost.ECONFLICT, Message: "The call has ended.",
			Fields: []dost.FieldError{{Field: "call", Code: "video.ended", Message: "The call has ended."}}}
	}
	s.finishVideoTicket(ctx, c.ticket)
	call, err := s.Video.Service.EndCall(ctx, c.call.ID, c.user.ID)
	if err != nil {
		return nil, err
	}
	s.auditVideoEnd(ctx, r, c.user, call)
	s.Video.Hub.End(c.ticket.ID)
	return call, nil
}

// finishVideoTicket finishes t by the operator in ctx: start if called,
// then finish with its service done. Errors are logged.
func (s *Server) finishVideoTicket(ctx context.Context, t *dost.Ticket) {
	var err error
	if t.Status == dost.TicketCalled {
		t, err = s.Hall.ActOnTicket(ctx, t.ID, dost.TicketActionRequest{Action: dost.TicketStart})
	}
	if err == nil && t.Status == dost.TicketServing {
		_, err = s.Hall.ActOnTicket(ctx, t.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{t.ServiceCode}})
	}
	if err != nil {
		s.logger().Warn("video: finish the ticket", "ticket", t.ID, "err", err)
	}
}

// handleInterpretationList handles "GET /api/v1/video/interpretations":
// the interpreters' queue, oldest first: requests of status (default
// waiting; accepted, closed) in the languages the caller is certified to
// interpret today; empty for a staff member certified for none.
func (s *Server) handleInterpretationList(w http.ResponseWriter, r *http.Request) {
	vc, _ := s.video(w, r)
	if vc == nil {
		return
	}
	q := r.URL.Query()
	var v dost.Validation
	f := dost.InterpretationFilter{Status: dost.InterpretationStatus(cmp.Or(q.Get("status"), string(dost.InterpretationWaiting)))}
	switch f.Status {
	case dost.InterpretationWaiting, dost.InterpretationAccepted, dost.InterpretationClosed:
	default:
		v.Add("status", "interpretation.status", "Unknown status %q.", f.Status)
	}
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(r.Context())
	langs, err := vc.Service.InterpreterLanguages(r.Context(), u.ID, dost.Today(s.Clock))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(langs) == 0 { // not an interpreter: nothing to interpret
		writeJSON(w, http.StatusOK, newPage([]*dost.VideoInterpretation{}, 0, f.Offset, f.Limit))
		return
	}
	f.Languages = langs
	list, total, err := vc.Service.FindInterpretations(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, f.Offset, f.Limit))
}

// acceptedInterpretation is the answer of POST …/accept: the request and
// the paths of its call.
type acceptedInterpretation struct {
	*dost.VideoInterpretation
	Ticket int64  `json:"ticket"`
	Call   string `json:"call"`
	WS     string `json:"ws"`
}

// handleInterpretationAccept handles "POST
// /api/v1/video/interpretations/{id}/accept": a certified interpreter
// takes a waiting request and may join its call as its third
// participant. 200 with the request and the call's paths; 409
// (interpretation.taken) when another interpreter was first or the call
// ended; 403 (interpreter.not_certified) without a certification for its
// language.
func (s *Server) handleInterpretationAccept(w http.ResponseWriter, r *http.Request) {
	vc, _ := s.video(w, r)
	if vc == nil {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(r.Context())
	x, err := vc.Service.AcceptInterpretation(r.Context(), id, u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if call, err := vc.Service.FindCallByTicket(r.Context(), x.TicketID); err == nil {
		s.auditVideo(r.Context(), r, u, call, dost.AuditUpdate, fmt.Sprintf("interpretation accepted id=%d ticket=%d language=%s interpreter=%d at=%s",
			x.ID, x.TicketID, x.Language, u.ID, timeOrDash(x.AcceptedAt)))
	} else {
		s.logger().Error("video: audit an accepted interpretation", "interpretation", x.ID, "err", err)
	}
	writeJSON(w, http.StatusOK, acceptedInterpretation{VideoInterpretation: x, Ticket: x.TicketID,
		Call: "/api/v1/video/calls/" + strconv.FormatInt(x.TicketID, 10), WS: videoWSPath(x.TicketID)})
}

// auditVideo appends an event about call to the audit trail, by u (nil:
// the citizen by the ticket's token). A failure is logged.
func (s *Server) auditVideo(ctx context.Context, r *http.Request, u *dost.User, call *dost.VideoCall, action dost.AuditAction, detail string) {
	s.recordAudit(ctx, r, u, &dost.AuditEvent{Action: action, ObjectKind: "video_call", ObjectID: strconv.FormatInt(call.ID, 10),
		PersonID: call.PersonID, Detail: detail, ActorName: "citizen (ticket link)"})
}

// auditVideoEnd records an ended call's metadata: who took part, when,
// how long, its quality and consent.
func (s *Server) auditVideoEnd(ctx context.Context, r *http.Request, u *dost.User, call *dost.VideoCall) {
	q := call.Quality
	detail := fmt.Sprintf("ended ticket=%d started=%s ended=%s duration_s=%d consent=%s participants=%s quality: samples=%d avg_rtt_ms=%.0f max_rtt_ms=%.0f avg_loss=%.3f avg_kbps=%.0f audio_only=%d chat=%d",
		call.TicketID, timeOrDash(call.ConnectedAt), timeOrDash(call.EndedAt), int(call.Duration(s.Clock.Now()).Seconds()),
		cmp.Or(call.Consent, "not_asked"), participantsSummary(call), q.Samples, q.AvgRTTMs, q.MaxRTTMs, q.AvgLoss, q.AvgKbps,
		q.AudioOnlySamples, call.ChatMessages)
	s.auditVideo(ctx, r, u, call, dost.AuditUpdate, detail)
}

// timeOrDash formats t in RFC 3339, or "-".
func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// participantsSummary lists a call's participants as role:user ids
// (citizen:person id).
func participantsSummary(call *dost.VideoCall) string {
	out := ""
	for i, p := range call.Participants {
		if i > 0 {
			out += ","
		}
		id := p.UserID
		if p.Role == dost.VideoCitizen {
			id = p.PersonID
		}
		out += string(p.Role) + ":" + strconv.FormatInt(id, 10)
	}
	return out
}

// mustJSON returns v in JSON; v is always encodable.
func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
