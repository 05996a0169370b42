// Package loadgen is dost's load generator: a day in the DOST network
// scaled up, driven over HTTP against one node or several (`dost bench
// load`). Visitors arrive at the centres' kiosks at a rate, with the
// record day's topic mix (DOSTMix), and are called, started and finished
// by operators at their counters; citizens read their account on the
// portal (the JSON API and the pages, with their sessions); another
// registry sends life events (births, deaths, the date change, some sent
// twice); and a payroll cycle is prepared and approved meanwhile. Every
// request's latency and status is recorded per endpoint (Stats), and
// Report prints throughput and p50 / p99 / max per endpoint.
//
// Arrivals are open-loop (Poisson, a seeded generator: the same seed
// draws the same visits, citizens and events), so a slow server makes
// requests pile up rather than slowing the generator down; operators are
// closed-loop, one per counter, as at the windows.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dost-az/dost"
)

// Scenario is what a run does.
type Scenario struct {
	// Targets are the nodes' base URLs ("http://127.0.0.1:8080"), used in
	// turn (round robin, per request).
	Targets []string
	// Duration is how long visitors arrive; operators stop with them.
	Duration time.Duration
	// VisitRate is visits per second over all centres (kiosk tickets).
	VisitRate float64
	// PortalRate is citizens' portal requests per second.
	PortalRate float64
	// EventRate is life events per second from the registry.
	EventRate float64
	// Payroll prepares and approves a cycle during the run.
	Payroll bool
	// ServiceTime is how long an operator takes between start and finish
	// (0: at once).
	ServiceTime time.Duration
	// Mix is the topic mix (default DOSTMix).
	Mix Mix
	// Seed makes the run's draws reproducible.
	Seed uint64
	// MaxInFlight bounds the open-loop requests in flight (default 512);
	// an arrival past it is counted as dropped, not sent.
	MaxInFlight int
	// Today is the day of the events' dates (default: today in Baku).
	Today dost.Date
	// Window, when set, is called once at a quarter of Duration with the
	// length of the run's middle half (for a CPU profile of it).
	Window func(d time.Duration)
	// Progress, when set, receives a line every 10 s.
	Progress io.Writer

	Creds *Credentials
}

// Credentials are the accounts and data a run acts with, made by Seed.
type Credentials struct {
	Centres []Centre
	// Groups is the queue group of each service code.
	Groups map[string]string
	// Citizens are portal session tokens (the dost_session cookie) of
	// citizens of the population.
	Citizens []string
	// Registry is the bearer token of the events' sender (role registry).
	Registry string
	// Mothers are women of the population, 18–45, for births; Deceased
	// are persons of the population whose deaths the run reports, each
	// once.
	Mothers, Deceased []dost.FIN
	// Preparer and Approver are bearer tokens of two payroll officers
	// (four eyes).
	Preparer, Approver string
}

// Centre is a centre of the run with its counters.
type Centre struct {
	ID       int64
	Code     string
	Services []string // in-person services offered here
	Counters []Counter
}

// Counter is a window and the bearer token of its operator, who is
// certified for every category and serves its queue groups.
type Counter struct {
	ID     int64
	Groups []string // empty: every group
	Token  string
}

// Result is a run's outcome.
type Result struct {
	Scenario Scenario
	Elapsed  time.Duration
	Stats    *Stats
	Visits   int64 // tickets issued
	Served   int64 // finished
	NoShow   int64
	Dropped  int64     // arrivals not sent: MaxInFlight reached
	Wait     Histogram // issue to call, of the visits called
	Payroll  PayrollResult
	Failures []string // reasons the run failed (5xx, unexpected statuses)
}

// PayrollResult is the cycle's part of a run.
type PayrollResult struct {
	CycleID  int64
	Period   string
	Count    int           // payments
	Prepared time.Duration // POST to status prepared
	Approved bool
	Err      string
}

// Failed reports whether the run failed: a 5xx, an unexpected status or
// a request without an answer.
func (r *Result) Failed() bool { return len(r.Failures) > 0 }

// runner is one run's state.
type runner struct {
	sc       Scenario
	client   *http.Client
	stats    *Stats
	next     atomic.Uint64 // round robin over targets
	topics   map[Topic][]string
	queues   map[int64]*centreQueue
	issued   sync.Map // ticket id → time issued
	res      *Result
	inFlight chan struct{}
	wait     sync.Mutex // guards res.Wait

	mu   sync.Mutex // guards sent, dead
	sent []map[string]any
	dead int // Deceased reported so far
}

