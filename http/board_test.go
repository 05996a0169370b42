package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	Name string
	Data string
}

// boardStream is an open board connection.
type boardStream struct {
	resp   *http.Response
	events chan sseEvent // closed when the stream ends
}

// openBoard opens the board event stream of centre code with client c
// and reads its events into a channel until the stream ends.
func openBoard(ctx context.Context, c *http.Client, base, code string) (*boardStream, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/centres/"+code+"/board/events", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("board stream: got %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &boardStream{resp: resp, events: make(chan sseEvent, 64)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s, nil
}

// next returns the stream's next event other than heartbeats, or fails
// after timeout.
func (s *boardStream) next(timeout time.Duration) (sseEvent, error) {
	select {
	case ev, ok := <-s.events:
		if !ok {
			return sseEvent{}, fmt.Errorf("stream ended")
		}
		return ev, nil
	case <-time.After(timeout):
		return sseEvent{}, fmt.Errorf("no event within %s", timeout)
	}
}

func (s *boardStream) Close() { s.resp.Body.Close() }

// streamClient returns a client for many concurrent streams.
func streamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}}
}

// openBoards opens n board streams and reads each one's snapshot.
func openBoards(t testing.TB, ts *dosttest.TestServer, code string, n int) []*boardStream {
	t.Helper()
	c := streamClient()
	streams := make([]*boardStream, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := openBoard(context.Background(), c, ts.URL, code)
			if err == nil {
				var ev sseEvent
				if ev, err = s.next(30 * time.Second); err == nil && ev.Name != "snapshot" {
					err = fmt.Errorf("first event %q, want snapshot", ev.Name)
				}
			}
			streams[i] = s
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, s := range streams {
			s.Close()
		}
	})
	return streams
}

// awaitCalls waits until every stream received a call event for number and
// returns the moment the last one did.
func awaitCalls(streams []*boardStream, number string) (time.Time, error) {
	var mu sync.Mutex
	var last time.Time
	errs := make(chan error, len(streams))
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Go(func() {
			for {
				ev, err := s.next(30 * time.Second)
				if err != nil {
					errs <- fmt.Errorf("stream %d: %w", i, err)
					return
				}
				if ev.Name != "call" {
					continue
				}
				var e dosthttp.BoardEvent
				if err := json.Unmarshal([]byte(ev.Data), &e); err != nil || e.Number != number {
					errs <- fmt.Errorf("stream %d: got %s, want ticket %s (%v)", i, ev.Data, number, err)
					return
				}
				now := time.Now()
				mu.Lock()
				if now.After(last) {
					last = now
				}
				mu.Unlock()
				return
			}
		})
	}
	wg.Wait()
	close(errs)
	return last, <-errs
}

// readyToCall signs the operator in at the fixture's counter, certifies
// them and issues n tickets.
func readyToCall(t testing.TB, f *hallFixture, n int) []issuedTicket {
	t.Helper()
	if r := call(t, f.ts, dost.RoleOperator, "POST", counterPath(f.counter, "sign-in"), nil); r.Status != http.StatusOK {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	f.certify(t, f.ts.Fixtures.Users[dost.RoleOperator])
	var out []issuedTicket
	for range n {
		out = append(out, f.issue(t, ""))
	}
	return out
}

// TestBoardEvents opens 200 board connections and checks that a call and a
// recall reach every one of them, and that the snapshot of a new
// connection shows them.
func TestBoardEvents(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		tickets := readyToCall(t, f, 1)
		const n = 200
		streams := openBoards(t, ts, f.centre.Code, n)
		if got := ts.Server.Board().Subscribers(f.centre.ID); got != n {
			t.Fatalf("board subscribers: got %d, want %d", got, n)
		}
		r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call-next"), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("call-next: %d %s", r.Status, r.Body)
		}
		if _, err := awaitCalls(streams, tickets[0].Number); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if r := call(t, ts, dost.RoleOperator, "POST", ticketPath(tickets[0].ID)+"/actions", map[string]any{"action": "recall"}); r.Status != http.StatusOK {
			t.Fatalf("recall: %d %s", r.Status, r.Body)
		}
		if _, err := awaitCalls(streams, tickets[0].Number); err != nil {
			t.Fatal(err)
		}

		// Calls elsewhere do not reach this centre's boards.
		if got := ts.Server.Board().Publish(dosthttp.BoardEvent{CentreID: ts.Fixtures.OtherCentre.ID, Number: "X-001"}); got != 0 {
			t.Errorf("a call at another centre reached %d of this centre's boards", got)
		}

		s, err := openBoard(context.Background(), streamClient(), ts.URL, f.centre.Code)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ev, err := s.next(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var snap struct{ Items []dosthttp.BoardEvent }
		if err := json.Unmarshal([]byte(ev.Data), &snap); err != nil {
			t.Fatal(err)
		}
		if len(snap.Items) != 2 || snap.Items[0].Kind != "recalled" || snap.Items[1].Kind != "called" ||
			snap.Items[0].Number != tickets[0].Number || snap.Items[0].Counter != f.counter.Number || snap.Items[0].Language != "en" {
			t.Errorf("snapshot: got %+v, want the recall then the call of %s at counter %d", snap.Items, tickets[0].Number, f.counter.Number)
		}
	})
}

