package http

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/dost-az/dost"
	"github.com/dost-az/dost/video"
)

// TicketWatch is how often a call's signalling connection checks its
// ticket: once the ticket has left the hall another way (finished at the
// console, cancelled, closed at the day's end) the call ends.
const TicketWatch = 5 * time.Second

// videoHub returns the hub with its hooks set (once).
func (s *Server) videoHub() *video.Hub {
	vc := s.Video
	vc.once.Do(func() {
		vc.Hub.Logger = s.logger()
		vc.Hub.Hooks = video.Hooks{Message: s.videoMessage, Left: s.videoLeft}
	})
	return vc.Hub
}

// startVideo starts the video hub's relay, if any, and closes the hub
// when the server shuts down (hijacked WebSocket connections are not the
// http.Server's to close). Open calls it.
func (s *Server) startVideo() {
	if s.Video == nil || s.Video.Hub == nil {
		return
	}
	s.videoHub().Start()
	s.server.RegisterOnShutdown(s.Video.Hub.Close)
}

// wsCaller is the hub's view of a connection's caller: kept in the
// connection's context for the hooks.
type wsCallerKey struct{}

// handleVideoWS handles "GET /video/calls/{ticket}/ws": the call's
// signalling WebSocket (JSON messages {type, from, to, data}, see package
// video). The caller is admitted as for GET /api/v1/video/calls/{ticket}
// before the upgrade: anyone else gets 403 problem+json and no WebSocket.
// 409 (video.ended) for an ended call.
func (s *Server) handleVideoWS(w http.ResponseWriter, r *http.Request) {
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	c, err := s.videoCallerOf(r, vc, h)
	if err != nil {
		s.wsError(w, r, err)
		return
	}
	if callStatus(c.call, c.ticket) == dost.VideoEnded {
		s.wsError(w, r, &dost.Error{Code: dost.ECONFLICT, Message: "The call has ended.",
			Fields: []dost.FieldError{{Field: "call", Code: "video.ended", Message: "The call has ended."}}})
		return
	}
	// Nothing is written for a request that is no WebSocket handshake
	// of this site (Accept would refuse it after JoinCall marked the
	// caller present for good).
	if err := checkWSHandshake(r); err != nil {
		s.wsError(w, r, err)
		return
	}
	var user int64
	if c.user != nil && c.role != dost.VideoCitizen {
		user = c.user.ID
	}
	p, err := vc.Service.JoinCall(r.Context(), c.call.ID, &dost.VideoParticipant{Role: c.role, UserID: user, Name: c.name})
	if err != nil {
		s.wsError(w, r, err)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	ctx := context.WithValue(context.WithoutCancel(r.Context()), wsCallerKey{}, c)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The watcher gets copies: the hook (on the reader goroutine) works
	// on its own copies of c too.
	go s.watchVideoTicket(ctx, videoWatch{ticket: c.ticket.ID, role: c.role, user: user, participant: p.ID})
	s.logger().Info("video: joined", "ticket", c.ticket.ID, "participant", p.ID, "role", string(p.Role))
	vc.Hub.Serve(ctx, ws, c.ticket.ID, video.Participant{ID: p.ID, Role: p.Role, Name: p.Name})
}

// wsError answers a refused WebSocket upgrade with problem+json, as the
// API does (a WebSocket is no page to render an error on).
func (s *Server) wsError(w http.ResponseWriter, r *http.Request, err error) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/api" + r.URL.Path
	s.Error(w, r2, err)
}

// startVideoTicket starts a called ticket once the operator and the
// citizen are both connected: the visitor is "at the counter".
func (s *Server) startVideoTicket(ctx context.Context, ticketID int64) {
	roles := map[dost.VideoRole]bool{}
	for _, p := range s.Video.Hub.Present(ticketID) {
		roles[p.Role] = true
	}
	if !roles[dost.VideoOperator] || !roles[dost.VideoCitizen] {
		return
	}
	t, err := s.Hall.FindTicketByID(ctx, ticketID)
	if err != nil || t.Status != dost.TicketCalled {
		return
	}
	op, err := s.UserService.FindUserByID(ctx, t.OperatorID)
	if err != nil {
		return
	}
	if _, err := s.Hall.ActOnTicket(dost.NewContextWithUser(ctx, op), t.ID, dost.TicketActionRequest{Action: dost.TicketStart}); err != nil {
		s.logger().Warn("video: start the ticket", "ticket", t.ID, "err", err)
	}
}

// videoWatch is what a connection's watcher knows of it: copies, never
// shared with the connection's reader.
type videoWatch struct {
	ticket      int64
	role        dost.VideoRole
	user        int64 // the operator's or interpreter's user; 0 for the citizen
	participant int64
}