// Run runs the scenario and returns its result; the error is for a run
// that could not start (bad scenario, sign-in at the counters refused).
func Run(ctx context.Context, sc Scenario) (*Result, error) {
	if len(sc.Targets) == 0 || sc.Creds == nil || sc.Duration <= 0 {
		return nil, errors.New("loadgen: a scenario needs targets, credentials and a duration")
	}
	if sc.Mix == nil {
		sc.Mix = DOSTMix
	}
	if sc.MaxInFlight <= 0 {
		sc.MaxInFlight = 512
	}
	if sc.Today.IsZero() {
		sc.Today = dost.DateOf(time.Now().In(dost.Baku))
	}
	var codes []string
	for code := range sc.Creds.Groups {
		codes = append(codes, code)
	}
	topics, err := TopicServices(sc.Mix, codes)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second}
	defer tr.CloseIdleConnections()
	r := &runner{sc: sc, client: &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		stats: newStats(), topics: topics, queues: map[int64]*centreQueue{},
		res: &Result{Scenario: sc}, inFlight: make(chan struct{}, sc.MaxInFlight)}
	r.res.Stats = r.stats
	for _, c := range sc.Creds.Centres {
		r.queues[c.ID] = newCentreQueue()
	}
	// The operators sign in at their counters first.
	for _, c := range sc.Creds.Centres {
		for _, k := range c.Counters {
			st, body := r.do(ctx, "POST /api/v1/counters/{counter}/sign-in", "POST", fmt.Sprintf("/api/v1/counters/%d/sign-in", k.ID),
				bearer(k.Token), nil, nil, 200, 201)
			if st != 200 && st != 201 {
				return nil, fmt.Errorf("loadgen: sign-in at counter %d: %d %s", k.ID, st, body)
			}
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	deadline := start.Add(sc.Duration)
	var wg sync.WaitGroup
	// Operators: until the deadline.
	for _, c := range sc.Creds.Centres {
		for i, k := range c.Counters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.operator(ctx, deadline, c, k, rand.New(rand.NewPCG(sc.Seed, uint64(c.ID)<<16|uint64(i))))
			}()
		}
	}
	// Open-loop arrivals.
	arrivals := []struct {
		rate float64
		seq  uint64
		fn   func(context.Context, *rand.Rand, int)
	}{{sc.VisitRate, 1, r.visit}, {sc.PortalRate, 2, r.portal}, {sc.EventRate, 3, r.event}}
	var reqs sync.WaitGroup
	for _, a := range arrivals {
		if a.rate <= 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(sc.Seed, a.seq))
			at := start
			for n := 0; ; n++ {
				at = at.Add(time.Duration(rng.ExpFloat64() / a.rate * float64(time.Second)))
				if at.After(deadline) {
					return
				}
				select {
				case <-time.After(time.Until(at)):
				case <-ctx.Done():
					return
				}
				// Each arrival draws from its own generator, seeded by
				// its number: what it does does not depend on timing.
				arng := rand.New(rand.NewPCG(sc.Seed^uint64(n)<<8, a.seq))
				select {
				case r.inFlight <- struct{}{}:
				default:
					atomic.AddInt64(&r.res.Dropped, 1)
					continue
				}
				reqs.Add(1)
				go func() {
					defer reqs.Done()
					defer func() { <-r.inFlight }()
					a.fn(ctx, arng, n)
				}()
			}
		}()
	}
	if sc.Payroll {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.payroll(ctx, start.Add(sc.Duration/5), deadline)
		}()
	}
	if sc.Window != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(sc.Duration / 4):
				sc.Window(sc.Duration / 2)
			case <-ctx.Done():
			}
		}()
	}
	if sc.Progress != nil {
		go func() {
			t := time.NewTicker(10 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					fmt.Fprintf(sc.Progress, "  … %s: %d visits issued, %d served\n", time.Since(start).Round(time.Second),
						atomic.LoadInt64(&r.res.Visits), atomic.LoadInt64(&r.res.Served))
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	wg.Wait()
	reqs.Wait()
	r.res.Elapsed = time.Since(start)
	cancel()
	// Sign out, so that a later run's operators find free counters.
	for _, c := range sc.Creds.Centres {
		for _, k := range c.Counters {
			r.do(context.Background(), "POST /api/v1/counters/{counter}/sign-out", "POST", fmt.Sprintf("/api/v1/counters/%d/sign-out", k.ID),
				bearer(k.Token), nil, nil, 200, 204)
		}
	}
	for _, e := range r.stats.Endpoints() {
		if n := e.ServerErrors(); n > 0 {
			r.res.Failures = append(r.res.Failures, fmt.Sprintf("%s: %d answers 5xx", e.Name, n))
		}
		if n := e.Errors(); n > 0 {
			r.res.Failures = append(r.res.Failures, fmt.Sprintf("%s: %d unexpected answers, %d without answer; e.g. %q",
				e.Name, e.Unexpected, e.Transport, r.stats.Samples(e.Name)))
		}
	}
	if sc.Payroll && r.res.Payroll.Err != "" {
		r.res.Failures = append(r.res.Failures, "payroll: "+r.res.Payroll.Err)
	}
	return r.res, nil
}

// auth is how a request authenticates.
type auth struct{ header, value string }

func bearer(token string) auth  { return auth{"Authorization", "Bearer " + token} }
func session(token string) auth { return auth{"Cookie", "dost_session=" + token} }

// do sends one request to the next target and records it under name. A
// status among expect is expected (none: any below 400). out, when set,
// receives the JSON answer of an expected status. It returns the status
// (0: no answer) and, for an unexpected one, the body.
func (r *runner) do(ctx context.Context, name, method, path string, a auth, in, out any, expect ...int) (int, string) {
	base := r.sc.Targets[int(r.next.Add(1)-1)%len(r.sc.Targets)]
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			panic(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		panic(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.header != "" {
		req.Header.Set(a.header, a.value)
	}
	t0 := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, "" // the run ended
		}
		r.stats.record(name, time.Since(t0), 0, false, err.Error())
		return 0, err.Error()
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil && ctx.Err() != nil {
		return 0, ""
	}
	ok := slices.Contains(expect, resp.StatusCode) || len(expect) == 0 && resp.StatusCode < 400
	r.stats.record(name, d, resp.StatusCode, ok, string(b))
	if ok && out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			r.stats.record(name+" (bad JSON)", 0, 0, false, err.Error())
		}
	}
	if !ok {
		return resp.StatusCode, string(b)
	}
	return resp.StatusCode, ""
}

// issuedTicket is the kiosk's answer.
type issuedTicket struct {
	ID          int64  `json:"id"`
	Group       string `json:"group"`
	ServiceCode string `json:"service_code"`
	Token       string `json:"token"`
}

// visit is one visitor: a ticket from the kiosk of a centre for a
// service of a drawn topic, and a look at the ticket's status page (the
// QR code) while waiting.
func (r *runner) visit(ctx context.Context, rng *rand.Rand, n int) {
	cr := r.sc.Creds
	c := cr.Centres[rng.IntN(len(cr.Centres))]
	topic := r.sc.Mix.Draw(rng)
	var offered []string
	for _, code := range r.topics[topic] {
		if slices.Contains(c.Services, code) {
			offered = append(offered, code)
		}
	}
	if len(offered) == 0 {
		offered = r.topics[topic] // not here: the next centre's (a rare topic at a small centre)
		for _, o := range cr.Centres {
			if slices.Contains(o.Services, offered[0]) {
				c = o
				break
			}
		}
		offered = offered[:1]
	}
	code := offered[rng.IntN(len(offered))]
	lang := []string{"az", "az", "az", "ru", "en"}[rng.IntN(5)]
	var t issuedTicket
	st, _ := r.do(ctx, "POST /api/v1/tickets", "POST", "/api/v1/tickets", auth{},
		dost.NewTicket{CentreID: c.ID, ServiceCode: code, Language: lang}, &t, 201)
	if st != 201 {
		return
	}
	atomic.AddInt64(&r.res.Visits, 1)
	r.issued.Store(t.ID, time.Now())
	r.queues[c.ID].add(t.Group)
	r.do(ctx, "GET /api/v1/tickets/{id}", "GET", fmt.Sprintf("/api/v1/tickets/%d?token=%s", t.ID, t.Token), auth{}, nil, nil, 200)
}

// calledTicket is call-next's answer.
type calledTicket struct {
	Ticket struct {
		ID          int64  `json:"id"`
		Group       string `json:"group"`
		ServiceCode string `json:"service_code"`
	} `json:"ticket"`
}

// operator works at counter k until the deadline: waits for a ticket of
// one of its groups, calls the next (call-next), starts and finishes it;
// every 40th visitor does not come (no-show).
func (r *runner) operator(ctx context.Context, deadline time.Time, c Centre, k Counter, rng *rand.Rand) {
	q := r.queues[c.ID]
	a := bearer(k.Token)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		g, ok := q.take(ctx, k.Groups, deadline)
		if !ok && !time.Now().Before(deadline) {
			return
		}
		var called calledTicket
		st, _ := r.do(ctx, "POST /api/v1/counters/{counter}/call-next", "POST", fmt.Sprintf("/api/v1/counters/%d/call-next", k.ID),
			a, nil, &called, 200, 404)
		t := called.Ticket
		if st != 200 {
			if st == 0 || st == 404 && g == "" {
				select { // nobody, or no answer: do not spin
				case <-time.After(200 * time.Millisecond):
				case <-ctx.Done():
				}
			}
			continue
		}
		q.called(g, t.Group)
		if at, ok := r.issued.LoadAndDelete(t.ID); ok {
			r.wait.Lock()
			r.res.Wait.Record(time.Since(at.(time.Time)))
			r.wait.Unlock()
		}
		act := func(body dost.TicketActionRequest) int {
			st, _ := r.do(ctx, "POST /api/v1/tickets/{id}/actions "+string(body.Action), "POST", fmt.Sprintf("/api/v1/tickets/%d/actions", t.ID),
				a, body, nil, 200)
			return st
		}
		if rng.IntN(40) == 0 {
			if act(dost.TicketActionRequest{Action: dost.TicketMarkNoShow}) == 200 {
				atomic.AddInt64(&r.res.NoShow, 1)
			}
			continue
		}
		if act(dost.TicketActionRequest{Action: dost.TicketStart}) != 200 {
			continue
		}
		if r.sc.ServiceTime > 0 {
			select {
			case <-time.After(r.sc.ServiceTime):
			case <-ctx.Done():
			}
		}
		if act(dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{t.ServiceCode}}) == 200 {
			atomic.AddInt64(&r.res.Served, 1)
		}
	}
}

