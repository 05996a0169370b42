package multinode_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/internal/nodeproc"
	"github.com/dost-az/dost/sqlstore"
)

// hallFixture is a centre whose counters each have an operator, certified
// for every category, with an API token.
type hallFixture struct {
	centre    *dost.Centre
	services  []string // the in-person services the centre offers
	operators []operator
}

// operator is an operator of the fixture and their counter.
type operator struct {
	user    *dost.User
	counter int64
	token   string
}

// setupHall stores, through sqlstore in this process, the shipped
// catalogue, a centre with counters counters and an operator per counter
// (certified for every category from a month ago to a year ahead, with an
// API token), before the nodes start. The nodes run on the system clock,
// so the certifications are dated by it too.
func setupHall(t *testing.T, dsn string, counters int) *hallFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	services, err := catalogue.Services()
	if err != nil {
		t.Fatal(err)
	}
	f := &hallFixture{}
	cat := sqlstore.NewCatalogueService(db)
	for _, s := range services {
		if err := cat.SaveService(ctx, s); err != nil {
			t.Fatal(err)
		}
		if s.Active && slices.Contains(s.RequestChannels, dost.ChannelInPerson) {
			f.services = append(f.services, s.Code)
		}
	}
	var hours []dost.OpeningHours
	for d := time.Sunday; d <= time.Saturday; d++ {
		hours = append(hours, dost.OpeningHours{Weekday: d, Opens: "00:00", Closes: "23:59"})
	}
	f.centre = &dost.Centre{
		Code:   "multinode-1",
		Name:   dost.Text{AZ: "Sınaq mərkəzi", EN: "Multi-node centre", RU: "Тестовый центр"},
		Region: "Baku", District: "Nizami", Timezone: "Asia/Baku", Phone: "+994124000000",
		Address: dost.Text{AZ: "Küçə 1", EN: "Street 1", RU: "Улица 1"}, Hours: hours, Services: f.services,
	}
	for n := range counters {
		f.centre.Counters = append(f.centre.Counters, &dost.Counter{Number: n + 1, Label: fmt.Sprint(n + 1)})
	}
	if err := sqlstore.NewCentreService(db).CreateCentre(ctx, f.centre); err != nil {
		t.Fatal(err)
	}
	users := sqlstore.NewUserService(db)
	hall := sqlstore.NewHallStore(db)
	today := dost.Today(dost.SystemClock{})
	for n, k := range f.centre.Counters {
		u := &dost.User{Username: fmt.Sprintf("op%02d", n+1), Name: fmt.Sprintf("Operator %d", n+1),
			Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.centre.ID}}
		if err := users.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		for _, c := range dost.Categories {
			if err := hall.CreateCertification(ctx, &dost.Certification{OperatorID: u.ID, Category: c,
				ValidFrom: today.AddDate(0, -1, 0), ValidUntil: today.AddDate(1, 0, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		_, token, err := users.CreateAPIToken(ctx, u.ID, "multinode test", 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		f.operators = append(f.operators, operator{user: u, counter: k.ID, token: token})
	}
	return f
}

// issuedTicket is the kiosk's answer to POST /api/v1/tickets.
type issuedTicket struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
}

// calledTicket is the answer of call-next.
type calledTicket struct {
	Ticket struct {
		ID          int64  `json:"id"`
		Number      string `json:"number"`
		ServiceCode string `json:"service_code"`
	} `json:"ticket"`
}

// issue issues a ticket for service at the fixture's centre through c
// (the public kiosk route).
func (f *hallFixture) issue(ctx context.Context, c client, service string) (issuedTicket, error) {
	var t issuedTicket
	err := c.do(ctx, "POST", "/api/v1/tickets", dost.NewTicket{CentreID: f.centre.ID, ServiceCode: service, Language: "az"}, &t)
	return t, err
}

// serve starts and finishes a called ticket, freeing the counter.
func serve(ctx context.Context, c client, ticketID int64, service string) error {
	path := fmt.Sprintf("/api/v1/tickets/%d/actions", ticketID)
	if err := c.do(ctx, "POST", path, dost.TicketActionRequest{Action: dost.TicketStart}, nil); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if err := c.do(ctx, "POST", path, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{service}}, nil); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	return nil
}

// boardEvent is a call as a board stream delivers it, with when it
// arrived.
type boardEvent struct {
	TicketID int64  `json:"ticket_id"`
	Number   string `json:"number"`
	Kind     string `json:"kind"`
	Counter  int    `json:"counter"`
	at       time.Time
}

// boardStream is an open board (GET …/board/events) of one node.
type boardStream struct {
	calls chan boardEvent
	err   chan error
}

// openBoard connects a board to the centre's event stream on the node at
// base and returns once the stream's snapshot has arrived (the board is
// subscribed from then on). The stream ends with ctx.
func openBoard(ctx context.Context, t *testing.T, base, code string) *boardStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/centres/"+code+"/board/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req) // no timeout: the stream stays open
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("board stream of %s: HTTP %d", base, resp.StatusCode)
	}
	s := &boardStream{calls: make(chan boardEvent, 64), err: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "snapshot":
				close(ready)
			case strings.HasPrefix(line, "data: ") && event == "call":
				e := boardEvent{at: time.Now()}
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err != nil {
					s.err <- err
					return
				}
				s.calls <- e
			}
		}
		s.err <- fmt.Errorf("board stream of %s ended: %v", base, sc.Err())
	}()
	select {
	case <-ready:
	case err := <-s.err:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatalf("board stream of %s: no snapshot within 10 s", base)
	}
	return s
}

