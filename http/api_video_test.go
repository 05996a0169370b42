package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/dost-az/dost"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/video"
)

// callFixture is a test server with the demo video centre: its centre,
// the video operator and the interpreter with their bearer tokens, and
// the video operator signed in at desk 1.
type callFixture struct {
	ts                        *dosttest.TestServer
	centre                    *dost.Centre
	operator, interpreter     *dost.User
	operatorTok, interpretTok string
}

func newCallFixture(t *testing.T, dialect string) *callFixture {
	t.Helper()
	ts := dosttest.NewServer(t, dialect, dosttest.WithAudit)
	ctx := context.Background()
	if _, err := demo.SeedVideo(ctx, ts.Centres, ts.Users, sqlstore.NewVideoStore(ts.DB), ts.HallStore, dost.Today(ts.DB.Clock())); err != nil {
		t.Fatalf("seed video: %v", err)
	}
	f := &callFixture{ts: ts}
	var err error
	if f.centre, err = ts.Centres.FindCentreByCode(ctx, demo.CentreVideo); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		name string
		u    **dost.User
		tok  *string
	}{{"video-operator", &f.operator, &f.operatorTok}, {"interpreter", &f.interpreter, &f.interpretTok}} {
		if *x.u, err = ts.Users.FindUserByUsername(ctx, x.name); err != nil {
			t.Fatal(err)
		}
		if _, *x.tok, err = ts.Users.CreateAPIToken(ctx, (*x.u).ID, "test", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	desk := strconv.FormatInt(f.centre.Counters[0].ID, 10)
	if r := f.as(t, f.operatorTok, "POST", "/api/v1/counters/"+desk+"/sign-in", nil); r.Status != 200 {
		t.Fatalf("sign in at the video desk: %d %s", r.Status, r.Body)
	}
	return f
}

// as sends a request with a bearer token ("" for none).
func (f *callFixture) as(t *testing.T, token, method, path string, body any) *result {
	t.Helper()
	var hdr http.Header
	if token != "" {
		hdr = http.Header{"Authorization": {"Bearer " + token}}
	}
	return send(t, f.ts, http.DefaultClient, hdr, method, path, body)
}

// signalClient is one participant's signalling connection in a test.
type signalClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dial opens the call's WebSocket with a bearer token or a path carrying
// the ticket's token; it fails the test unless the upgrade succeeds.
func (f *callFixture) dial(t *testing.T, path, token string) *signalClient {
	t.Helper()
	c, resp, err := f.tryDial(path, token)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	t.Cleanup(func() { c.CloseNow() })
	return &signalClient{t: t, conn: c}
}

func (f *callFixture) tryDial(path, token string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if token != "" {
		opts.HTTPHeader.Set("Authorization", "Bearer "+token)
	}
	return websocket.Dial(ctx, "ws"+strings.TrimPrefix(f.ts.URL, "http")+path, opts)
}

// next reads the next message that is not of a type in skip.
func (c *signalClient) next(skip ...string) video.Message {
	c.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, b, err := c.conn.Read(ctx)
		cancel()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		var m video.Message
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("decode %s: %v", b, err)
		}
		if !containsString(skip, m.Type) {
			return m
		}
	}
}

// expect reads the next message (skipping joined, left and quality) and
// checks its type.
func (c *signalClient) expect(typ string) video.Message {
	c.t.Helper()
	m := c.next("joined", "left", "quality")
	if m.Type != typ {
		c.t.Fatalf("got message %s %s, want %s", m.Type, m.Data, typ)
	}
	return m
}

func (c *signalClient) send(m video.Message) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type welcomeOf struct {
	You          video.Participant   `json:"you"`
	Participants []video.Participant `json:"participants"`
}

// TestVideoCall walks a call through the API and the WebSocket on both
// databases: a citizen joins from the portal, the video operator calls
// the ticket, strangers are refused before the upgrade, the two exchange
// an offer, an answer and chat, the citizen consents, an interpreter is
// asked for and joins as the third participant, and the operator's
// hang-up ends the call for everyone, finishes the ticket and leaves the
// call's metadata in the audit trail.
func TestVideoCall(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) { testVideoCall(t, d) })
	}
}