// portalReads are what a citizen reads on the portal, in the proportions
// drawn: the JSON API of the mobile app and the pages.
var portalReads = []struct{ name, path string }{
	{"GET /api/v1/me", "/api/v1/me"},
	{"GET /api/v1/me/person", "/api/v1/me/person"},
	{"GET /api/v1/me/awards", "/api/v1/me/awards"},
	{"GET /api/v1/me/payments", "/api/v1/me/payments"},
	{"GET /api/v1/me/applications", "/api/v1/me/applications"},
	{"GET /api/v1/me/offers", "/api/v1/me/offers"},
	{"GET /api/v1/me/appointments", "/api/v1/me/appointments"},
	{"GET /my", "/my"},
	{"GET /my/benefits", "/my/benefits"},
	{"GET /my/payments", "/my/payments"},
}

// portal is one citizen's request: a read of their account.
func (r *runner) portal(ctx context.Context, rng *rand.Rand, n int) {
	cit := r.sc.Creds.Citizens
	if len(cit) == 0 {
		return
	}
	p := portalReads[rng.IntN(len(portalReads))]
	r.do(ctx, p.name, "GET", p.path, session(cit[rng.IntN(len(cit))]), nil, nil, 200)
}

// event is one life event from the civil registry: a birth (60 %), a
// death (20 %), the date change (5 %) or an earlier event sent again
// (15 %, answered 200 as stored).
func (r *runner) event(ctx context.Context, rng *rand.Rand, n int) {
	cr := r.sc.Creds
	x := rng.IntN(100)
	var body map[string]any
	switch {
	case x < 60 && len(cr.Mothers) > 0:
		mother := cr.Mothers[rng.IntN(len(cr.Mothers))]
		first := []string{"Nuray", "Aysel", "Murad", "Elvin", "Leyla", "Rauf"}[rng.IntN(6)]
		sex := "F"
		if first == "Murad" || first == "Elvin" || first == "Rauf" {
			sex = "M"
		}
		body = map[string]any{"id": fmt.Sprintf("load-%d-birth-%d", r.sc.Seed, n), "kind": "birth_registered",
			"fin": childFIN(r.sc.Seed, n), "date": r.sc.Today.AddDate(0, 0, -1-rng.IntN(5)),
			"birth": map[string]any{"first_name": first, "last_name": "Yükov", "sex": sex, "mother_fin": mother}}
	case x < 80:
		fin, ok := r.nextDeceased()
		if !ok {
			return
		}
		body = map[string]any{"id": fmt.Sprintf("load-%d-death-%s", r.sc.Seed, fin), "kind": "death_registered", "fin": fin,
			"date": r.sc.Today.AddDate(0, 0, -1-rng.IntN(10))}
	case x < 85:
		body = map[string]any{"id": "load-date-" + r.sc.Today.String(), "kind": "date_changed", "date": r.sc.Today}
	default:
		r.resend(ctx, rng)
		return
	}
	st, _ := r.do(ctx, "POST /api/v1/events", "POST", "/api/v1/events", bearer(cr.Registry), body, nil, 200, 201)
	if st == 200 || st == 201 {
		r.remember(body)
	}
}

