package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/hall"
	"github.com/dost-az/dost/internal/nodeproc"
	"github.com/dost-az/dost/sqlstore"
)

// hallBenchOptions are the flags of "dost bench hall".
type hallBenchOptions struct {
	visitors int     // visitors of the day, over all centres
	centres  int     // centres
	counters int     // counters (and operators) per centre
	speed    float64 // virtual seconds per wall second; 0: as fast as possible
	seed     uint64
	noQuote  bool // issue tickets through the store, without the wait quote
}

// hallBenchFlags registers the flags of "dost bench hall" on fs.
func hallBenchFlags(fs *flag.FlagSet) *hallBenchOptions {
	o := &hallBenchOptions{}
	fs.IntVar(&o.visitors, "hall-visitors", 5743, "hall: visitors of the day over all centres (the network's record day)")
	fs.IntVar(&o.centres, "hall-centres", 7, "hall: centres")
	fs.IntVar(&o.counters, "hall-counters", 16, "hall: counters, each with its operator, per centre")
	fs.Float64Var(&o.speed, "hall-speed", 0, "hall: the day's clock runs this many times faster than the wall's, visitors arriving and being served at their times; 0 replays as fast as the system goes")
	fs.Uint64Var(&o.seed, "hall-seed", 1, "hall: seed of the visitors' arrivals, services and ratings")
	fs.BoolVar(&o.noQuote, "hall-no-quote", false, "hall: issue tickets without quoting the wait (no estimate per ticket), to measure the rest of the day apart")
	return o
}

// replayClock is the clock of a compressed day: it starts at the day's
// opening and runs speed times faster than the wall clock, but stops a
// second before midnight: the tickets of the day are called on their day,
// and a replay slower than its compressed day ends as if the centre kept
// late hours.
type replayClock struct {
	open  time.Time // the day's opening, virtual
	start time.Time // when the replay started, wall
	speed float64
}

// Now implements dost.Clock.
func (c *replayClock) Now() time.Time {
	y, m, d := c.open.Date()
	last := time.Date(y, m, d, 23, 59, 59, 0, c.open.Location())
	now := c.open.Add(time.Duration(float64(time.Since(c.start)) * c.speed))
	if now.After(last) {
		return last
	}
	return now
}

// wall returns how long after the start the virtual time at is reached.
func (c *replayClock) wall(at time.Time) time.Duration {
	return time.Duration(float64(at.Sub(c.open)) / c.speed)
}