// watchVideoTicket ends the call once its ticket has left the hall
// another way (endCallOfClosedTicket, audited as the system), checking
// every TicketWatch until ctx ends; the operator's and the citizen's
// connections watch. It also re-checks the operator's admission: an
// operator who no longer holds the ticket (transferred or put back in the
// queue, or called by another operator since) is dropped from the call
// (1008); the others hear left.
func (s *Server) watchVideoTicket(ctx context.Context, w videoWatch) {
	if w.role == dost.VideoInterpreter {
		return
	}
	// The first look soon after joining starts the ticket when both
	// sides are there.
	wait := time.NewTimer(time.Second)
	defer wait.Stop()
	for first := true; ; first = false {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
			wait.Reset(TicketWatch)
		}
		if first {
			s.startVideoTicket(ctx, w.ticket)
		}
		t, err := s.Hall.FindTicketByID(ctx, w.ticket)
		if err != nil {
			continue
		}
		if !t.Status.Open() {
			s.endCallOfClosedTicket(ctx, t)
			return
		}
		// Transferred or put back in the queue (waiting: nobody holds it,
		// though the ticket still names its last operator) or called
		// by another operator since.
		if w.role == dost.VideoOperator && (t.OperatorID != w.user || t.Status == dost.TicketWaiting) {
			s.logger().Info("video: operator no longer holds the ticket", "ticket", t.ID, "user", w.user, "operator", t.OperatorID)
			s.Video.Hub.Drop(w.ticket, w.participant, "no longer a participant")
			return
		}
	}
}

// videoMessage is the hub's Message hook: it keeps chat, quality and
// consent for the call's record, queues interpretation requests and ends
// the call at the operator's hang-up. It runs on the connection's reader
// goroutine and changes only its own copy of the caller.
func (s *Server) videoMessage(ctx context.Context, room int64, from video.Participant, m *video.Message) error {
	shared, _ := ctx.Value(wsCallerKey{}).(*videoCaller)
	if shared == nil {
		return dost.Errorf(dost.EINTERNAL, "No caller.")
	}
	call, err := s.Video.Service.FindCallByTicket(ctx, room)
	if err != nil {
		return err
	}
	cc := *shared
	cc.call = call
	c := &cc
	switch m.Type {
	case video.TypeChat:
		var d struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(m.Data, &d) != nil {
			return dost.FieldErr("text", "video.chat_text", "A chat message is {text}.")
		}
		text, err := dost.CheckChatText(d.Text)
		if err != nil {
			return err
		}
		if err := s.Video.Service.AddChat(ctx, call.ID, from.ID, text); err != nil {
			return err
		}
		m.Data = mustJSON(map[string]string{"text": text})
	case video.TypeQuality:
		var q dost.VideoQuality
		if json.Unmarshal(m.Data, &q) != nil {
			return dost.FieldErr("data", "video.quality_range", "A quality sample is {rtt_ms, loss, kbps, audio_only}.")
		}
		if err := s.Video.Service.AddQuality(ctx, call.ID, q); err != nil {
			return err
		}
		m.Data = mustJSON(q)
	case video.TypeConsent:
		var d struct {
			Granted *bool `json:"granted"`
		}
		if json.Unmarshal(m.Data, &d) != nil || d.Granted == nil {
			return dost.FieldErr("granted", "required", "Consent is {granted: true or false}.")
		}
		if _, err := s.videoConsent(ctx, c.req, c, *d.Granted); err != nil {
			return err
		}
		m.Data = mustJSON(map[string]bool{"granted": *d.Granted})
	case video.TypeInterpreterRequest:
		var d struct {
			Language string `json:"language"`
		}
		json.Unmarshal(m.Data, &d)
		x, err := s.requestInterpretation(ctx, c, d.Language)
		if err != nil {
			return err
		}
		m.Data = mustJSON(x)
	case video.TypeHangup:
		if from.Role != dost.VideoOperator {
			return nil
		}
		t, err := s.Hall.FindTicketByID(ctx, room)
		if err != nil {
			return err
		}
		c.ticket = t
		if _, err := s.endVideoCall(ctx, c.req, c); err != nil {
			return err
		}
	}
	return nil
}

// videoLeft is the hub's Left hook: the participant's presence ends.
func (s *Server) videoLeft(room int64, p video.Participant) {
	if err := s.Video.Service.LeaveCall(context.Background(), p.ID); err != nil {
		s.logger().Warn("video: leave", "ticket", room, "participant", p.ID, "err", err)
	}
}