// remember keeps up to 1,000 events sent, to send again.
func (r *runner) remember(body map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) < 1000 {
		r.sent = append(r.sent, body)
	}
}

// resend sends an earlier event again; it is answered 200.
func (r *runner) resend(ctx context.Context, rng *rand.Rand) {
	r.mu.Lock()
	if len(r.sent) == 0 {
		r.mu.Unlock()
		return
	}
	body := r.sent[rng.IntN(len(r.sent))]
	r.mu.Unlock()
	r.do(ctx, "POST /api/v1/events (sent again)", "POST", "/api/v1/events", bearer(r.sc.Creds.Registry), body, nil, 200)
}

// nextDeceased returns the next person whose death to report.
func (r *runner) nextDeceased() (dost.FIN, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead >= len(r.sc.Creds.Deceased) {
		return "", false
	}
	r.dead++
	return r.sc.Creds.Deceased[r.dead-1], true
}

// childFIN is the FIN of the run's n-th newborn: "O" and six base-36
// digits of the seed and n. Synthetic FINs have no letter O, so it is
// never a person of the population.
func childFIN(seed uint64, n int) string {
	v := (seed*1_000_003 + uint64(n)) % (36 * 36 * 36 * 36 * 36 * 36)
	s := strings.ToUpper(strconv.FormatUint(v, 36))
	return "O" + strings.Repeat("0", 6-len(s)) + s
}

