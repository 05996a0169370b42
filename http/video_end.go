package http

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// SystemVideoActor is the audit trail's actor of a call ended because its
// ticket left the hall another way (finished at the console, cancelled,
// no-show, closed at the day's end): nobody in the call ended it.
const SystemVideoActor = "system (ticket left the hall)"

// closedCallFinder is what the video_calls sweep asks of the calls'
// store (sqlstore.VideoStore).
type closedCallFinder interface {
	CallsOfClosedTickets(ctx context.Context, limit int) ([]int64, error)
}

// EndVideoCallsOfClosedTickets ends the calls whose ticket has left the
// hall while they went on, whether or not anyone is connected (the
// video_calls job runs it every minute): each is ended as by
// endCallOfClosedTicket. It returns how many it ended. Without video, or
// a store that cannot find them, it does nothing.
func (s *Server) EndVideoCallsOfClosedTickets(ctx context.Context) (int, error) {
	if s.Video == nil || s.Video.Service == nil {
		return 0, nil
	}
	f, ok := s.Video.Service.(closedCallFinder)
	if !ok {
		return 0, nil
	}
	ids, err := f.CallsOfClosedTickets(ctx, 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		t, err := s.Hall.FindTicketByID(ctx, id)
		if err != nil {
			return n, err
		}
		if s.endCallOfClosedTicket(ctx, t) {
			n++
		}
	}
	return n, nil
}

// videoTicketActed ends the video call of t at once when a hall action
// at the console or through the API (finish, no-show, cancel) has left t
// closed; nil t, an open ticket or a server without video: nothing. The
// connections' watcher and the video_calls job catch the other ways a
// ticket leaves the hall (the day's end).
func (s *Server) videoTicketActed(ctx context.Context, t *dost.Ticket) {
	if t == nil || t.Status.Open() || s.Video == nil || s.Video.Service == nil || s.Video.Hub == nil {
		return
	}
	s.endCallOfClosedTicket(context.WithoutCancel(ctx), t)
}

// endCallOfClosedTicket ends the call of t, a ticket that has left the
// hall, if it goes on: the call ends (its interpretation request closes,
// the rating SMS of a portal citizen's finished visit is queued), its
// metadata goes to the audit trail with the system as the actor and the
// ticket's status and operator in the detail, and every participant, on
// every node, gets ended. False if the call had ended already (another
// node or connection was first) or could not be ended (logged).
func (s *Server) endCallOfClosedTicket(ctx context.Context, t *dost.Ticket) bool {
	call, err := s.Video.Service.FindCallByTicket(ctx, t.ID)
	if err != nil || call.EndedAt != nil {
		return false
	}
	call, err = s.Video.Service.EndCall(ctx, call.ID, 0)
	var e *dost.Error
	if errors.As(err, &e) && e.Code == dost.ECONFLICT {
		return false // ended meanwhile
	}
	if err != nil {
		s.logger().Warn("video: end the call of a closed ticket", "ticket", t.ID, "err", err)
		return false
	}
	s.auditSystemVideoEnd(ctx, call, t)
	s.Video.Hub.End(t.ID)
	s.logger().Info("video: call ended, its ticket left the hall", "ticket", t.ID, "status", string(t.Status))
	return true
}

// auditSystemVideoEnd records the metadata of a call ended by the system
// (SystemVideoActor, no actor id, no client address): the same detail as
// the operator's hang-up, with reason=ticket_left_hall, the ticket's
// status and the operator who last held it.
func (s *Server) auditSystemVideoEnd(ctx context.Context, call *dost.VideoCall, t *dost.Ticket) {
	if s.AuditService == nil {
		return
	}
	q := call.Quality
	detail := fmt.Sprintf("ended ticket=%d started=%s ended=%s duration_s=%d consent=%s participants=%s quality: samples=%d avg_rtt_ms=%.0f max_rtt_ms=%.0f avg_loss=%.3f avg_kbps=%.0f audio_only=%d chat=%d reason=ticket_left_hall ticket_status=%s ticket_operator=%d",
		call.TicketID, timeOrDash(call.ConnectedAt), timeOrDash(call.EndedAt), int(call.Duration(s.Clock.Now()).Seconds()),
		cmp.Or(call.Consent, "not_asked"), participantsSummary(call), q.Samples, q.AvgRTTMs, q.MaxRTTMs, q.AvgLoss, q.AvgKbps,
		q.AudioOnlySamples, call.ChatMessages, t.Status, t.OperatorID)
	e := &dost.AuditEvent{Action: dost.AuditUpdate, ObjectKind: "video_call", ObjectID: strconv.FormatInt(call.ID, 10),
		PersonID: call.PersonID, Detail: detail, ActorName: SystemVideoActor}
	if err := s.AuditService.Record(context.WithoutCancel(ctx), e); err != nil {
		s.logger().Error("audit: record", "action", string(dost.AuditUpdate), "object", "video_call", "err", err)
	}
}

// checkWSHandshake refuses, before anything is written, a request that is
// no WebSocket handshake (GET with Connection: Upgrade, Upgrade:
// websocket, version 13 and a key) or whose Origin is another host than
// the request's Host: the rule websocket.Accept applies (a reverse proxy
// must pass the Host on). 400 problem+json (field code
// video.websocket_required or video.origin_refused).
func checkWSHandshake(r *http.Request) error {
	if r.Method != http.MethodGet || !headerHasToken(r.Header, "Connection", "upgrade") ||
		!headerHasToken(r.Header, "Upgrade", "websocket") || r.Header.Get("Sec-WebSocket-Version") != "13" ||
		len(r.Header.Values("Sec-WebSocket-Key")) != 1 {
		return &dost.Error{Code: dost.EINVALID, Message: "This address takes a WebSocket connection only.",
			Fields: []dost.FieldError{{Field: "upgrade", Code: "video.websocket_required", Message: "A WebSocket handshake is required."}}}
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return &dost.Error{Code: dost.EFORBIDDEN, Message: "A call's WebSocket is opened from this site's own pages only.",
				Fields: []dost.FieldError{{Field: "origin", Code: "video.origin_refused", Message: "Cross-origin WebSocket refused."}}}
		}
	}
	return nil
}

// headerHasToken reports whether header name of h lists token
// (comma-separated, case-insensitive).
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