// benchHall replays a day of the network's centre halls like its record
// day (5,743 visitors over 7 centres) through the hall's services, as the
// kiosks, operators and rating tablets use them: each visitor is issued a
// ticket at a kiosk of their centre, called by the next free operator
// (call-next), started, finished with the service done, and rates the
// visit; every 40th visitor does not come when called (no-show). The
// operators of all centres work at once, each at their counter.
//
// With --hall-speed 0 every visitor arrives at the opening and operators
// serve without pause: the run measures how fast the system goes. With a
// speed, visitors arrive over the day (09:00–18:00, a morning peak) and
// each service takes 4–12 minutes of the compressed day. It prints the
// wall time, calls per second and the call-next latency's p50 and p99,
// and checks that every visitor was called exactly once.
func benchHall(ctx context.Context, c Config, tmp string, o hallBenchOptions, stdout io.Writer) error {
	if o.visitors <= 0 || o.centres <= 0 || o.counters <= 0 || o.speed < 0 {
		return errors.New("dost bench hall: visitors, centres and counters must be positive, the speed not negative")
	}
	// The day: a Tuesday at 09:00 in Baku, so that its tickets are of
	// one day whatever the speed.
	open := time.Date(2026, 11, 24, 9, 0, 0, 0, dost.Baku)
	// The setup signs the operators in an hour before.
	clock := &replayClock{open: open.Add(-time.Hour), start: time.Now(), speed: 1}
	if c.Database == "" {
		c.Database = filepath.Join(tmp, "hall.db")
	}
	db, err := sqlstore.Open(ctx, c.Database, sqlstore.Options{Migrate: true, Clock: clock, Logger: c.logger(io.Discard)})
	if err != nil {
		return err
	}
	defer db.Close()
	store := sqlstore.NewHallStore(db)
	centres := sqlstore.NewCentreService(db)
	cat := sqlstore.NewCatalogueService(db)
	svc, err := hall.New(hall.Config{Store: store, Centres: centres, Catalogue: cat, Clock: clock})
	if err != nil {
		return err
	}

	setup := time.Now()
	hc, err := hallBenchSetup(ctx, db, svc, store, o)
	if err != nil {
		return fmt.Errorf("dost bench hall: setup: %w", err)
	}
	fmt.Fprintf(stdout, "hall: %d centres × %d counters and operators, %d in-person services, set up in %s\n",
		o.centres, o.counters, len(hc.services), time.Since(setup).Round(time.Millisecond))

	// The visitors of each centre, in order of arrival.
	rng := rand.New(rand.NewPCG(o.seed, 2))
	arrivals := make([][]hallVisitor, o.centres)
	for i := range o.visitors {
		v := hallVisitor{service: hc.services[rng.IntN(len(hc.services))], rating: 1 + rng.IntN(5), noShow: i%40 == 39}
		if o.speed > 0 {
			v.at = open.Add(hallArrival(rng))
			v.service4to12 = time.Duration(4+rng.IntN(9)) * time.Minute
		}
		k := rng.IntN(o.centres)
		arrivals[k] = append(arrivals[k], v)
	}
	for _, a := range arrivals {
		slices.SortFunc(a, func(x, y hallVisitor) int { return x.at.Compare(y.at) })
	}

	r := &hallReplay{svc: svc, clock: clock, speed: o.speed, groups: hc.groups}
	if o.noQuote {
		r.store = store
	}
	// No goroutine reads the clock now: the replay starts at the opening.
	clock.open, clock.start, clock.speed = open, time.Now(), max(o.speed, 1)
	start := time.Now()
	// The first error stops the replay: the others' waits end with ctx.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var failed error
	var once sync.Once
	fail := func(err error) { once.Do(func() { failed = err; cancel() }) }
	var wg sync.WaitGroup
	for k, centre := range hc.centres {
		cr := &hallCentreRun{id: centre.ID, visitors: arrivals[k], ready: make(chan struct{}, o.counters), finished: make(chan struct{})}
		if len(cr.visitors) == 0 {
			close(cr.finished)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.kiosk(ctx, cr); err != nil {
				fail(err)
			}
		}()
		for i, k := range centre.Counters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.operator(ctx, cr, k.ID, hc.operators[centre.ID][i]); err != nil {
					fail(err)
				}
			}()
		}
	}
	wg.Wait()
	el := time.Since(start)
	if failed != nil {
		return fmt.Errorf("dost bench hall: %w", failed)
	}

	// Every visitor called once, served or not come.
	_, called, err := svc.FindQueueEvents(ctx, dost.QueueEventFilter{Kinds: []dost.QueueEventKind{dost.QueueCalled}, Limit: 1})
	if err != nil {
		return err
	}
	_, done, err := svc.FindTickets(ctx, dost.TicketFilter{Statuses: []dost.TicketStatus{dost.TicketFinished, dost.TicketNoShow}, Limit: 1})
	if err != nil {
		return err
	}
	if called != o.visitors || done != o.visitors {
		return fmt.Errorf("dost bench hall: %d visitors, but %d calls and %d tickets finished or no-show", o.visitors, called, done)
	}
	lat := r.latencies()
	mode := "as fast as possible"
	if o.speed > 0 {
		mode = fmt.Sprintf("the day %g× faster", o.speed)
	}
	if o.noQuote {
		mode += ", no wait quotes"
	}
	fmt.Fprintf(stdout, "hall: %d visitors (%d ratings) replayed in %s, %s: %.0f calls/s; call-next p50 %s, p99 %s, max %s (%d calls; load %s)\n",
		o.visitors, r.ratings.Load(), el.Round(time.Millisecond), mode, float64(o.visitors)/el.Seconds(),
		lat.p(0.50), lat.p(0.99), lat.p(1), len(lat), nodeproc.LoadAverage())
	return nil
}

// hallVisitor is one visitor of the replayed day.
type hallVisitor struct {
	at           time.Time // arrival, virtual (zero: at the start)
	service      string
	service4to12 time.Duration // time at the counter, virtual (zero: none)
	rating       int
	noShow       bool
}

