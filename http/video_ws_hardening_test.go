package http_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/dost-az/dost"
	"github.com/dost-az/dost/demo"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// calledVideoTicket has a portal citizen join the video queue and the
// fixture's operator call the ticket; it returns the ticket's id and the
// citizen's WebSocket path (with the ticket's token).
func calledVideoTicket(t *testing.T, f *callFixture) (int64, string) {
	t.Helper()
	r := f.as(t, f.ts.Token(dost.RoleCitizen), "POST", "/api/v1/video/tickets", map[string]string{"centre": demo.CentreVideo, "service": f.centre.Services[0], "language": "az"})
	if r.Status != 201 {
		t.Fatalf("join: got %d %s", r.Status, r.Body)
	}
	var joined struct {
		ID int64  `json:"id"`
		WS string `json:"ws"`
	}
	r.decode(t, &joined)
	desk := strconv.FormatInt(f.centre.Counters[0].ID, 10)
	if r := f.as(t, f.operatorTok, "POST", "/api/v1/counters/"+desk+"/call-next", nil); r.Status != 200 {
		t.Fatalf("call-next: got %d %s", r.Status, r.Body)
	}
	return joined.ID, joined.WS
}

// TestVideoWS_RefusedBeforeJoin: a participant's request to the call's
// WebSocket that is no WebSocket handshake, or comes from another
// origin, is refused with problem+json before anything is written: the
// operator is not marked present and the call not connected.
func TestVideoWS_RefusedBeforeJoin(t *testing.T) {
	f := newCallFixture(t, "sqlite")
	id, _ := calledVideoTicket(t, f)
	wsPath := "/video/calls/" + strconv.FormatInt(id, 10) + "/ws"

	r := f.as(t, f.operatorTok, "GET", wsPath, nil)
	if r.Status != 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") ||
		len(r.Problem.Errors) == 0 || r.Problem.Errors[0].Code != "video.websocket_required" {
		t.Errorf("plain GET: got %d %s %s, want 400 problem+json video.websocket_required", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(f.ts.URL, "http")+wsPath, &websocket.DialOptions{HTTPHeader: http.Header{
		"Authorization": {"Bearer " + f.operatorTok}, "Origin": {"https://evil.example"}}})
	if err == nil {
		c.CloseNow()
		t.Error("cross-origin upgrade succeeded")
	} else if resp == nil || resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("cross-origin upgrade: got %v, want 403 problem+json", resp)
	}

	call, err := sqlstore.NewVideoStore(f.ts.DB).FindCallByTicket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if call.ConnectedAt != nil {
		t.Errorf("the call is marked connected (at %v) by refused requests", call.ConnectedAt)
	}
	for _, p := range call.Participants {
		if p.Role == dost.VideoOperator {
			t.Errorf("the operator was joined by a refused request: %+v", p)
		}
	}
	// The same origin is admitted.
	op := f.dial(t, wsPath, f.operatorTok)
	op.expect("welcome")
}

// TestVideoWS_OperatorNoLongerHoldsTicket: once the operator's ticket is
// transferred away from them, their connection to the call is dropped
// (1008) within TicketWatch, and the citizen hears left; on both
// databases.
func TestVideoWS_OperatorNoLongerHoldsTicket(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			f := newCallFixture(t, d)
			id, citWS := calledVideoTicket(t, f)
			sid := strconv.FormatInt(id, 10)
			op := f.dial(t, "/video/calls/"+sid+"/ws", f.operatorTok)
			op.expect("welcome")
			cit := f.dial(t, citWS, "")
			cit.expect("welcome")
			// Transferred to another desk: waiting again, no longer the
			// operator's.
			other := f.centre.Counters[1].ID
			if r := f.as(t, f.operatorTok, "POST", "/api/v1/tickets/"+sid+"/actions", map[string]any{"action": "transfer", "counter_id": other}); r.Status != 200 {
				t.Fatalf("transfer: got %d %s", r.Status, r.Body)
			}
			ctx, cancel := context.WithTimeout(context.Background(), dosthttp.TicketWatch+5*time.Second)
			defer cancel()
			for {
				_, _, err := op.conn.Read(ctx)
				if err != nil {
					if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
						t.Fatalf("operator's connection: got %v, want closed 1008", err)
					}
					break
				}
			}
			if m := cit.next("joined", "quality"); m.Type != "left" {
				t.Errorf("citizen got %s, want left", m.Type)
			}
		})
	}
}
