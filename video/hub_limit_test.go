package video_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/dost-az/dost/video"
)

// TestHub_RateLimit: a connection sending more than RateBurst messages at
// once, more than ChatBurst chat messages, or a second quality sample
// within QualityEvery gets error {code: rate_limited} for the excess,
// which is neither given to the hooks (no database write) nor forwarded;
// the other participant's connection is not affected.
func TestHub_RateLimit(t *testing.T) {
	h := video.NewHub()
	var mu sync.Mutex
	hooked := map[string]int{}
	h.Hooks.Message = func(_ context.Context, _ int64, _ video.Participant, m *video.Message) error {
		mu.Lock()
		hooked[m.Type]++
		mu.Unlock()
		return nil
	}
	srv := hubServer(t, h)
	op := join(t, srv, 1, 10, "operator")
	op.expect("welcome")
	cit := join(t, srv, 1, 20, "citizen")
	cit.expect("welcome")
	op.expect("joined")

	limited := func(p *peer, what string) {
		t.Helper()
		if m := p.expect("error", "chat", "quality", "offer", "joined"); !strings.Contains(string(m.Data), `"code":"`+video.CodeRateLimited+`"`) {
			t.Fatalf("%s: got error %s, want rate_limited", what, m.Data)
		}
	}
	// Quality: the first sample passes, the second at once is refused.
	cit.send(video.Message{Type: "quality", Data: json.RawMessage(`{"rtt_ms":40,"loss":0,"kbps":900}`)})
	op.expect("quality")
	cit.send(video.Message{Type: "quality", Data: json.RawMessage(`{"rtt_ms":41,"loss":0,"kbps":900}`)})
	limited(cit, "second quality sample")

	// Chat: ChatBurst pass, the next is refused.
	for range video.ChatBurst {
		cit.send(video.Message{Type: "chat", Data: json.RawMessage(`{"text":"hi"}`)})
	}
	cit.send(video.Message{Type: "chat", Data: json.RawMessage(`{"text":"one too many"}`)})
	limited(cit, "chat beyond the burst")
	for range video.ChatBurst {
		op.expect("chat")
	}

	// Any message: beyond RateBurst at once is refused; the operator may
	// still send.
	for range video.RateBurst {
		cit.send(video.Message{Type: "offer", To: 10, Data: json.RawMessage(`{"sdp":"x"}`)})
	}
	limited(cit, "a flood of offers")
	op.send(video.Message{Type: "chat", Data: json.RawMessage(`{"text":"still here"}`)})
	if m := cit.expect("chat", "error"); !strings.Contains(string(m.Data), "still here") {
		t.Errorf("operator's chat: %s", m.Data)
	}
	h.End(1)
	mu.Lock()
	defer mu.Unlock()
	if hooked["quality"] != 1 || hooked["chat"] != video.ChatBurst+1 {
		t.Errorf("hooks got %v, want 1 quality and %d chat", hooked, video.ChatBurst+1)
	}
}

// TestHub_Drop: Drop closes one participant's connection (1008) and the
// others hear left.
func TestHub_Drop(t *testing.T) {
	h := video.NewHub()
	srv := hubServer(t, h)
	op := join(t, srv, 1, 10, "operator")
	op.expect("welcome")
	cit := join(t, srv, 1, 20, "citizen")
	cit.expect("welcome")
	op.expect("joined")
	h.Drop(1, 10, "no longer a participant")
	if _, err := op.read(); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("the dropped connection: got %v, want closed 1008", err)
	}
	if m := cit.expect("left"); m.From != 10 {
		t.Errorf("left from %d, want 10", m.From)
	}
}
