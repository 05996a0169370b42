package http

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dost-az/dost"
)

// BoardEvent is a ticket called to a counter, as the hall's display board
// shows and announces it. It carries no personal data: the number, the
// counter, the service and the language to announce it in.
type BoardEvent struct {
	CentreID int64 `json:"centre_id"`
	// Kind is "called" (call-next, or a ticket called by number) or
	// "recalled".
	Kind     string `json:"kind"`
	TicketID int64  `json:"ticket_id"`
	Number   string `json:"number"`
	// Counter is the counter's number, CounterLabel what its sign says.
	Counter      int       `json:"counter"`
	CounterLabel string    `json:"counter_label"`
	ServiceCode  string    `json:"service_code"`
	Language     string    `json:"language"` // the ticket's: the announcement's
	At           time.Time `json:"at"`
}

// BoardRelay carries board events between the nodes of one database, so a
// call made on one node reaches the boards connected to every node. With
// PostgreSQL it is LISTEN/NOTIFY on one channel (PGBoardRelay); the payload is a
// BoardEvent in JSON, a few hundred bytes, well under NOTIFY's 8,000.
// Server.BoardRelay is nil on a single node: calls go straight to the
// node's own Board. The payload is opaque bytes so that an implementation
// (in the storage adapter) needs nothing of this package.
type BoardRelay interface {
	// Publish sends payload to every node, this one included.
	Publish(ctx context.Context, payload []byte) error
	// Listen delivers every node's payloads to deliver until ctx ends;
	// it returns ctx's error then, or the error that stopped it earlier
	// (the server listens again a second later).
	Listen(ctx context.Context, deliver func(payload []byte)) error
}

// BoardBuffer is how many events a board connection may have waiting to be
// written. A client that falls further behind is dropped: its stream ends
// and EventSource reconnects, receiving a fresh snapshot (resync).
const BoardBuffer = 16

// Board fans board events out to the open board connections (server-sent
// event streams) of each centre, in process. Publish never blocks: each
// subscriber has a buffered channel, and a subscriber whose buffer is full
// is dropped, so a slow client never delays the others. The zero Board is
// ready to use; it is safe for concurrent use.
type Board struct {
	mu     sync.Mutex // guards subs and closed
	subs   map[int64]map[*BoardSubscription]struct{}
	closed bool
}

// BoardSubscription is one board connection's feed of a centre's events.
type BoardSubscription struct {
	// C receives the centre's events.
	C <-chan BoardEvent
	// Done is closed when the subscription ends: it was dropped for
	// falling behind, cancelled, or the board closed.
	Done <-chan struct{}

	c        chan BoardEvent
	done     chan struct{}
	centreID int64
	board    *Board
}

// Subscribe returns a new subscription to centreID's events. Cancel it
// when the connection ends.
func (b *Board) Subscribe(centreID int64) *BoardSubscription {
	sub := &BoardSubscription{c: make(chan BoardEvent, BoardBuffer), done: make(chan struct{}), centreID: centreID, board: b}
	sub.C, sub.Done = sub.c, sub.done
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(sub.done)
		return sub
	}
	if b.subs == nil {
		b.subs = map[int64]map[*BoardSubscription]struct{}{}
	}
	if b.subs[centreID] == nil {
		b.subs[centreID] = map[*BoardSubscription]struct{}{}
	}
	b.subs[centreID][sub] = struct{}{}
	return sub
}

// Cancel ends the subscription; calling it again does nothing.
func (sub *BoardSubscription) Cancel() {
	b := sub.board
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropLocked(sub)
}

// dropLocked removes sub and closes its Done, once. b.mu must be held.
func (b *Board) dropLocked(sub *BoardSubscription) {
	if _, ok := b.subs[sub.centreID][sub]; !ok {
		return
	}
	delete(b.subs[sub.centreID], sub)
	if len(b.subs[sub.centreID]) == 0 {
		delete(b.subs, sub.centreID)
	}
	close(sub.done)
}

// Publish hands e to every subscriber of its centre without waiting; a
// subscriber whose buffer is full is dropped. It returns how many
// subscribers received e.
func (b *Board) Publish(e BoardEvent) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for sub := range b.subs[e.CentreID] {
		select {
		case sub.c <- e:
			n++
		default:
			b.dropLocked(sub)
		}
	}
	return n
}

// Subscribers returns how many subscriptions centreID has.
func (b *Board) Subscribers(centreID int64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[centreID])
}

// Close ends every subscription and refuses new ones (they start done),
// so open streams end and a server's shutdown is not held up by them.
func (b *Board) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, m := range b.subs {
		for sub := range m {
			b.dropLocked(sub)
		}
	}
}

// Board returns the server's board of this node (nil before Handler):
// what its SSE streams subscribe to.
func (s *Server) Board() *Board { return s.board }

// publish sends a board event to every node's boards through the
// BoardRelay, or straight to this node's Board without one (or when the
// relay fails: this node's boards at least hear the call).
func (s *Server) publish(ctx context.Context, e BoardEvent) {
	if s.BoardRelay != nil {
		payload, err := json.Marshal(e)
		if err == nil {
			err = s.BoardRelay.Publish(ctx, payload)
		}
		if err == nil {
			return
		}
		s.logger().Warn("board relay publish", "centre_id", e.CentreID, "err", err)
	}
	s.board.Publish(e)
}