// TestBoardSlowClient checks that a subscriber that does not read is
// dropped once its buffer is full, while the others get every event and
// Publish never waits.
func TestBoardSlowClient(t *testing.T) {
	var b dosthttp.Board
	slow, fast := b.Subscribe(1), b.Subscribe(1)
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case e := <-fast.C:
				got = append(got, e.Number)
				if len(got) == dosthttp.BoardBuffer*3 {
					return
				}
			case <-fast.Done:
				return
			}
		}
	}()
	for i := range dosthttp.BoardBuffer * 3 {
		b.Publish(dosthttp.BoardEvent{CentreID: 1, Number: fmt.Sprintf("A-%03d", i)})
		// Give the fast reader its turn, so only the slow one lags.
		for len(fast.C) > 0 {
			time.Sleep(time.Millisecond)
		}
	}
	<-done
	select {
	case <-slow.Done:
	default:
		t.Fatal("the slow subscriber was not dropped")
	}
	select {
	case <-fast.Done:
		t.Fatal("the fast subscriber was dropped")
	default:
	}
	if len(got) != dosthttp.BoardBuffer*3 || got[0] != "A-000" || got[len(got)-1] != fmt.Sprintf("A-%03d", dosthttp.BoardBuffer*3-1) {
		t.Errorf("fast subscriber got %d events %v", len(got), got)
	}
	if n := b.Subscribers(1); n != 1 {
		t.Errorf("subscribers: got %d, want 1", n)
	}
	fast.Cancel()
	fast.Cancel() // twice is harmless
	if n := b.Subscribers(1); n != 0 {
		t.Errorf("subscribers after cancelling: got %d, want 0", n)
	}
	b.Close()
	if s := b.Subscribe(1); s.Done == nil {
		t.Error("no Done channel")
	} else {
		select {
		case <-s.Done:
		default:
			t.Error("a subscription after Close is not done")
		}
	}
}

// TestBoardShutdown checks that open board streams do not hold up the
// server's shutdown: Close ends them at once.
func TestBoardShutdown(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	s := dosthttp.NewServer()
	s.Addr = "127.0.0.1:0"
	s.Clock = ts.DB.Clock()
	s.CentreService, s.CatalogueService, s.UserService, s.Hall = ts.Centres, ts.Catalogue, ts.Users, ts.Hall
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	stream, err := openBoard(context.Background(), streamClient(), s.URL(), ts.Fixtures.Centre.Code)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if _, err := stream.next(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("close with an open stream: %v", err)
		}
	case <-time.After(dosthttp.ShutdownTimeout / 2):
		t.Fatal("close waits for the open board stream")
	}
	if _, err := stream.next(5 * time.Second); err == nil {
		t.Error("the stream did not end")
	}
}

// BenchmarkBoardFanout measures, with 1,000 open board connections over
// HTTP, the time from an operator's call-next request to the moment the
// last connection received the call (ms/last-delivery).
func BenchmarkBoardFanout(b *testing.B) {
	ts := dosttest.NewServer(b, "sqlite")
	f := newHallFixture(b, ts)
	readyToCall(b, f, 0)
	streams := openBoards(b, ts, f.centre.Code, 1000)
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		tk := f.issue(b, "")
		b.StartTimer()
		start := time.Now()
		r := call(b, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call-next"), nil)
		if r.Status != http.StatusOK {
			b.Fatalf("call-next: %d %s", r.Status, r.Body)
		}
		last, err := awaitCalls(streams, tk.Number)
		if err != nil {
			b.Fatal(err)
		}
		total += last.Sub(start)
		b.StopTimer()
		if r := call(b, ts, dost.RoleOperator, "POST", ticketPath(tk.ID)+"/actions", map[string]any{"action": "no_show"}); r.Status != http.StatusOK {
			b.Fatalf("no-show: %d %s", r.Status, r.Body)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/last-delivery")
}

// loopRelay is an in-process dosthttp.BoardRelay shared by the servers of
// one test, standing in for PostgreSQL's NOTIFY between nodes.
type loopRelay struct {
	mu        sync.Mutex // guards listeners
	listeners map[*func([]byte)]bool
}

func (l *loopRelay) Publish(ctx context.Context, payload []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for deliver := range l.listeners {
		(*deliver)(payload)
	}
	return nil
}

func (l *loopRelay) Listen(ctx context.Context, deliver func([]byte)) error {
	l.mu.Lock()
	if l.listeners == nil {
		l.listeners = map[*func([]byte)]bool{}
	}
	l.listeners[&deliver] = true
	l.mu.Unlock()
	<-ctx.Done()
	l.mu.Lock()
	delete(l.listeners, &deliver)
	l.mu.Unlock()
	return ctx.Err()
}

func (l *loopRelay) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.listeners)
}