// hallArrival returns a visitor's arrival after the 09:00 opening: over
// nine hours, most in the morning (a triangle peaking at 11:00).
func hallArrival(rng *rand.Rand) time.Duration {
	const day, peak = 9 * time.Hour, 2 * time.Hour
	u := rng.Float64()
	var x float64 // share of the day, triangular on [0, 1] with its mode at peak/day
	m := float64(peak) / float64(day)
	if u < m {
		x = math.Sqrt(u * m)
	} else {
		x = 1 - math.Sqrt((1-u)*(1-m))
	}
	return time.Duration(x * float64(day))
}

// hallBench is the network the replay runs on.
type hallBench struct {
	centres   []*dost.Centre
	operators map[int64][]*dost.User // by centre, in the order of its counters
	services  []string               // in-person services every centre offers
	groups    map[string]string      // queue group by service
}

// hallBenchSetup stores the catalogue, o.centres centres offering every
// in-person service, and an operator per counter certified for every
// category and signed in at it.
func hallBenchSetup(ctx context.Context, db *sqlstore.DB, svc *hall.Service, store *sqlstore.HallStore, o hallBenchOptions) (*hallBench, error) {
	services, err := catalogue.Services()
	if err != nil {
		return nil, err
	}
	hb := &hallBench{operators: map[int64][]*dost.User{}, groups: map[string]string{}}
	cat := sqlstore.NewCatalogueService(db)
	for _, s := range services {
		if err := cat.SaveService(ctx, s); err != nil {
			return nil, err
		}
		if s.Active && slices.Contains(s.RequestChannels, dost.ChannelInPerson) {
			hb.services = append(hb.services, s.Code)
			hb.groups[s.Code] = s.QueueGroup
		}
	}
	if len(hb.services) == 0 {
		return nil, errors.New("the catalogue has no in-person service")
	}
	users := sqlstore.NewUserService(db)
	var hours []dost.OpeningHours
	for d := time.Monday; d <= time.Saturday; d++ {
		hours = append(hours, dost.OpeningHours{Weekday: d, Opens: "09:00", Closes: "18:00"})
	}
	today := dost.DateOf(db.Clock().Now().In(dost.Baku))
	for i := range o.centres {
		c := &dost.Centre{
			Code:   fmt.Sprintf("bench-%d", i+1),
			Name:   dost.Text{AZ: fmt.Sprintf("Sınaq mərkəzi %d", i+1), EN: fmt.Sprintf("Bench centre %d", i+1), RU: fmt.Sprintf("Тестовый центр %d", i+1)},
			Region: "Baku", District: "Nizami", Timezone: "Asia/Baku", Phone: "+994124000000",
			Address:  dost.Text{AZ: "Küçə 1", EN: "Street 1", RU: "Улица 1"},
			Hours:    hours,
			Services: hb.services,
		}
		for n := range o.counters {
			c.Counters = append(c.Counters, &dost.Counter{Number: n + 1, Label: fmt.Sprint(n + 1)})
		}
		if err := sqlstore.NewCentreService(db).CreateCentre(ctx, c); err != nil {
			return nil, err
		}
		hb.centres = append(hb.centres, c)
		for n, k := range c.Counters {
			u := &dost.User{Username: fmt.Sprintf("bench%d-%02d", i+1, n+1), Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{c.ID}}
			if err := users.CreateUser(ctx, u, ""); err != nil {
				return nil, err
			}
			hb.operators[c.ID] = append(hb.operators[c.ID], u)
			// The certifications and the sign-in go through the hall's
			// batched writes, all operators at once.
			var wg sync.WaitGroup
			errs := make([]error, len(dost.Categories)+1)
			for j, cat := range dost.Categories {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[j] = store.CreateCertification(ctx, &dost.Certification{OperatorID: u.ID, Category: cat,
						ValidFrom: today.AddDate(0, -1, 0), ValidUntil: today.AddDate(1, 0, 0)})
				}()
			}
			wg.Wait()
			_, errs[len(errs)-1] = svc.SignInCounter(dost.NewContextWithUser(ctx, u), k.ID)
			if err := errors.Join(errs...); err != nil {
				return nil, err
			}
		}
	}
	return hb, nil
}

// hallReplay runs the replay and collects its call-next latencies.
type hallReplay struct {
	svc    *hall.Service
	clock  *replayClock
	speed  float64
	store  *sqlstore.HallStore // set: the kiosks issue through it, quoting no wait
	groups map[string]string   // queue group by service

	mu      sync.Mutex // guards lat
	lat     hallLatencies
	ratings atomic.Int64
}