// startRelay starts listening to the BoardRelay, if any, feeding this
// node's Board until stopBoardRelay; a failed listener is restarted after
// a second.
func (s *Server) startRelay() {
	if s.BoardRelay == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopRelay, s.relayDone = cancel, make(chan struct{})
	go func() {
		defer close(s.relayDone)
		for {
			err := s.BoardRelay.Listen(ctx, s.relayed)
			if ctx.Err() != nil {
				return
			}
			s.logger().Warn("board relay listen", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
}

// relayed publishes an event another node (or this one) relayed to this
// node's Board; a payload that is not a BoardEvent is logged and dropped.
func (s *Server) relayed(payload []byte) {
	var e BoardEvent
	if err := json.Unmarshal(payload, &e); err != nil || e.CentreID == 0 {
		s.logger().Warn("board relay: bad payload", "bytes", len(payload), "err", err)
		return
	}
	s.board.Publish(e)
}

// stopBoardRelay stops the relay's listener and waits for it.
func (s *Server) stopBoardRelay() {
	if s.stopRelay != nil {
		s.stopRelay()
		<-s.relayDone
	}
}

// BoardHeartbeat is how often a board stream without events sends a
// comment line, so proxies and load balancers keep the connection open
// and a dead client is noticed.
const BoardHeartbeat = 15 * time.Second

// BoardWriteTimeout bounds each write to a board stream: a client that
// stops reading is cut off then, instead of holding a goroutine forever.
const BoardWriteTimeout = 10 * time.Second

// BoardRecent is how many of the day's last calls a board shows, and a
// stream's snapshot carries.
const BoardRecent = 8

// boardSnapshot is the answer of "GET /api/v1/centres/{code}/board" and the
// data of a stream's snapshot event.
type boardSnapshot struct {
	CentreID int64        `json:"centre_id"`
	Items    []BoardEvent `json:"items"` // newest first
}

// recentCalls returns the last BoardRecent calls and recalls of today at
// centre c, newest first, from the queue's event log.
func (s *Server) recentCalls(ctx context.Context, h HallService, c *dost.Centre) ([]BoardEvent, error) {
	f := dost.QueueEventFilter{CentreID: c.ID, Kinds: []dost.QueueEventKind{dost.QueueCalled, dost.QueueRecalled},
		From: dayStart(dost.Today(s.Clock)), Limit: 1}
	_, total, err := h.FindQueueEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	f.Offset, f.Limit = max(total-BoardRecent, 0), BoardRecent
	evs, _, err := h.FindQueueEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := []BoardEvent{}
	langs := map[int64]string{}
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i]
		if _, ok := langs[ev.TicketID]; !ok {
			langs[ev.TicketID] = dost.Languages[0]
			if t, err := h.FindTicketByID(ctx, ev.TicketID); err == nil {
				langs[ev.TicketID] = t.Language
			}
		}
		e := BoardEvent{CentreID: c.ID, Kind: string(ev.Kind), TicketID: ev.TicketID, Number: ev.Number,
			ServiceCode: ev.ServiceCode, Language: langs[ev.TicketID], At: ev.At}
		e.Counter, e.CounterLabel = counterName(c, ev.CounterID)
		out = append(out, e)
	}
	return out, nil
}

// handleBoardSnapshot handles "GET /api/v1/centres/{code}/board": the
// day's last calls at the centre, newest first.
func (s *Server) handleBoardSnapshot(w http.ResponseWriter, r *http.Request) {
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	recent, err := s.recentCalls(r.Context(), h, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, boardSnapshot{CentreID: c.ID, Items: recent})
}

// handleBoardEvents handles "GET /api/v1/centres/{code}/board/events": the
// centre's calls as server-sent events for its display boards. The stream
// opens with a "snapshot" event (the day's last calls, as GET …/board),
// then sends a "call" event (a BoardEvent) for each call and recall within
// moments, and a comment every BoardHeartbeat. A client that falls
// BoardBuffer events behind is dropped: EventSource reconnects and gets a
// fresh snapshot. 400 (field accept) unless the request accepts
// text/event-stream, so a plain request does not hang.
func (s *Server) handleBoardEvents(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		s.Error(w, r, dost.FieldErr("accept", "accept.event_stream", "This is an event stream: send Accept: text/event-stream (EventSource does)."))
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	// Subscribe before reading the snapshot, so no call falls between
	// the two; the page ignores a call it already shows.
	sub := s.board.Subscribe(c.ID)
	defer sub.Cancel()
	recent, err := s.recentCalls(r.Context(), h, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// The server's ReadTimeout would end the stream: a GET has nothing
	// more to read, and writes have their own deadline below.
	_ = rc.SetReadDeadline(time.Time{})
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	var buf bytes.Buffer
	send := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(BoardWriteTimeout))
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err == nil && rc.Flush() == nil
	}
	buf.WriteString("retry: 2000\n\n")
	writeEvent(&buf, "snapshot", boardSnapshot{CentreID: c.ID, Items: recent})
	if !send() {
		return
	}
	heartbeat := time.NewTicker(BoardHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case e := <-sub.C:
			writeEvent(&buf, "call", e)
		case <-heartbeat.C:
			buf.WriteString(": ping\n\n")
		case <-sub.Done:
			return // dropped for falling behind, or shutting down
		case <-r.Context().Done():
			return
		}
		if !send() {
			return
		}
	}
}

// writeEvent appends one server-sent event with v as its JSON data.
func writeEvent(buf *bytes.Buffer, name string, v any) {
	data, _ := json.Marshal(v)
	buf.WriteString("event: ")
	buf.WriteString(name)
	buf.WriteString("\ndata: ")
	buf.Write(data)
	buf.WriteString("\n\n")
}
