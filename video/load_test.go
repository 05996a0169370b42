package video_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost/video"
)

// Calls and messages of the load test: 50 calls of 2 participants, 100
// signalling sessions on one node.
const (
	loadCalls = 50
	loadRound = 100 // round trips per call in the test
)

// runLoad connects calls pairs to one hub and has each pair make rounds
// round trips (offer from the citizen, answer from the operator, as ICE
// candidates would go), all calls at once. It returns the one-way
// latencies measured (send → read by the peer) and the wall time.
func runLoad(t testing.TB, calls, rounds int) ([]time.Duration, time.Duration, int) {
	h := video.NewHub()
	h.Limits = &video.Limits{} // the hub's own throughput: each pair sends faster than a connection's rate limit allows
	srv := hubServer(t, h)
	type pair struct{ op, cit *peer }
	pairs := make([]pair, calls)
	for i := range pairs {
		room := int64(i + 1)
		pairs[i].op = join(t, srv, room, room*10+1, "operator")
		pairs[i].op.expect("welcome")
		pairs[i].cit = join(t, srv, room, room*10+2, "citizen")
		pairs[i].cit.expect("welcome")
		pairs[i].op.expect("joined")
	}
	present := 0
	for i := range pairs {
		present += len(h.Present(int64(i + 1)))
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for i, p := range pairs {
		room := int64(i + 1)
		wg.Go(func() { // the operator answers each offer
			for range rounds {
				m := p.op.expect("offer")
				var d struct{ T int64 }
				json.Unmarshal(m.Data, &d)
				l := time.Since(time.Unix(0, d.T))
				mu.Lock()
				lat = append(lat, l)
				mu.Unlock()
				p.op.send(video.Message{Type: "answer", To: room*10 + 2, Data: json.RawMessage(`{"t":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `}`)})
			}
		})
		wg.Go(func() { // the citizen offers, then waits for the answer
			for range rounds {
				p.cit.send(video.Message{Type: "offer", To: room*10 + 1, Data: json.RawMessage(`{"t":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `,"sdp":"v=0 o=- 4611731400430051336 2 IN IP4 127.0.0.1 s=- t=0 0 a=group:BUNDLE 0 1"}`)})
				m := p.cit.expect("answer")
				var d struct{ T int64 }
				json.Unmarshal(m.Data, &d)
				l := time.Since(time.Unix(0, d.T))
				mu.Lock()
				lat = append(lat, l)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return lat, time.Since(start), present
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// TestHub_100Sessions holds 100 signalling sessions on one hub (50 calls
// of 2) exchanging messages all at once: every message arrives, and the
// latencies are logged (go test -v -run TestHub_100Sessions ./video).
func TestHub_100Sessions(t *testing.T) {
	lat, wall, present := runLoad(t, loadCalls, loadRound)
	if present != 2*loadCalls {
		t.Fatalf("present at once: %d sessions, want %d", present, 2*loadCalls)
	}
	if want := 2 * loadCalls * loadRound; len(lat) != want {
		t.Fatalf("got %d messages, want %d", len(lat), want)
	}
	slices.Sort(lat)
	t.Logf("%d sessions, %d messages in %v (%.0f msg/s): latency p50 %v, p95 %v, p99 %v, max %v",
		present, len(lat), wall.Round(time.Millisecond), float64(len(lat))/wall.Seconds(),
		percentile(lat, 0.50), percentile(lat, 0.95), percentile(lat, 0.99), lat[len(lat)-1])
}

// BenchmarkHub_Signalling measures a message's way through the hub with
// 100 sessions connected (50 calls of 2): each op is one message, and
// the latency percentiles are reported as metrics.
func BenchmarkHub_Signalling(b *testing.B) {
	rounds := max(1, b.N/(2*loadCalls))
	b.ResetTimer()
	lat, wall, _ := runLoad(b, loadCalls, rounds)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(lat))/wall.Seconds(), "msg/s")
}