// hallCentreRun is one centre's part of the replay.
type hallCentreRun struct {
	id       int64
	visitors []hallVisitor
	byTicket sync.Map      // ticket ID → hallVisitor
	ready    chan struct{} // a ticket was issued (a token per operator at most)
	done     atomic.Int64  // visitors called and finished or not come
	finished chan struct{} // closed when done reaches len(visitors)
}

// served counts a visitor done.
func (cr *hallCentreRun) served() {
	if cr.done.Add(1) == int64(len(cr.visitors)) {
		close(cr.finished)
	}
}

// kiosk issues the centre's tickets at the visitors' arrival.
func (r *hallReplay) kiosk(ctx context.Context, cr *hallCentreRun) error {
	for _, v := range cr.visitors {
		if r.speed > 0 {
			if d := r.clock.wall(v.at) - time.Since(r.clock.start); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		var t *dost.Ticket
		var err error
		if r.store != nil {
			t = &dost.Ticket{CentreID: cr.id, Group: r.groups[v.service], ServiceCode: v.service, Language: "az"}
			err = r.store.IssueTicket(ctx, t)
		} else {
			t, err = r.svc.IssueTicket(ctx, &dost.NewTicket{CentreID: cr.id, ServiceCode: v.service, Language: "az"})
		}
		if err != nil {
			return fmt.Errorf("issue a ticket: %w", err)
		}
		cr.byTicket.Store(t.ID, v)
		select {
		case cr.ready <- struct{}{}:
		default:
		}
	}
	return nil
}

// operator serves at counter k until every visitor of the centre has been
// served: call-next, start, finish, the visitor's rating.
func (r *hallReplay) operator(ctx context.Context, cr *hallCentreRun, k int64, u *dost.User) error {
	ctx = dost.NewContextWithUser(ctx, u)
	var mine hallLatencies
	defer func() {
		r.mu.Lock()
		r.lat = append(r.lat, mine...)
		r.mu.Unlock()
	}()
	for cr.done.Load() < int64(len(cr.visitors)) {
		start := time.Now()
		t, _, err := r.svc.CallNext(ctx, k)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			// Nobody waits: wait for the kiosk's next ticket, or the
			// centre's last visitor to be served elsewhere. A ticket
			// issued meanwhile left a token in ready.
			select {
			case <-cr.ready:
			case <-cr.finished:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		} else if err != nil {
			return fmt.Errorf("call next at counter %d: %w", k, err)
		}
		mine = append(mine, time.Since(start))
		vv, ok := cr.byTicket.Load(t.ID)
		for !ok { // issued, but the kiosk has not noted it yet
			time.Sleep(100 * time.Microsecond)
			vv, ok = cr.byTicket.Load(t.ID)
		}
		v := vv.(hallVisitor)
		if v.noShow {
			if _, err := r.svc.ActOnTicket(ctx, t.ID, dost.TicketActionRequest{Action: dost.TicketMarkNoShow}); err != nil {
				return fmt.Errorf("no-show of %s: %w", t.Number, err)
			}
			cr.served()
			continue
		}
		if _, err := r.svc.ActOnTicket(ctx, t.ID, dost.TicketActionRequest{Action: dost.TicketStart}); err != nil {
			return fmt.Errorf("start %s: %w", t.Number, err)
		}
		if r.speed > 0 {
			time.Sleep(time.Duration(float64(v.service4to12) / r.speed))
		}
		if _, err := r.svc.ActOnTicket(ctx, t.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{t.ServiceCode}}); err != nil {
			return fmt.Errorf("finish %s: %w", t.Number, err)
		}
		cr.served()
		if _, err := r.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: t.ID, Token: r.svc.FeedbackToken(t.ID),
			Rating: v.rating, Channel: "tablet"}); err != nil {
			return fmt.Errorf("rate %s: %w", t.Number, err)
		}
		r.ratings.Add(1)
	}
	return nil
}

// hallLatencies are call-next latencies.
type hallLatencies []time.Duration

// latencies returns the latencies collected, sorted.
func (r *hallReplay) latencies() hallLatencies {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.Sort(r.lat)
	return r.lat
}

// p returns the q-quantile of sorted latencies, rounded to 10 µs.
func (l hallLatencies) p(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(int(q*float64(len(l))), len(l)-1)].Round(10 * time.Microsecond)
}
