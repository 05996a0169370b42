package crashtest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dost-az/dost"
)

// retryPause is how long a worker waits before retrying after a request
// got no answer (the node is down or restarting).
const retryPause = 50 * time.Millisecond

// load drives the node from several goroutines until ctx ends: two
// kiosks issuing tickets, an operator calling, starting and finishing
// them, two case workers submitting applications (retried with the same
// Idempotency-Key until answered), a registry reporting births (retried
// with the same event ID) and the payroll officers preparing and
// approving one cycle after another.
type load struct {
	base    string
	led     *ledger
	persons []string // FINs of the demo population
	mothers []string // FINs of women of child-bearing age
	run     string   // unique per run, in keys and IDs
	// clients are the signed-in users, by username (signIn).
	clients map[string]*client
}

// signIn signs every user of the load in, before any kill: a sign-in
// (argon2id) takes long enough that a node killed every second would
// never let one through. Sessions are stored: they must survive the
// kills (a 401 later is a lost acknowledged write).
func (l *load) signIn(ctx context.Context) error {
	l.clients = map[string]*client{}
	for _, u := range []string{"operator", "caseworker", "admin", "payroll", approver} {
		c := newClient(l.base, u)
		if err := c.signIn(ctx); err != nil {
			return err
		}
		l.clients[u] = c
	}
	return nil
}

func (l *load) start(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	spawn := func(f func(ctx context.Context, i int), i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx, i)
		}()
	}
	spawn(l.kiosk, 0)
	spawn(l.kiosk, 1)
	spawn(l.operator, 0)
	spawn(l.caseWorker, 0)
	spawn(l.caseWorker, 1)
	spawn(l.registry, 0)
	spawn(l.payroll, 0)
	return &wg
}

// kiosk issues tickets. Issuing has no idempotency key: a ticket whose
// answer was lost is not retried (the visitor takes another).
func (l *load) kiosk(ctx context.Context, i int) {
	c := newClient(l.base, "")
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	for ctx.Err() == nil {
		in := dost.NewTicket{CentreID: centreID, ServiceCode: pensionServices[rng.IntN(len(pensionServices))], Language: "az"}
		r, err := c.do(ctx, "POST", "/api/v1/tickets", in, nil)
		if ctx.Err() != nil {
			return
		}
		if err == nil && r.status == http.StatusCreated {
			if _, err := l.led.ackTicket(r); err != nil {
				l.led.fail("%v", err)
			}
		} else {
			l.led.note("issue ticket", r, err)
			sleepCtx(ctx, retryPause)
		}
		sleepCtx(ctx, time.Duration(5+rng.IntN(20))*time.Millisecond)
	}
}

// operator works counter 13: signs in, calls the next ticket, starts and
// finishes it. After a lost answer it asks which ticket it holds.
func (l *load) operator(ctx context.Context, _ int) {
	c := l.clients["operator"]
	counter := "/api/v1/counters/" + strconv.Itoa(counterID)
	signedIn := false
	for ctx.Err() == nil {
		if !signedIn {
			r, err := c.do(ctx, "POST", counter+"/sign-in", nil, nil)
			if err == nil && (r.ok() || r.status == http.StatusConflict) {
				signedIn = true
			} else {
				l.note(ctx, "counter sign-in", r, err)
				sleepCtx(ctx, retryPause)
				continue
			}
		}
		t, err := l.inHand(ctx, c)
		if err != nil {
			sleepCtx(ctx, retryPause)
			continue
		}
		if t == nil {
			r, err := c.do(ctx, "POST", counter+"/call-next", nil, nil)
			if err != nil || !r.ok() {
				if err == nil && r.status == http.StatusNotFound || err == nil && r.status == http.StatusConflict {
					sleepCtx(ctx, 20*time.Millisecond) // nobody waiting, or a ticket in hand after all
					continue
				}
				l.note(ctx, "call-next", r, err)
				sleepCtx(ctx, retryPause)
				continue
			}
			var out struct {
				Ticket *dost.Ticket `json:"ticket"`
			}
			if r.decode(&out) != nil || out.Ticket == nil {
				sleepCtx(ctx, 20*time.Millisecond) // an empty queue
				continue
			}
			t = out.Ticket
		}
		if t.Status == dost.TicketCalled {
			if !l.act(ctx, c, t.ID, map[string]any{"action": "start"}) {
				continue
			}
		}
		if l.act(ctx, c, t.ID, map[string]any{"action": "finish", "services_done": []string{t.ServiceCode}}) {
			l.led.mu.Lock()
			l.led.finished[t.ID] = true
			l.led.mu.Unlock()
		}
	}
}