// TestBoardRelay runs two nodes over one database, each with its relay
// (in process, and over PostgreSQL's LISTEN/NOTIFY when the test database
// is there): a call made on one node reaches the boards connected to
// either, once.
func TestBoardRelay(t *testing.T) {
	loop := &loopRelay{}
	relays := map[string]func() dosthttp.BoardRelay{"loop": func() dosthttp.BoardRelay { return loop }}
	if dsn := os.Getenv(dosttest.PostgresEnv); dsn != "" {
		relays["postgres"] = func() dosthttp.BoardRelay { return dosthttp.NewPGBoardRelay(dsn) }
	}
	for name, relay := range relays {
		t.Run(name, func(t *testing.T) {
			mine, theirs := relay(), relay()
			for _, r := range []dosthttp.BoardRelay{mine, theirs} {
				if c, ok := r.(interface{ Close() error }); ok {
					t.Cleanup(func() { c.Close() })
				}
			}
			ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) { s.BoardRelay = mine })
			f := newHallFixture(t, ts)
			tickets := readyToCall(t, f, 1)
			other := dosthttp.NewServer()
			other.Addr = "127.0.0.1:0"
			other.Clock = ts.DB.Clock()
			other.CentreService, other.CatalogueService, other.UserService, other.Hall = ts.Centres, ts.Catalogue, ts.Users, ts.Hall
			other.BoardRelay = theirs
			if err := other.Open(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { other.Close() })
			for _, s := range []*dosthttp.Server{ts.Server, other} {
				awaitRelay(t, s)
			}
			here := openBoards(t, ts, f.centre.Code, 1)[0]
			there, err := openBoard(context.Background(), streamClient(), other.URL(), f.centre.Code)
			if err != nil {
				t.Fatal(err)
			}
			defer there.Close()
			if _, err := there.next(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call-next"), nil); r.Status != http.StatusOK {
				t.Fatalf("call-next: %d %s", r.Status, r.Body)
			}
			if _, err := awaitCalls([]*boardStream{here, there}, tickets[0].Number); err != nil {
				t.Fatal(err)
			}
			// Once each: nothing further arrives.
			for _, s := range []*boardStream{here, there} {
				if ev, err := s.next(300 * time.Millisecond); err == nil {
					t.Errorf("a second event: %+v", ev)
				}
			}
			if name == "loop" {
				other.Close()
				if n := loop.count(); n != 1 {
					t.Errorf("listeners after one node closed: got %d, want 1", n)
				}
			}
		})
	}
}

// awaitRelay waits until node s hears its relay: it publishes probes for
// a centre no board shows until one reaches s's Board.
func awaitRelay(t *testing.T, s *dosthttp.Server) {
	t.Helper()
	probe := s.Board().Subscribe(-1)
	defer probe.Cancel()
	payload, _ := json.Marshal(dosthttp.BoardEvent{CentreID: -1, Number: "probe"})
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if err := s.BoardRelay.Publish(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		select {
		case <-probe.C:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("the node never heard its relay")
}

// TestPGBoardRelay runs two relays, as two nodes would, over the test
// PostgreSQL database: what one publishes reaches both listeners.
func TestPGBoardRelay(t *testing.T) {
	dsn := os.Getenv(dosttest.PostgresEnv)
	if dsn == "" {
		t.Skipf("%s is not set", dosttest.PostgresEnv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	marker := fmt.Sprintf("test-%d", time.Now().UnixNano())
	nodes := []*dosthttp.PGBoardRelay{dosthttp.NewPGBoardRelay(dsn), dosthttp.NewPGBoardRelay(dsn)}
	got := make([]chan string, len(nodes))
	var wg sync.WaitGroup
	for i, r := range nodes {
		defer r.Close()
		got[i] = make(chan string, 100)
		wg.Go(func() {
			err := r.Listen(ctx, func(p []byte) {
				if strings.HasPrefix(string(p), marker) {
					got[i] <- string(p)
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("listen: %v", err)
			}
		})
	}
	// Ping until both listen (LISTEN runs in their goroutines).
	ready := make([]bool, len(nodes))
	for deadline := time.Now().Add(20 * time.Second); !(ready[0] && ready[1]); {
		if time.Now().After(deadline) {
			t.Fatal("the listeners never heard a ping")
		}
		if err := nodes[0].Publish(ctx, []byte(marker+" ping")); err != nil {
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
	want := marker + ` {"centre_id":1,"number":"P-042"}`
	if err := nodes[1].Publish(ctx, []byte(want)); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		select {
		case p := <-got[i]:
			for strings.HasSuffix(p, " ping") { // a late ping
				p = <-got[i]
			}
			if p != want {
				t.Errorf("node %d: got %q, want %q", i, p, want)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("node %d heard nothing", i)
		}
	}
	cancel()
	wg.Wait()
}
