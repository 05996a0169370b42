package http_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/demo"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/video"
)

// TestVideoCallFinishedAtConsole: a video ticket finished at the console
// (the hall's action through the API, not the call's hang-up) ends its
// call at once, and so does a ticket finished another way (the hall's
// service directly, as the day's end does): with participants connected
// their connections' watcher ends it within TicketWatch and they get
// ended; with nobody connected the video_calls job's sweep ends it. On
// both databases. Every way, the end is audited as the system with the
// ticket's status and operator, not as a participant, and the call's
// interpretation request leaves the interpreters' queue.
func TestVideoCallFinishedAtConsole(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			for _, console := range []bool{true, false} {
				for _, connected := range []bool{true, false} {
					name := map[bool]string{true: "Console", false: "Elsewhere"}[console] + map[bool]string{true: "Connected", false: "NobodyConnected"}[connected]
					t.Run(name, func(t *testing.T) { testCallFinishedAtConsole(t, d, console, connected) })
				}
			}
		})
	}
}

func testCallFinishedAtConsole(t *testing.T, dialect string, console, connected bool) {
	f := newCallFixture(t, dialect)
	ts := f.ts
	ctx := context.Background()
	service := f.centre.Services[0]
	r := f.as(t, ts.Token(dost.RoleCitizen), "POST", "/api/v1/video/tickets", map[string]string{"centre": demo.CentreVideo, "service": service, "language": "az"})
	if r.Status != 201 {
		t.Fatalf("join: got %d %s", r.Status, r.Body)
	}
	var joined struct {
		ID int64  `json:"id"`
		WS string `json:"ws"`
	}
	r.decode(t, &joined)
	id := strconv.FormatInt(joined.ID, 10)
	desk := strconv.FormatInt(f.centre.Counters[0].ID, 10)
	if r := f.as(t, f.operatorTok, "POST", "/api/v1/counters/"+desk+"/call-next", nil); r.Status != 200 {
		t.Fatalf("call-next: got %d %s", r.Status, r.Body)
	}
	if r := f.as(t, f.operatorTok, "POST", "/api/v1/video/calls/"+id+"/interpretations", map[string]string{"language": "sign"}); r.Status != 201 {
		t.Fatalf("ask for an interpreter: got %d %s", r.Status, r.Body)
	}
	var cit *signalClient
	if connected {
		op := f.dial(t, "/video/calls/"+id+"/ws", f.operatorTok)
		op.expect("welcome")
		cit = f.dial(t, joined.WS, "")
		cit.expect("welcome")
		// A message through the hook while the watchers run (M4: under
		// -race, the hook and the watcher share no caller).
		time.Sleep(1200 * time.Millisecond)
		op.send(video.Message{Type: "chat", Data: json.RawMessage(`{"text":"hello"}`)})
		cit.expect("chat")
	}

	// Finished at the console (or by the hall's service): started
	// (unless the call started it), then finished with the ticket's
	// service.
	if console {
		f.as(t, f.operatorTok, "POST", "/api/v1/tickets/"+id+"/actions", map[string]string{"action": "start"})
		if r := f.as(t, f.operatorTok, "POST", "/api/v1/tickets/"+id+"/actions", map[string]any{"action": "finish", "services_done": []string{service}}); r.Status != 200 {
			t.Fatalf("finish at the console: got %d %s", r.Status, r.Body)
		}
	} else {
		octx := dost.NewContextWithUser(ctx, f.operator)
		ts.Server.Hall.ActOnTicket(octx, joined.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		if _, err := ts.Server.Hall.ActOnTicket(octx, joined.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{service}}); err != nil {
			t.Fatalf("finish by the hall: %v", err)
		}
	}

	if connected {
		deadline := time.Now().Add(dosthttp.TicketWatch + 5*time.Second)
		for {
			if time.Now().After(deadline) {
				t.Fatal("the citizen got no ended message")
			}
			if m := cit.next("joined", "left", "quality", "interpreter-requested"); m.Type == "ended" {
				break
			}
		}
	} else {
		// At the console the call has ended already; elsewhere the
		// sweep ends it.
		n, err := ts.Server.EndVideoCallsOfClosedTickets(ctx)
		if want := map[bool]int{true: 0, false: 1}[console]; err != nil || n != want {
			t.Fatalf("sweep: ended %d (%v), want %d", n, err, want)
		}
		if n, err := ts.Server.EndVideoCallsOfClosedTickets(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep: ended %d (%v), want 0", n, err)
		}
	}

	// The call has ended (the citizen's view says so) ...
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := f.as(t, f.operatorTok, "GET", "/api/v1/video/calls/"+id, nil)
		var call struct {
			Status  string     `json:"status"`
			EndedAt *time.Time `json:"ended_at"`
		}
		json.Unmarshal(r.Body, &call)
		if call.EndedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call has not ended: %s", r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// ... its end is the system's in the audit trail ...
	events, _, err := ts.Audit.FindAuditEvents(ctx, dost.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var ends []*dost.AuditEvent
	for _, e := range events {
		if e.ObjectKind == "video_call" && strings.HasPrefix(e.Detail, "ended ticket="+id+" ") {
			ends = append(ends, e)
		}
	}
	want := "reason=ticket_left_hall ticket_status=finished ticket_operator=" + strconv.FormatInt(f.operator.ID, 10)
	if len(ends) != 1 || ends[0].ActorName != dosthttp.SystemVideoActor || ends[0].ActorID != 0 || ends[0].IP != "" ||
		!strings.HasSuffix(ends[0].Detail, want) {
		for _, e := range ends {
			t.Logf("end event: actor %d %q ip %q: %s", e.ActorID, e.ActorName, e.IP, e.Detail)
		}
		t.Fatalf("got %d end events, want one by %q ending %q", len(ends), dosthttp.SystemVideoActor, want)
	}
	// ... and its interpretation request is no longer waiting.
	r = f.as(t, f.interpretTok, "GET", "/api/v1/video/interpretations?status=waiting", nil)
	if r.Status != 200 || strings.Contains(string(r.Body), `"ticket_id":`+id) {
		t.Errorf("interpreters' queue after the end: got %d %s", r.Status, r.Body)
	}
}