// inHand returns the ticket called or being served at counter 13, or nil.
func (l *load) inHand(ctx context.Context, c *client) (*dost.Ticket, error) {
	q := url.Values{"centre_id": {strconv.Itoa(centreID)}, "counter_id": {strconv.Itoa(counterID)}, "status": {"called", "serving"}}
	r, err := c.do(ctx, "GET", "/api/v1/tickets?"+q.Encode(), nil, nil)
	if err != nil || !r.ok() {
		l.note(ctx, "tickets in hand", r, err)
		if err == nil {
			return nil, fmt.Errorf("status %d", r.status)
		}
		return nil, err
	}
	var page struct {
		Items []*dost.Ticket `json:"items"`
	}
	if err := r.decode(&page); err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, nil
	}
	return page.Items[0], nil
}

// act posts an action on a ticket; it reports whether it was acknowledged.
// A 409 (the action was done before its answer was lost) is not.
func (l *load) act(ctx context.Context, c *client, id int64, action map[string]any) bool {
	r, err := c.do(ctx, "POST", "/api/v1/tickets/"+strconv.FormatInt(id, 10)+"/actions", action, nil)
	if err == nil && r.ok() {
		return true
	}
	l.note(ctx, "ticket "+fmt.Sprint(action["action"]), r, err)
	if err != nil {
		sleepCtx(ctx, retryPause)
	}
	return false
}

// note records a failed request unless the load is ending.
func (l *load) note(ctx context.Context, kind string, r *response, err error) {
	if ctx.Err() != nil {
		return
	}
	if r != nil && r.status == http.StatusUnauthorized {
		l.led.fail("%s: 401 — an acknowledged session was lost", kind)
		return
	}
	l.led.note(kind, r, err)
}

// untilAnswered sends a request again (same key, same body) until it gets
// an HTTP answer other than 503; it counts the retries.
func (l *load) untilAnswered(ctx context.Context, c *client, kind, method, path string, body any, header map[string]string) *response {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			l.led.mu.Lock()
			l.led.retries++
			l.led.mu.Unlock()
		}
		r, err := c.do(ctx, method, path, body, header)
		if err == nil && r.status != http.StatusServiceUnavailable && r.status < 500 {
			return r
		}
		l.note(ctx, kind, r, err)
		sleepCtx(ctx, retryPause)
	}
	return nil
}

// caseWorker submits applications for random persons, each retried with
// its Idempotency-Key until answered.
func (l *load) caseWorker(ctx context.Context, i int) {
	c := l.clients["caseworker"]
	rng := rand.New(rand.NewPCG(uint64(i), 2))
	for n := 0; ctx.Err() == nil; n++ {
		key := fmt.Sprintf("crash-%s-cw%d-%d", l.run, i, n)
		body := map[string]any{"fin": l.persons[rng.IntN(len(l.persons))], "service_code": applicationService, "note": key}
		r := l.untilAnswered(ctx, c, "application", "POST", "/api/v1/applications", body, map[string]string{"Idempotency-Key": key})
		if r == nil {
			return
		}
		if !r.ok() {
			l.note(ctx, "application", r, nil)
			continue
		}
		if _, err := l.led.ackApplication(key, r); err != nil {
			l.led.fail("%v", err)
		}
		sleepCtx(ctx, time.Duration(5+rng.IntN(20))*time.Millisecond)
	}
}

