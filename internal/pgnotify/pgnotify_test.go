package pgnotify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// join feeds texts to a fresh joiner and returns the payloads completed.
func join(texts []string, now time.Time) [][]byte {
	var j joiner
	var out [][]byte
	for _, t := range texts {
		if p, ok := j.add(t, now); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestSplitJoin(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	big := []byte(strings.Repeat("a=candidate ünicode ə ş\r\n", 1200)) // ~31 kB, runes across the cuts
	for _, tc := range []struct {
		name    string
		payload []byte
		pieces  int
	}{
		{"empty", nil, 1},
		{"small", []byte(`{"centre_id":1,"number":"P-042"}`), 1},
		{"exactly a chunk", bytes.Repeat([]byte("x"), ChunkSize), 1},
		{"a byte more", bytes.Repeat([]byte("x"), ChunkSize+1), 2},
		{"large", big, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			texts := split(tc.payload)
			if len(texts) != tc.pieces {
				t.Fatalf("%d pieces, want %d", len(texts), tc.pieces)
			}
			for _, x := range texts {
				if len(x) > 8000 {
					t.Errorf("a notification of %d bytes: NOTIFY takes 8,000 at most", len(x))
				}
				if !strings.HasPrefix(x, "w:") && !strings.HasPrefix(x, "c:") {
					t.Errorf("text %.20q: no w: or c: prefix", x)
				}
			}
			got := join(texts, now)
			if len(got) != 1 || !bytes.Equal(got[0], tc.payload) {
				t.Fatalf("joined %d payloads, want the one sent back", len(got))
			}
			if len(texts) == 1 {
				return
			}
			// Reversed, and with a piece repeated: still one payload.
			rev := append([]string{}, texts...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			rev = append(rev[:1], rev...)
			if got := join(rev, now); len(got) != 1 || !bytes.Equal(got[0], tc.payload) {
				t.Fatalf("reversed and repeated: %d payloads, want the one sent", len(got))
			}
		})
	}
}

func TestJoiner_ForgetsAndIgnores(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	texts := split(bytes.Repeat([]byte("y"), 3*ChunkSize))
	var j joiner
	if _, ok := j.add(texts[0], now); ok {
		t.Fatal("one piece of three completed a payload")
	}
	// The rest comes two minutes later: the first piece was forgotten.
	for _, x := range texts[1:] {
		if _, ok := j.add(x, now.Add(2*time.Minute)); ok {
			t.Fatal("completed a payload whose first piece was forgotten")
		}
	}
	if len(j.parts) != 1 {
		t.Errorf("%d partial payloads kept, want 1 (the late pieces')", len(j.parts))
	}
	for _, bad := range []string{"", "x", "c:", "c:id:0:0:p", "c:id:2:2:p", "c:id:-1:2:p", "c:id:a:2:p", fmt.Sprintf("c:id:0:%d:p", MaxPieces+1), "z:whole"} {
		if p, ok := j.add(bad, now); ok {
			t.Errorf("%q gave payload %q, want nothing", bad, p)
		}
	}
}

func TestPublish_TooLarge(t *testing.T) {
	r := New("postgres://nobody@127.0.0.1:1/none", "dost_test")
	err := r.Publish(context.Background(), bytes.Repeat([]byte("z"), (MaxPieces+1)*ChunkSize))
	if err == nil || !strings.Contains(err.Error(), "pieces") {
		t.Fatalf("got %v, want the payload refused before any connection", err)
	}
}

func FuzzJoiner(f *testing.F) {
	for _, s := range split(bytes.Repeat([]byte("ə"), ChunkSize)) {
		f.Add(s, "w:x")
	}
	f.Add("c:id:0:2:a", "c:id:1:2:b")
	f.Fuzz(func(t *testing.T, a, b string) {
		var j joiner
		now := time.Now()
		j.add(a, now)
		if p, ok := j.add(b, now); ok && strings.HasPrefix(b, "w:") && string(p) != b[2:] {
			t.Fatalf("whole %q gave %q", b, p)
		}
	})
}

// TestRelay_PostgreSQL runs two relays, as two nodes would, over the test
// database: what one publishes, small or in pieces, reaches both.
func TestRelay_PostgreSQL(t *testing.T) {
	dsn := os.Getenv("DOST_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("DOST_TEST_POSTGRES_URL is not set")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := fmt.Sprintf("dost_test_%d", time.Now().UnixNano())
	nodes := []*Relay{New(dsn, channel), New(dsn, channel)}
	got := make([]chan string, len(nodes))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for i, r := range nodes {
		defer r.Close()
		got[i] = make(chan string, 100)
		wg.Go(func() {
			err := r.Listen(ctx, func(p []byte) { got[i] <- string(p) })
			if !errors.Is(err, context.Canceled) {
				t.Errorf("listen: %v", err)
			}
		})
	}
	ready := make([]bool, len(nodes))
	for deadline := time.Now().Add(20 * time.Second); !(ready[0] && ready[1]); {
		if time.Now().After(deadline) {
			t.Fatal("the listeners never heard a ping")
		}
		if err := nodes[0].Publish(ctx, []byte("ping")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		for i := range got {
			for len(got[i]) > 0 {
				<-got[i]
				ready[i] = true
			}
		}
	}
	small := `{"centre_id":1,"number":"P-042"}`
	large := strings.Repeat("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host ünicode\r\n", 400)
	for _, want := range []string{small, large} {
		if err := nodes[1].Publish(ctx, []byte(want)); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			select {
			case p := <-got[i]:
				for p == "ping" {
					p = <-got[i]
				}
				if p != want {
					t.Errorf("node %d: got %d bytes, want %d", i, len(p), len(want))
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("node %d heard nothing", i)
			}
		}
	}
}