// await returns the board's call of ticket id, skipping others, or an
// error after within.
func (s *boardStream) await(id int64, within time.Duration) (boardEvent, error) {
	timeout := time.After(within)
	for {
		select {
		case e := <-s.calls:
			if e.TicketID == id {
				return e, nil
			}
		case err := <-s.err:
			return boardEvent{}, err
		case <-timeout:
			return boardEvent{}, fmt.Errorf("ticket %d not on the board within %s", id, within)
		}
	}
}

// boardRounds is how many calls TestBoardsAcrossNodes makes.
const boardRounds = 10

// TestBoardsAcrossNodes: display boards connected to nodes B and C show
// a call made on node A within a second. The call goes from A's request
// through PostgreSQL's NOTIFY to B's and C's LISTEN connections
// (http.PGBoardRelay, wired by `dost serve` on PostgreSQL) and out on
// their server-sent event streams. The latency is measured from the
// moment the call-next request is sent to the moment each board reads the
// event, over boardRounds calls.
func TestBoardsAcrossNodes(t *testing.T) {
	bin := needPostgres(t)
	dsn := testDB(t, "")
	migrate(t, bin, dsn)
	f := setupHall(t, dsn, 1)
	c := startCluster(t, bin, dsn, 3, nodeOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	a := c.nodes[0]
	boards := map[string]*boardStream{
		c.ids[1]: openBoard(ctx, t, c.nodes[1].URL, f.centre.Code),
		c.ids[2]: openBoard(ctx, t, c.nodes[2].URL, f.centre.Code),
	}
	kiosk := client{base: a.URL}
	op := client{base: a.URL, token: f.operators[0].token}
	counter := f.operators[0].counter
	if err := op.do(ctx, "POST", fmt.Sprintf("/api/v1/counters/%d/sign-in", counter), nil, nil); err != nil {
		t.Fatalf("sign in at counter %d on %s: %v", counter, c.ids[0], err)
	}

	lat := map[string][]time.Duration{}
	for i := range boardRounds {
		service := f.services[i%len(f.services)]
		tk, err := f.issue(ctx, kiosk, service)
		if err != nil {
			t.Fatalf("issue on %s: %v", c.ids[0], err)
		}
		sent := time.Now()
		var called calledTicket
		if err := op.do(ctx, "POST", fmt.Sprintf("/api/v1/counters/%d/call-next", counter), nil, &called); err != nil {
			t.Fatalf("call next on %s: %v", c.ids[0], err)
		}
		if called.Ticket.ID != tk.ID {
			t.Fatalf("called ticket %d, want %d (the only one waiting)", called.Ticket.ID, tk.ID)
		}
		for name, b := range boards {
			e, err := b.await(tk.ID, 5*time.Second)
			if err != nil {
				t.Fatalf("board on %s: %v", name, err)
			}
			if e.Number != tk.Number || e.Kind != "called" || e.Counter != 1 {
				t.Errorf("board on %s shows %+v, want ticket %s called to counter 1", name, e, tk.Number)
			}
			d := e.at.Sub(sent)
			lat[name] = append(lat[name], d)
			if d >= time.Second {
				t.Errorf("board on %s showed ticket %s %s after the call on %s, want < 1 s", name, tk.Number, d, c.ids[0])
			}
		}
		if err := serve(ctx, op, tk.ID, called.Ticket.ServiceCode); err != nil {
			t.Fatalf("serve ticket %s on %s: %v", tk.Number, c.ids[0], err)
		}
	}
	for _, name := range c.ids[1:] {
		ds := lat[name]
		t.Logf("board on %s: %d calls made on %s, latency from the call-next request: p50 %s, max %s (load %s)",
			name, len(ds), c.ids[0], percentile(ds, 0.5).Round(100*time.Microsecond), percentile(ds, 1).Round(100*time.Microsecond), nodeproc.LoadAverage())
	}
}

// Sizes of TestCallNextAcrossNodes.
const (
	callOperators = 30  // operators, each at their own counter, over the three nodes
	callTickets   = 180 // tickets issued, over the three nodes
)

// TestCallNextAcrossNodes: callOperators operators, each signed in at
// their own counter on one of three nodes (ten per node), call next at
// once while kiosks on the three nodes issue callTickets tickets. Every
// ticket is handed to exactly one operator: none twice, none lost. The
// API's answers are checked, then the database: every ticket of the day
// finished, called once (one "called" queue event), by the operator the
// API named.
func TestCallNextAcrossNodes(t *testing.T) {
	bin := needPostgres(t)
	t.Parallel()
	dsn := testDB(t, "")
	migrate(t, bin, dsn)
	t0 := time.Now()
	f := setupHall(t, dsn, callOperators)
	t1 := time.Now()
	c := startCluster(t, bin, dsn, 3, nodeOptions{})
	t.Logf("setup %s, nodes started in %s", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	clientOf := func(i int, token string) client { return client{base: c.nodes[i%len(c.nodes)].URL, token: token} }
	for i, op := range f.operators {
		if err := clientOf(i, op.token).do(ctx, "POST", fmt.Sprintf("/api/v1/counters/%d/sign-in", op.counter), nil, nil); err != nil {
			t.Fatalf("sign in %s: %v", op.user.Username, err)
		}
	}

	var (
		mu       sync.Mutex
		handedTo = map[int64][]int{} // ticket → operators (indexes) it was handed to
		issued   = map[int64]string{}
		lat      []time.Duration
		handed   atomic.Int64
		failed   error
		once     sync.Once
	)
	fail := func(err error) { once.Do(func() { failed = err; cancel() }) }
	start := time.Now()
	var issuing sync.WaitGroup
	for k := range len(c.nodes) {
		issuing.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(k), 7))
			kiosk := clientOf(k, "")
			for range callTickets / len(c.nodes) {
				tk, err := f.issue(ctx, kiosk, f.services[rng.IntN(len(f.services))])
				if err != nil {
					fail(fmt.Errorf("issue on %s: %w", c.ids[k], err))
					return
				}
				mu.Lock()
				issued[tk.ID] = tk.Number
				mu.Unlock()
				time.Sleep(time.Duration(rng.IntN(10)) * time.Millisecond)
			}
		})
	}
	var operators sync.WaitGroup
	for i, op := range f.operators {
		operators.Go(func() {
			cl := clientOf(i, op.token)
			path := fmt.Sprintf("/api/v1/counters/%d/call-next", op.counter)
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for handed.Load() < callTickets && ctx.Err() == nil {
				t0 := time.Now()
				var called calledTicket
				err := cl.do(ctx, "POST", path, nil, &called)
				var ae *apiError
				if errors.As(err, &ae) && ae.Status == http.StatusNotFound && strings.Contains(ae.Body, "queue.empty") {
					time.Sleep(20 * time.Millisecond)
					continue
				} else if err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("%s calls next on %s: %w", op.user.Username, c.ids[i%len(c.nodes)], err))
					}
					return
				}
				mine = append(mine, time.Since(t0))
				mu.Lock()
				handedTo[called.Ticket.ID] = append(handedTo[called.Ticket.ID], i)
				mu.Unlock()
				handed.Add(1)
				if err := serve(ctx, cl, called.Ticket.ID, called.Ticket.ServiceCode); err != nil {
					fail(fmt.Errorf("%s serves ticket %d: %w", op.user.Username, called.Ticket.ID, err))
					return
				}
			}
		})
	}
	issuing.Wait()
	operators.Wait()
	elapsed := time.Since(start)
	if failed != nil {
		t.Fatal(failed)
	}

	// The API's view: each issued ticket handed out once.
	if len(issued) != callTickets {
		t.Fatalf("%d tickets issued, want %d", len(issued), callTickets)
	}
	perNode := make([]int, len(c.nodes))
	for id, ops := range handedTo {
		if len(ops) > 1 {
			names := []string{}
			for _, i := range ops {
				names = append(names, f.operators[i].user.Username+"@"+c.ids[i%len(c.nodes)])
			}
			t.Errorf("ticket %d handed to %d operators: %v", id, len(ops), names)
		}
		if _, ok := issued[id]; !ok {
			t.Errorf("ticket %d handed out but not issued by this test", id)
		}
		perNode[ops[0]%len(c.nodes)]++
	}
	for id, number := range issued {
		if len(handedTo[id]) == 0 {
			t.Errorf("ticket %s (%d) issued but never handed to an operator", number, id)
		}
	}

	// The database's view.
	db := sqlDB(t, dsn)
	rows, err := db.QueryContext(context.Background(), `SELECT t.id, t.status, t.operator_id,
		(SELECT count(*) FROM queue_events e WHERE e.ticket_id = t.id AND e.kind = 'called')
		FROM tickets t WHERE t.centre_id = $1`, f.centre.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, operatorID, calls int64
		var status string
		if err := rows.Scan(&id, &status, &operatorID, &calls); err != nil {
			t.Fatal(err)
		}
		n++
		if status != string(dost.TicketFinished) || calls != 1 {
			t.Errorf("ticket %d: %s, called %d times; want finished, called once", id, status, calls)
		}
		if ops := handedTo[id]; len(ops) == 1 && f.operators[ops[0]].user.ID != operatorID {
			t.Errorf("ticket %d: operator %d in the database, but the API handed it to %d", id, operatorID, f.operators[ops[0]].user.ID)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != callTickets {
		t.Errorf("%d tickets in the database, want %d", n, callTickets)
	}
	t.Logf("%d tickets issued on 3 nodes, called by %d operators on 3 nodes (calls per node %v) in %s: call-next p50 %s, p99 %s, max %s (load %s)",
		callTickets, callOperators, perNode, elapsed.Round(time.Millisecond), percentile(lat, 0.5).Round(100*time.Microsecond),
		percentile(lat, 0.99).Round(100*time.Microsecond), percentile(lat, 1).Round(100*time.Microsecond), nodeproc.LoadAverage())
}