// registry reports births to demo mothers, each event retried with its ID
// and the same content until answered.
func (l *load) registry(ctx context.Context, i int) {
	c := l.clients["admin"]
	rng := rand.New(rand.NewPCG(uint64(i), 3))
	born := dost.Today(dost.SystemClock{}).AddDate(0, 0, -2)
	for n := 0; ctx.Err() == nil; n++ {
		id := fmt.Sprintf("crash-%s-ev%d-%d", l.run, i, n)
		fin := childFIN(l.run, n)
		body := map[string]any{"id": id, "kind": "birth_registered", "fin": fin, "date": born,
			"birth": map[string]any{"first_name": "Aysel", "last_name": "Crash", "sex": "F", "mother_fin": l.mothers[rng.IntN(len(l.mothers))]}}
		r := l.untilAnswered(ctx, c, "event", "POST", "/api/v1/events", body, nil)
		if r == nil {
			return
		}
		if !r.ok() {
			l.note(ctx, "event", r, nil)
			continue
		}
		l.led.mu.Lock()
		l.led.events[id] = fin
		l.led.mu.Unlock()
		sleepCtx(ctx, time.Duration(10+rng.IntN(30))*time.Millisecond)
	}
}

// childFIN is the n-th newborn's FIN of a run: "Z", the run's two
// characters, four base-36 digits.
func childFIN(run string, n int) string {
	s := strconv.FormatInt(int64(n), 36)
	for len(s) < 4 {
		s = "0" + s
	}
	return strings.ToUpper("Z" + run[:2] + s)
}

// cycles are the payroll cycles the load prepares and approves, in
// order: each programme's, for this month, then for the next (a cycle is
// prepared at most for next month). The births the load reports make the
// birth allowance's payments.
var cycles = []string{"birth_allowance", "old_age_pension", "disability_allowance", "disability_stipend",
	"funeral_allowance", "unemployment_benefit", "tssa"}

// payroll prepares the cycles (as "payroll"), waits until each is
// prepared and approves it (as the second officer). Each step is retried
// until answered; an approve answered 409 after a lost answer is not
// counted as acknowledged.
func (l *load) payroll(ctx context.Context, _ int) {
	prep, appr := l.clients["payroll"], l.clients[approver]
	today := dost.Today(dost.SystemClock{}).Time()
	month := time.Date(today.Year(), today.Month(), 1, 12, 0, 0, 0, time.UTC)
	for k := 0; k < 2*len(cycles) && ctx.Err() == nil; k++ {
		period := month.AddDate(0, k/len(cycles), 0).Format("2006-01")
		programme := cycles[k%len(cycles)]
		r := l.untilAnswered(ctx, prep, "prepare", "POST", "/api/v1/payroll/cycles", map[string]any{"programme": programme, "period": period}, nil)
		if r == nil {
			return
		}
		var cy struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Run    int    `json:"run"`
		}
		if !r.ok() || r.decode(&cy) != nil || cy.ID == 0 {
			l.note(ctx, "prepare", r, nil)
			continue
		}
		l.led.mu.Lock()
		l.led.prepared[cy.ID] = true
		l.led.mu.Unlock()
		path := "/api/v1/payroll/cycles/" + strconv.FormatInt(cy.ID, 10)
		// A preparation cut short by a kill is retried once River's
		// rescuer takes its job for stuck: rescueAfter, plus up to 30 s
		// until the rescuer runs, plus the restarts meanwhile.
		deadline := time.Now().Add(3 * time.Minute)
		for cy.Status != "prepared" && ctx.Err() == nil {
			if time.Now().After(deadline) {
				l.led.fail("cycle %d (%s %s) not prepared after 3 min: %s", cy.ID, programme, period, cy.Status)
				return
			}
			sleepCtx(ctx, 100*time.Millisecond)
			r := l.untilAnswered(ctx, prep, "cycle", "GET", path, nil, nil)
			if r == nil || !r.ok() || r.decode(&cy) != nil {
				continue
			}
		}
		if ctx.Err() != nil {
			return
		}
		r = l.untilAnswered(ctx, appr, "approve", "POST", path+"/approve", map[string]any{"run": cy.Run}, nil)
		if r == nil {
			return
		}
		if r.ok() {
			l.led.mu.Lock()
			l.led.approved[cy.ID] = true
			l.led.mu.Unlock()
		} else if r.status != http.StatusConflict {
			l.note(ctx, "approve", r, nil)
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
}