func testVideoCall(t *testing.T, dialect string) {
	f := newCallFixture(t, dialect)
	ts := f.ts
	citizenTok := ts.Token(dost.RoleCitizen)
	service := f.centre.Services[0]

	// Joining a hall centre's queue by video is refused.
	r := f.as(t, citizenTok, "POST", "/api/v1/video/tickets", map[string]string{"centre": ts.Fixtures.Centre.Code, "service": service})
	if r.Status != 400 || !strings.Contains(string(r.Body), "centre.not_video") {
		t.Fatalf("join a hall centre: got %d %s, want 400 centre.not_video", r.Status, r.Body)
	}
	r = f.as(t, citizenTok, "POST", "/api/v1/video/tickets", map[string]string{"centre": demo.CentreVideo, "service": service, "language": "en"})
	if r.Status != 201 {
		t.Fatalf("join: got %d %s", r.Status, r.Body)
	}
	var joined struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
		Call  string `json:"call"`
		WS    string `json:"ws"`
	}
	r.decode(t, &joined)
	callPath := "/api/v1/video/calls/" + strconv.FormatInt(joined.ID, 10)
	wsPath := "/video/calls/" + strconv.FormatInt(joined.ID, 10) + "/ws"
	if joined.Call != callPath+"?t="+joined.Token || joined.WS != wsPath+"?t="+joined.Token {
		t.Errorf("paths: got %q and %q", joined.Call, joined.WS)
	}

	// Before the call: the citizen sees it waiting; the operator of
	// another centre, a stranger and a wrong token are refused.
	r = f.as(t, citizenTok, "GET", callPath, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"status":"waiting"`) {
		t.Fatalf("citizen's call before the call: got %d %s", r.Status, r.Body)
	}
	for name, tok := range map[string]string{"other operator": ts.Token(dost.RoleOperator), "video operator before calling": f.operatorTok, "interpreter": f.interpretTok, "nobody": ""} {
		if r := f.as(t, tok, "GET", callPath, nil); r.Status != 403 || r.Problem.Errors[0].Code != "video.not_participant" {
			t.Errorf("%s: got %d %s, want 403 video.not_participant", name, r.Status, r.Body)
		}
	}
	if r := f.as(t, "", "GET", callPath+"?t=wrong", nil); r.Status != 403 {
		t.Errorf("wrong token: got %d, want 403", r.Status)
	}

	desk := strconv.FormatInt(f.centre.Counters[0].ID, 10)
	if r := f.as(t, f.operatorTok, "POST", "/api/v1/counters/"+desk+"/call-next", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"id":`+strconv.FormatInt(joined.ID, 10)) {
		t.Fatalf("call-next: got %d %s", r.Status, r.Body)
	}
	r = f.as(t, f.operatorTok, "GET", callPath, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"status":"active"`) || !strings.Contains(string(r.Body), `"role":"operator"`) {
		t.Fatalf("operator's call: got %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(r.Body), `"person_fin":"`+string(ts.Fixtures.Child.FIN)+`"`) {
		t.Errorf("operator's call lacks the citizen's FIN: %s", r.Body)
	}

	// The WebSocket refuses strangers before the upgrade.
	for name, x := range map[string][2]string{"other operator": {wsPath, ts.Token(dost.RoleOperator)}, "wrong token": {wsPath + "?t=x", ""}, "nobody": {wsPath, ""}} {
		c, resp, err := f.tryDial(x[0], x[1])
		if err == nil {
			c.CloseNow()
			t.Errorf("%s: the upgrade succeeded", name)
		} else if resp == nil || resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: got %v, want 403 problem+json", name, resp)
		}
	}

	op := f.dial(t, wsPath, f.operatorTok)
	w := op.expect("welcome")
	var opWelcome welcomeOf
	json.Unmarshal(w.Data, &opWelcome)
	if opWelcome.You.Role != dost.VideoOperator || len(opWelcome.Participants) != 0 {
		t.Fatalf("operator's welcome: %s", w.Data)
	}
	cit := f.dial(t, joined.WS, "") // the citizen by the ticket's token
	w = cit.expect("welcome")
	var citWelcome welcomeOf
	json.Unmarshal(w.Data, &citWelcome)
	if citWelcome.You.Role != dost.VideoCitizen || len(citWelcome.Participants) != 1 || citWelcome.Participants[0].ID != opWelcome.You.ID {
		t.Fatalf("citizen's welcome: %s", w.Data)
	}
	if m := op.next(); m.Type != "joined" || m.From != citWelcome.You.ID {
		t.Fatalf("operator got %s from %d, want joined from the citizen", m.Type, m.From)
	}

	// Perfect negotiation: the later joiner offers; the server stamps from.
	cit.send(video.Message{Type: "offer", To: opWelcome.You.ID, From: 999, Data: json.RawMessage(`{"sdp":"v=0 offer"}`)})
	if m := op.expect("offer"); m.From != citWelcome.You.ID || !strings.Contains(string(m.Data), "v=0 offer") {
		t.Fatalf("offer: %+v", m)
	}
	op.send(video.Message{Type: "answer", To: citWelcome.You.ID, Data: json.RawMessage(`{"sdp":"v=0 answer"}`)})
	cit.expect("answer")
	cit.send(video.Message{Type: "offer", Data: json.RawMessage(`{}`)}) // no recipient
	if m := cit.expect("error"); !strings.Contains(string(m.Data), "video.to_required") {
		t.Errorf("offer without to: %s", m.Data)
	}
	op.send(video.Message{Type: "chat", Data: json.RawMessage(`{"text":"  Salam!  "}`)})
	if m := cit.expect("chat"); string(m.Data) != `{"text":"Salam!"}` {
		t.Errorf("chat: %s", m.Data)
	}
	cit.send(video.Message{Type: "quality", Data: json.RawMessage(`{"rtt_ms":40,"loss":0.01,"kbps":800}`)})
	op.send(video.Message{Type: "consent", Data: json.RawMessage(`{"granted":true}`)}) // the operator may not
	if m := op.expect("error"); !strings.Contains(string(m.Data), "forbidden") {
		t.Errorf("operator's consent: %s", m.Data)
	}
	op.send(video.Message{Type: "consent-request"})
	cit.expect("consent-request")
	cit.send(video.Message{Type: "consent", Data: json.RawMessage(`{"granted":true}`)})
	op.expect("consent")

	// The ticket was started once both were there (about a second).
	var tk *dost.Ticket
	for range 50 {
		var err error
		if tk, err = ts.Hall.FindTicketByID(context.Background(), joined.ID); err != nil {
			t.Fatal(err)
		}
		if tk.Status == dost.TicketServing {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if tk.Status != dost.TicketServing {
		t.Errorf("ticket is %s, want serving", tk.Status)
	}

	// An interpreter: asked for by the operator, listed, accepted, joined.
	op.send(video.Message{Type: "interpreter-request", Data: json.RawMessage(`{"language":"sign"}`)})
	m := cit.expect("interpreter-requested")
	var req dost.VideoInterpretation
	json.Unmarshal(m.Data, &req)
	if req.ID == 0 || req.Language != "sign" || req.Status != dost.InterpretationWaiting {
		t.Fatalf("interpreter-requested: %s", m.Data)
	}
	r = f.as(t, ts.Token(dost.RoleOperator), "GET", "/api/v1/video/interpretations", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"total":0`) {
		t.Errorf("queue of a non-interpreter: got %d %s, want an empty page", r.Status, r.Body)
	}
	r = f.as(t, f.interpretTok, "GET", "/api/v1/video/interpretations?status=waiting", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"total":1`) {
		t.Fatalf("interpreters' queue: got %d %s", r.Status, r.Body)
	}
	acceptPath := "/api/v1/video/interpretations/" + strconv.FormatInt(req.ID, 10) + "/accept"
	if r := f.as(t, ts.Token(dost.RoleOperator), "POST", acceptPath, nil); r.Status != 403 {
		t.Errorf("accept by a non-interpreter: got %d %s, want 403", r.Status, r.Body)
	}
	if r := f.as(t, f.interpretTok, "POST", acceptPath, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"ticket":`+strconv.FormatInt(joined.ID, 10)) {
		t.Fatalf("accept: got %d %s", r.Status, r.Body)
	}
	if r := f.as(t, f.interpretTok, "POST", acceptPath, nil); r.Status != 409 {
		t.Errorf("accept again: got %d, want 409", r.Status)
	}
	// Only the operator gets the citizen's FIN (S3); the acceptance is
	// audited (S4).
	if r := f.as(t, f.interpretTok, "GET", callPath, nil); r.Status != 200 || strings.Contains(string(r.Body), "person_fin") {
		t.Errorf("interpreter's call: got %d %s, want 200 without person_fin", r.Status, r.Body)
	}
	if !auditHas(t, ts, "video_call", "interpretation accepted id="+strconv.FormatInt(req.ID, 10)+" ticket="+strconv.FormatInt(joined.ID, 10)+" language=sign interpreter="+strconv.FormatInt(f.interpreter.ID, 10)) {
		t.Error("the accepted interpretation is not in the audit trail")
	}
	in := f.dial(t, wsPath, f.interpretTok)
	w = in.expect("welcome")
	var inWelcome welcomeOf
	json.Unmarshal(w.Data, &inWelcome)
	if inWelcome.You.Role != dost.VideoInterpreter || len(inWelcome.Participants) != 2 {
		t.Fatalf("interpreter's welcome: %s", w.Data)
	}

	// A citizen's hang-up through the API is refused; the operator's
	// hang-up ends the call for everyone and finishes the ticket.
	if r := f.as(t, citizenTok, "POST", callPath+"/hangup", nil); r.Status != 403 {
		t.Errorf("citizen's hang-up: got %d, want 403", r.Status)
	}
	op.send(video.Message{Type: "hangup"})
	for name, c := range map[string]*signalClient{"citizen": cit, "interpreter": in, "operator": op} {
		if m := c.next("joined", "left", "quality", "chat", "consent"); m.Type != "ended" {
			t.Errorf("%s got %s, want ended", name, m.Type)
		}
	}
	if tk, _ = ts.Hall.FindTicketByID(context.Background(), joined.ID); tk.Status != dost.TicketFinished {
		t.Errorf("ticket is %s after the hang-up, want finished", tk.Status)
	}
	if r := f.as(t, f.operatorTok, "POST", callPath+"/hangup", nil); r.Status != 409 {
		t.Errorf("hang up again: got %d, want 409", r.Status)
	}
	if _, resp, err := f.tryDial(joined.WS, ""); err == nil || resp == nil || resp.StatusCode != 409 {
		t.Errorf("dial an ended call: got %v, want 409", resp)
	}

	// The audit trail holds the consent and the call's metadata.
	events, _, err := ts.Audit.FindAuditEvents(context.Background(), dost.AuditFilter{PersonID: &ts.Fixtures.Child.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var consent, ended bool
	for _, e := range events {
		if e.ObjectKind != "video_call" {
			continue
		}
		consent = consent || strings.Contains(e.Detail, "consent=granted ticket=")
		if strings.HasPrefix(e.Detail, "ended ") {
			ended = e.ActorID == f.operator.ID && strings.Contains(e.Detail, "participants=citizen:") &&
				strings.Contains(e.Detail, "interpreter:"+strconv.FormatInt(f.interpreter.ID, 10)) &&
				strings.Contains(e.Detail, "samples=1 avg_rtt_ms=40") && strings.Contains(e.Detail, "chat=1")
			if !ended {
				t.Errorf("end event: %+v", e)
			}
		}
	}
	if !consent || !ended {
		t.Errorf("audit trail: consent %v, end %v; want both", consent, ended)
	}
}
