package video_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/video"
)

// hubServer serves a hub over WebSocket at /?room=&id=&role=, admitting
// anyone: the tests of this package test the hub, not the admission (the
// HTTP layer's, http/api_video_test.go).
func hubServer(t testing.TB, h *video.Hub) *httptest.Server {
	t.Helper()
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		room, _ := strconv.ParseInt(q.Get("room"), 10, 64)
		id, _ := strconv.ParseInt(q.Get("id"), 10, 64)
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		h.Serve(context.WithoutCancel(r.Context()), ws, room, video.Participant{ID: id, Role: dost.VideoRole(q.Get("role")), Name: q.Get("role")})
	}))
	t.Cleanup(func() {
		h.Close()
		wg.Wait()
		srv.Close()
	})
	return srv
}

// peer is a test's signalling client.
type peer struct {
	t    testing.TB
	conn *websocket.Conn
}

func join(t testing.TB, srv *httptest.Server, room, id int64, role string) *peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := fmt.Sprintf("ws%s/?room=%d&id=%d&role=%s", strings.TrimPrefix(srv.URL, "http"), room, id, role)
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return &peer{t: t, conn: c}
}

func (p *peer) send(m video.Message) {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, b); err != nil {
		p.t.Errorf("write: %v", err)
	}
}

// read returns the next message of a type not in skip.
func (p *peer) read(skip ...string) (video.Message, error) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, b, err := p.conn.Read(ctx)
		cancel()
		if err != nil {
			return video.Message{}, err
		}
		var m video.Message
		json.Unmarshal(b, &m)
		if !slices.Contains(skip, m.Type) {
			return m, nil
		}
	}
}

func (p *peer) expect(typ string, skip ...string) video.Message {
	p.t.Helper()
	m, err := p.read(skip...)
	if err != nil {
		p.t.Fatalf("read, want %s: %v", typ, err)
	}
	if m.Type != typ {
		p.t.Fatalf("got %s %s, want %s", m.Type, m.Data, typ)
	}
	return m
}

// TestHub_Protocol checks the routing rules: welcome first with those
// already there, joined and left, offers to their recipient only, the
// roles' limits, the replacement of a second connection, the end.
func TestHub_Protocol(t *testing.T) {
	h := video.NewHub()
	var left []int64
	var mu sync.Mutex
	h.Hooks.Left = func(room int64, p video.Participant) {
		mu.Lock()
		left = append(left, p.ID)
		mu.Unlock()
	}
	srv := hubServer(t, h)
	op := join(t, srv, 1, 10, "operator")
	if w := op.expect("welcome"); !strings.Contains(string(w.Data), `"participants":[]`) {
		t.Errorf("first welcome: %s", w.Data)
	}
	cit := join(t, srv, 1, 20, "citizen")
	if w := cit.expect("welcome"); !strings.Contains(string(w.Data), `"participants":[{"id":10`) {
		t.Errorf("second welcome: %s", w.Data)
	}
	op.expect("joined")
	other := join(t, srv, 2, 30, "citizen") // another room hears nothing of room 1
	other.expect("welcome")

	cit.send(video.Message{Type: "offer", To: 10, Data: json.RawMessage(`{"sdp":"x"}`)})
	if m := op.expect("offer"); m.From != 20 {
		t.Errorf("offer from %d, want 20", m.From)
	}
	cit.send(video.Message{Type: "consent-request"})
	if m := cit.expect("error"); !strings.Contains(string(m.Data), "forbidden") {
		t.Errorf("citizen's consent-request: %s", m.Data)
	}
	op.send(video.Message{Type: "consent", Data: json.RawMessage(`{"granted":true}`)})
	op.expect("error")
	op.send(video.Message{Type: "bogus"})
	if m := op.expect("error"); !strings.Contains(string(m.Data), "video.type_unknown") {
		t.Errorf("bogus type: %s", m.Data)
	}

	// A second connection of the citizen replaces the first, without a
	// left.
	cit2 := join(t, srv, 1, 20, "citizen")
	cit2.expect("welcome")
	if _, err := cit.read(); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("the replaced connection: got %v, want closed 1008", err)
	}
	// The citizen hanging up leaves; the operator hears left.
	cit2.send(video.Message{Type: "hangup"})
	if m := op.expect("left", "joined"); m.From != 20 {
		t.Errorf("left from %d", m.From)
	}
	h.End(1)
	op.expect("ended")
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(left, 20) {
		t.Errorf("Left hook: got %v, want 20 among them", left)
	}
	if len(h.Present(2)) != 1 {
		t.Errorf("room 2 present: %v", h.Present(2))
	}
}

