package loadgen

import (
	"slices"
	"sync"
	"time"
)

// EndpointStats are one endpoint's results: its latencies (of every
// answer, whatever its status), answers by status, and failures: answers
// with a status the scenario did not expect, and requests that got no
// answer (Transport).
type EndpointStats struct {
	Name       string // "POST /api/v1/tickets": method and route pattern
	Latency    Histogram
	Statuses   map[int]int64
	Unexpected int64 // answers with a status not expected
	Transport  int64 // no answer: connection refused or reset, timeout
}

// Errors is the endpoint's failures: unexpected answers and requests
// without one.
func (e *EndpointStats) Errors() int64 { return e.Unexpected + e.Transport }

// ServerErrors counts the answers with a 5xx status.
func (e *EndpointStats) ServerErrors() int64 {
	var n int64
	for s, c := range e.Statuses {
		if s >= 500 {
			n += c
		}
	}
	return n
}

// Stats collects the endpoints' results of a run; safe for concurrent
// use.
type Stats struct {
	mu        sync.Mutex
	endpoints map[string]*EndpointStats
	samples   map[string][]string // up to 3 bodies of unexpected answers per endpoint
}

func newStats() *Stats {
	return &Stats{endpoints: map[string]*EndpointStats{}, samples: map[string][]string{}}
}

// record adds one request's outcome: status 0 for no answer.
func (s *Stats) record(name string, d time.Duration, status int, expected bool, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.endpoints[name]
	if e == nil {
		e = &EndpointStats{Name: name, Statuses: map[int]int64{}}
		s.endpoints[name] = e
	}
	if status == 0 {
		e.Transport++
		if len(s.samples[name]) < 3 {
			s.samples[name] = append(s.samples[name], body)
		}
		return
	}
	e.Latency.Record(d)
	e.Statuses[status]++
	if !expected {
		e.Unexpected++
		if len(s.samples[name]) < 3 {
			if len(body) > 300 {
				body = body[:300]
			}
			s.samples[name] = append(s.samples[name], body)
		}
	}
}

// Endpoints returns a copy of every endpoint's stats, ordered by name.
func (s *Stats) Endpoints() []*EndpointStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*EndpointStats, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		c := *e
		c.Statuses = map[int]int64{}
		for k, v := range e.Statuses {
			c.Statuses[k] = v
		}
		c.Latency.counts = slices.Clone(e.Latency.counts)
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *EndpointStats) int { return compareEndpoints(a.Name, b.Name) })
	return out
}

// compareEndpoints orders endpoints by path, then method.
func compareEndpoints(a, b string) int {
	am, ap, _ := cut(a)
	bm, bp, _ := cut(b)
	if ap != bp {
		if ap < bp {
			return -1
		}
		return 1
	}
	if am < bm {
		return -1
	} else if am > bm {
		return 1
	}
	return 0
}

func cut(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}

// Samples returns up to three bodies of the endpoint's unexpected answers.
func (s *Stats) Samples(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.samples[name])
}