// cycle is a payroll cycle as the API answers it.
type cycle struct {
	ID     int64  `json:"id"`
	Period string `json:"period"`
	Status string `json:"status"`
	Run    int    `json:"run"`
	Count  int    `json:"count"`
}

// payroll prepares the cycle of all programmes for the latest month
// without an approved cycle (from this month back), at at, waits for the
// nodes' jobs to prepare it (reading it every second), and has the second
// officer approve it.
func (r *runner) payroll(ctx context.Context, at, deadline time.Time) {
	cr := r.sc.Creds
	pr := &r.res.Payroll
	select {
	case <-time.After(time.Until(at)):
	case <-ctx.Done():
		return
	}
	var list struct {
		Items []cycle `json:"items"`
	}
	r.do(ctx, "GET /api/v1/payroll/cycles", "GET", "/api/v1/payroll/cycles?programme=&limit=200", bearer(cr.Preparer), nil, &list, 200)
	done := map[string]bool{}
	for _, c := range list.Items {
		if c.Status != "prepared" && c.Status != "rejected" && c.Status != "preparing" {
			done[c.Period] = true
		}
	}
	m := dost.MonthOf(r.sc.Today)
	for done[m.String()] {
		m = m.Add(-1)
	}
	pr.Period = m.String()
	t0 := time.Now()
	var c cycle
	st, body := r.do(ctx, "POST /api/v1/payroll/cycles", "POST", "/api/v1/payroll/cycles", bearer(cr.Preparer),
		map[string]any{"programme": "", "period": m.String()}, &c, 200, 202)
	if st != 200 && st != 202 {
		pr.Err = fmt.Sprintf("prepare: %d %s", st, body)
		return
	}
	pr.CycleID = c.ID
	for c.Status == "preparing" {
		if time.Now().After(deadline.Add(time.Minute)) {
			pr.Err = "not prepared a minute after the run's end"
			return
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			pr.Err = "run ended while preparing"
			return
		}
		r.do(ctx, "GET /api/v1/payroll/cycles/{id}", "GET", fmt.Sprintf("/api/v1/payroll/cycles/%d", c.ID), bearer(cr.Preparer), nil, &c, 200)
	}
	pr.Prepared = time.Since(t0)
	pr.Count = c.Count
	if c.Status != "prepared" {
		pr.Err = "cycle " + c.Status
		return
	}
	st, body = r.do(ctx, "POST /api/v1/payroll/cycles/{id}/approve", "POST", fmt.Sprintf("/api/v1/payroll/cycles/%d/approve", c.ID),
		bearer(cr.Approver), map[string]any{"run": c.Run}, &c, 200)
	if st != 200 {
		pr.Err = fmt.Sprintf("approve: %d %s", st, body)
		return
	}
	pr.Approved = true
}