// TestHub_SlowClientDropped floods a participant who never reads: the
// hub drops it (closed 1008 "slow client") instead of blocking the
// sender, who keeps being served.
func TestHub_SlowClientDropped(t *testing.T) {
	h := video.NewHub()
	h.Limits = &video.Limits{} // the flood is the point here, not the rate limit (TestHub_RateLimit)
	srv := hubServer(t, h)
	fast := join(t, srv, 1, 1, "operator")
	fast.expect("welcome")
	slow := join(t, srv, 1, 2, "citizen") // never reads after this
	slow.expect("welcome")
	fast.expect("joined")
	big := json.RawMessage(`{"sdp":"` + strings.Repeat("x", 32<<10) + `"}`)
	deadline := time.Now().Add(20 * time.Second)
	for len(h.Present(1)) == 2 && time.Now().Before(deadline) {
		for range 50 {
			fast.send(video.Message{Type: "offer", To: 2, Data: big})
		}
	}
	if got := len(h.Present(1)); got != 1 {
		t.Fatalf("present after the flood: %d, want the slow client dropped", got)
	}
	if m := fast.expect("left"); m.From != 2 {
		t.Errorf("left from %d, want 2", m.From)
	}
	fast.send(video.Message{Type: "chat", Data: json.RawMessage(`{"text":"still here"}`)})
	fast.send(video.Message{Type: "offer", Data: json.RawMessage(`{}`)})
	fast.expect("error") // the sender is served still
}

// memRelay is an in-memory Relay joining hubs as PostgreSQL would.
type memRelay struct {
	mu   sync.Mutex
	subs []func([]byte)
}

func (r *memRelay) Publish(ctx context.Context, payload []byte) error {
	r.mu.Lock()
	subs := slices.Clone(r.subs)
	r.mu.Unlock()
	for _, s := range subs {
		s(slices.Clone(payload))
	}
	return nil
}

func (r *memRelay) Listen(ctx context.Context, deliver func([]byte)) error {
	r.mu.Lock()
	r.subs = append(r.subs, deliver)
	r.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

// TestHub_Relay connects the two participants of a call to two nodes
// joined by a relay: in memory, and over PostgreSQL's LISTEN/NOTIFY
// (PGRelay, with an offer too large for one NOTIFY) when
// DOST_TEST_POSTGRES_URL is set.
func TestHub_Relay(t *testing.T) {
	t.Run("Memory", func(t *testing.T) {
		r := &memRelay{}
		testRelay(t, r, r)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		dsn := dosttest.DSN(t, sqlstore.DialectPostgres)
		a, b := video.NewPGRelay(dsn), video.NewPGRelay(dsn)
		defer a.Close()
		defer b.Close()
		testRelay(t, a, b)
	})
}

func testRelay(t *testing.T, ra, rb video.Relay) {
	ha, hb := video.NewHub(), video.NewHub()
	ha.Relay, hb.Relay = ra, rb
	ha.Start()
	hb.Start()
	sa, sb := hubServer(t, ha), hubServer(t, hb)
	time.Sleep(200 * time.Millisecond) // both listening
	op := join(t, sa, 7, 1, "operator")
	op.expect("welcome")
	cit := join(t, sb, 7, 2, "citizen")
	w := cit.expect("welcome")
	if !strings.Contains(string(w.Data), `"participants":[{"id":1,"role":"operator"`) {
		t.Fatalf("welcome on the other node: %s, want the operator there", w.Data)
	}
	op.expect("joined")
	sdp := strings.Repeat("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host ünicode\r\n", 200) // > 8,000 bytes
	cit.send(video.Message{Type: "offer", To: 1, Data: mustJSON(map[string]string{"sdp": sdp})})
	m := op.expect("offer")
	var d struct{ SDP string }
	json.Unmarshal(m.Data, &d)
	if m.From != 2 || d.SDP != sdp {
		t.Fatalf("offer across nodes: from %d, %d bytes, want from 2 and %d bytes", m.From, len(d.SDP), len(sdp))
	}
	op.send(video.Message{Type: "answer", To: 2, Data: json.RawMessage(`{"sdp":"ok"}`)})
	cit.expect("answer")
	op.send(video.Message{Type: "chat", Data: json.RawMessage(`{"text":"salam"}`)})
	cit.expect("chat")
	ha.End(7) // the operator's node ends the call: the citizen's node hears it
	cit.expect("ended")
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
