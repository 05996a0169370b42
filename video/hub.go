// Package video is the server side of dost's service by video (issue 9):
// the signalling hub that connects the participants of a video call over
// WebSocket (one room per ticket, relayed across nodes over PostgreSQL's
// LISTEN/NOTIFY when several nodes share a database), and the TURN server
// (pion/turn) that relays the media when the browsers cannot reach each
// other, with the TURN REST convention's short-lived credentials.
//
// The hub knows the protocol, not the domain: who may join a room is the
// HTTP layer's check before the upgrade, and what a message does to the
// call (consent, quality, chat, interpretation, hang-up) is the Hooks'.
package video

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/dost-az/dost"
)

// Tunables of the hub's connections.
const (
	// SendQueue is how many messages a connection may have waiting to be
	// written; a client that falls further behind is dropped (closed with
	// StatusPolicyViolation, "slow client"), so it never delays the others.
	// It holds the full bursts the rate limit lets the two other
	// participants of a call send at once (2 × RateBurst), so a client that
	// keeps reading is never dropped for a burst the hub allowed.
	SendQueue = 256
	// PingInterval is how often the server pings a connection; a ping not
	// answered within PingTimeout drops it.
	PingInterval = 20 * time.Second
	PingTimeout  = 10 * time.Second
	// WriteTimeout bounds the writing of one message.
	WriteTimeout = 10 * time.Second
	// MaxMessage is the largest message a client may send, in bytes (an
	// SDP offer is a few kilobytes).
	MaxMessage = 64 << 10
	// RateLimit and RateBurst bound what one connection may send: a token
	// bucket of RateBurst messages refilled at RateLimit a second; a
	// message beyond it is not routed and its sender gets error
	// {code: rate_limited}. ChatRate and ChatBurst bound chat messages
	// alike, and QualityEvery is the least time between two quality
	// samples of one connection (the browsers send one every 10 s): each
	// is a database write.
	RateLimit    = 20
	RateBurst    = 100
	ChatRate     = 2
	ChatBurst    = 10
	QualityEvery = 5 * time.Second
)

// Limits are the rates a hub's connections may send at (see RateLimit);
// a zero field is no limit.
type Limits struct {
	Rate, Burst         float64       // any message: a second, at once
	ChatRate, ChatBurst float64       // chat messages: a second, at once
	QualityEvery        time.Duration // least time between two quality samples
}

// DefaultLimits are the limits of a hub whose Limits is nil.
var DefaultLimits = Limits{Rate: RateLimit, Burst: RateBurst, ChatRate: ChatRate, ChatBurst: ChatBurst, QualityEvery: QualityEvery}

// CodeRateLimited is the error code of a message over a connection's
// rate limit.
const CodeRateLimited = "rate_limited"

// Message types of the protocol (COMMON.md "Issue 9 protocol").
const (
	TypeWelcome              = "welcome"
	TypeJoined               = "joined"
	TypeLeft                 = "left"
	TypeEnded                = "ended"
	TypeError                = "error"
	TypeOffer                = "offer"
	TypeAnswer               = "answer"
	TypeCandidate            = "candidate"
	TypeChat                 = "chat"
	TypeQuality              = "quality"
	TypeConsentRequest       = "consent-request"
	TypeConsent              = "consent"
	TypeInterpreterRequest   = "interpreter-request"
	TypeInterpreterRequested = "interpreter-requested"
	TypeHangup               = "hangup"
)

// Participant is someone in a room, as the others see them.
type Participant struct {
	ID   int64          `json:"id"`
	Role dost.VideoRole `json:"role"`
	Name string         `json:"name"`
}

// Message is one signalling message: {type, from, to, data}. From is set
// by the server to the sender's participant ID; To names the one
// recipient of offer, answer and candidate (0: everyone else).
type Message struct {
	Type string          `json:"type"`
	From int64           `json:"from,omitempty"`
	To   int64           `json:"to,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Hooks are what the hub asks of the domain. All are optional.
type Hooks struct {
	// Message is called for chat, quality, consent, interpreter-request
	// and hangup messages before they are forwarded, on the sender's
	// connection: an error is sent back to the sender (type "error", data
	// {code, message}) and the message is not forwarded. It may replace
	// m.Data (e.g. with the request created).
	Message func(ctx context.Context, room int64, from Participant, m *Message) error
	// Left is called when a participant's connection to this node closed
	// (and no newer connection of theirs replaced it), before the others
	// are told.
	Left func(room int64, p Participant)
}

// Hub holds the rooms of this node's signalling connections and, with a
// Relay, exchanges their messages with the other nodes. It is safe for
// concurrent use; Close ends every connection.
type Hub struct {
	Hooks  Hooks
	Logger *slog.Logger
	// Relay, if set before the first Serve, carries messages to the
	// participants connected to other nodes (see relay.go).
	Relay Relay
	// Limits bounds what each connection may send; nil: DefaultLimits,
	// &Limits{}: no limit (load tests of the hub itself). Set before the
	// first Serve.
	Limits *Limits

	node string // this hub's ID on the relay

	mu     sync.Mutex // guards rooms, closed, remote
	rooms  map[int64]map[int64]*conn
	remote map[int64]map[int64]remotePeer // room → participant → where
	closed bool

	relayWait sync.WaitGroup // the relay's listener
	serving   sync.WaitGroup // the Serve calls in progress
	stopRelay context.CancelFunc
	pending   map[string]chan []Participant // hello id → answers (relay.go)
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{rooms: map[int64]map[int64]*conn{}, remote: map[int64]map[int64]remotePeer{},
		pending: map[string]chan []Participant{}, node: randomID()}
}

func (h *Hub) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

// conn is one participant's WebSocket connection.
type conn struct {
	p    Participant
	room int64
	ws   *websocket.Conn
	send chan []byte

	closing sync.Once     // starts the close, once
	closed  chan struct{} // closed when the close is done

	// Used by the reader goroutine only.
	limits      Limits
	all, chat   bucket
	lastQuality time.Time
}

// bucket is a token bucket: burst tokens, refilled at rate a second.
type bucket struct {
	tokens float64
	at     time.Time
}

// take takes a token at now, refilling first; false if there is none.
func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if b.at.IsZero() {
		b.tokens = burst
	} else {
		b.tokens = min(burst, b.tokens+now.Sub(b.at).Seconds()*rate)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// allow reports whether c may send a message of type typ now (see
// RateLimit), counting it.
func (c *conn) allow(typ string, now time.Time) bool {
	l := &c.limits
	if l.Rate > 0 && !c.all.take(now, l.Rate, l.Burst) {
		return false
	}
	switch typ {
	case TypeChat:
		return l.ChatRate <= 0 || c.chat.take(now, l.ChatRate, l.ChatBurst)
	case TypeQuality:
		if !c.lastQuality.IsZero() && now.Sub(c.lastQuality) < l.QualityEvery {
			return false
		}
		c.lastQuality = now
	}
	return true
}

// drop closes the connection with status and reason (the first close
// wins): the close handshake runs in its own goroutine and ends the
// connection's reader, and so Serve.
func (c *conn) drop(status websocket.StatusCode, reason string) {
	c.closing.Do(func() {
		go func() {
			c.ws.Close(status, reason)
			close(c.closed)
		}()
	})
}

// enqueue hands b to the connection's writer without waiting; a full queue
// drops the connection.
func (c *conn) enqueue(b []byte) {
	select {
	case c.send <- b:
	default:
		c.drop(websocket.StatusPolicyViolation, "slow client")
	}
}

// Present returns the participants connected to the room on this node and
// (with a relay) those it knows of on other nodes.
func (h *Hub) Present(room int64) []Participant {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Participant
	for _, c := range h.rooms[room] {
		out = append(out, c.p)
	}
	for _, r := range h.remote[room] {
		out = append(out, r.p)
	}
	return out
}

// ErrClosed is Serve's answer once the hub has closed.
var ErrClosed = errors.New("video: hub closed")

// Serve runs participant p's connection ws to room until it closes, the
// participant is dropped or replaced (a newer connection of the same
// participant), the room ends or the hub closes. It sends welcome first
// and tells the others joined, then left when it ends.
func (h *Hub) Serve(ctx context.Context, ws *websocket.Conn, room int64, p Participant) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return ErrClosed
	}
	h.serving.Add(1)
	h.mu.Unlock()
	defer h.serving.Done()
	ws.SetReadLimit(MaxMessage)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &conn{p: p, room: room, ws: ws, send: make(chan []byte, SendQueue), closed: make(chan struct{}), limits: DefaultLimits}
	if h.Limits != nil {
		c.limits = *h.Limits
	}

	others := h.hello(ctx, room, p) // relay.go: the other nodes' participants
	// Registered, welcomed and announced under h.mu, so that welcome is
	// the first message the connection gets.
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return ErrClosed
	}
	if h.rooms[room] == nil {
		h.rooms[room] = map[int64]*conn{}
	}
	old := h.rooms[room][p.ID]
	h.rooms[room][p.ID] = c
	for id, o := range h.rooms[room] {
		if id != p.ID {
			others = append(others, o.p)
		}
	}
	if others == nil {
		others = []Participant{}
	}
	c.enqueue(encode(Message{Type: TypeWelcome, Data: mustJSON(map[string]any{"you": p, "participants": others})}))
	h.mu.Unlock()
	if old != nil {
		old.drop(websocket.StatusPolicyViolation, "replaced by a newer connection")
	}
	h.deliver(room, Message{Type: TypeJoined, From: p.ID, Data: mustJSON(map[string]any{"participant": p})}, p.ID, true)

	var wg sync.WaitGroup
	wg.Go(func() { h.write(ctx, c) })
	h.read(ctx, c)
	cancel()
	wg.Wait()

	c.closing.Do(func() { // the client went away: no handshake to make
		c.ws.CloseNow()
		close(c.closed)
	})
	<-c.closed

	h.mu.Lock()
	replaced := h.rooms[room][p.ID] != c
	if !replaced {
		delete(h.rooms[room], p.ID)
		if len(h.rooms[room]) == 0 {
			delete(h.rooms, room)
		}
	}
	h.mu.Unlock()
	if !replaced {
		if h.Hooks.Left != nil {
			h.Hooks.Left(room, p)
		}
		h.deliver(room, Message{Type: TypeLeft, From: p.ID, Data: mustJSON(map[string]any{"participant": p})}, p.ID, true)
	}
	return nil
}

// write writes c's queue and pings it until ctx ends.
func (h *Hub) write(ctx context.Context, c *conn) {
	ping := time.NewTicker(PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-c.send:
			wctx, cancel := context.WithTimeout(ctx, WriteTimeout)
			err := c.ws.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				c.drop(websocket.StatusGoingAway, "")
				return
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, PingTimeout)
			err := c.ws.Ping(pctx)
			cancel()
			if err != nil {
				c.drop(websocket.StatusPolicyViolation, "no pong")
				return
			}
		}
	}
}

// read reads c's messages and routes them until the connection fails or
// ctx ends.
func (h *Hub) read(ctx context.Context, c *conn) {
	for {
		typ, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		var m Message
		if typ != websocket.MessageText || json.Unmarshal(b, &m) != nil || m.Type == "" {
			c.enqueue(errorMessage("video.message_invalid", "A message is a JSON object {type, to, data}."))
			continue
		}
		m.From = c.p.ID
		if !c.allow(m.Type, time.Now()) {
			c.enqueue(errorMessage(CodeRateLimited, "Too many messages; wait a moment."))
			continue
		}
		if err := h.route(ctx, c, &m); err != nil {
			c.enqueue(errorMessage(errorCode(err), dost.ErrorMessage(err)))
		}
	}
}

// route checks m against the protocol, gives it to the hooks and forwards
// it.
func (h *Hub) route(ctx context.Context, c *conn, m *Message) error {
	role := c.p.Role
	switch m.Type {
	case TypeOffer, TypeAnswer, TypeCandidate:
		if m.To == 0 || m.To == c.p.ID {
			return dost.FieldErr("to", "video.to_required", "An %s names its recipient (to).", m.Type)
		}
		h.deliver(c.room, *m, c.p.ID, true)
		return nil
	case TypeConsentRequest:
		if role != dost.VideoOperator {
			return dost.Errorf(dost.EFORBIDDEN, "Only the operator asks for consent.")
		}
		m.To = 0
		h.deliver(c.room, *m, c.p.ID, true)
		return nil
	case TypeConsent:
		if role != dost.VideoCitizen {
			return dost.Errorf(dost.EFORBIDDEN, "Only the citizen gives consent.")
		}
	case TypeInterpreterRequest:
		if role == dost.VideoInterpreter {
			return dost.Errorf(dost.EFORBIDDEN, "The operator or the citizen asks for an interpreter.")
		}
	case TypeChat, TypeQuality, TypeHangup:
	default:
		return dost.FieldErr("type", "video.type_unknown", "Unknown message type %q.", m.Type)
	}
	m.To = 0
	if h.Hooks.Message != nil {
		if err := h.Hooks.Message(ctx, c.room, c.p, m); err != nil {
			return err
		}
	}
	switch m.Type {
	case TypeHangup:
		if role != dost.VideoOperator {
			// Anyone but the operator hanging up leaves; the call goes on.
			c.drop(websocket.StatusNormalClosure, "hung up")
		}
		// The operator's hang-up ended the call through the hook (End).
		return nil
	case TypeInterpreterRequest:
		m.Type = TypeInterpreterRequested
	}
	h.deliver(c.room, *m, c.p.ID, true)
	return nil
}

// End tells every participant of room, on every node, that the call has
// ended, and closes their connections.
func (h *Hub) End(room int64) {
	h.endLocal(room)
	h.publish(envelope{Kind: kindEnd, Room: room})
}

// Drop closes participant's connection to room on this node, if any,
// with StatusPolicyViolation and reason: someone who is no longer a
// participant of the call (the others are told left).
func (h *Hub) Drop(room, participant int64, reason string) {
	h.mu.Lock()
	c := h.rooms[room][participant]
	h.mu.Unlock()
	if c != nil {
		c.drop(websocket.StatusPolicyViolation, reason)
	}
}

// endLocal ends room's connections on this node.
func (h *Hub) endLocal(room int64) {
	b := encode(Message{Type: TypeEnded})
	h.mu.Lock()
	conns := make([]*conn, 0, len(h.rooms[room]))
	for _, c := range h.rooms[room] {
		conns = append(conns, c)
	}
	delete(h.remote, room)
	h.mu.Unlock()
	for _, c := range conns {
		// The ended message goes before the close: the writer drains
		// what is queued only until the drop, so write it directly.
		wctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c.ws.Write(wctx, websocket.MessageText, b)
		cancel()
		c.drop(websocket.StatusNormalClosure, "call ended")
	}
}

// deliver hands m to room's participants on this node other than except
// (m.To's only, if set) and, when relay is true, to the other nodes.
func (h *Hub) deliver(room int64, m Message, except int64, relay bool) {
	b := encode(m)
	h.mu.Lock()
	var targets []*conn
	for id, c := range h.rooms[room] {
		if id != except && (m.To == 0 || m.To == id) {
			targets = append(targets, c)
		}
	}
	_, local := h.rooms[room][m.To]
	h.mu.Unlock()
	for _, c := range targets {
		c.enqueue(b)
	}
	if relay && !(m.To != 0 && local) {
		h.publish(envelope{Kind: kindMessage, Room: room, Msg: &m, Except: except})
	}
}

// CloseTimeout bounds how long Close waits for the connections to end.
const CloseTimeout = 10 * time.Second

// Close ends every connection (StatusGoingAway), stops the relay's
// listener and waits, up to CloseTimeout, until every Serve has returned
// (and its Left hook run); Serve refuses new connections afterwards.
// Calling it again waits again.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	var conns []*conn
	for _, r := range h.rooms {
		for _, c := range r {
			conns = append(conns, c)
		}
	}
	stop := h.stopRelay
	h.mu.Unlock()
	for _, c := range conns {
		c.drop(websocket.StatusGoingAway, "server shutting down")
	}
	if stop != nil {
		stop()
	}
	h.relayWait.Wait()
	done := make(chan struct{})
	go func() {
		h.serving.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(CloseTimeout):
		h.logger().Warn("video hub: connections still open at close")
	}
}

// encode returns m as JSON.
func encode(m Message) []byte {
	b, _ := json.Marshal(m)
	return b
}

// mustJSON returns v as JSON; v is always encodable.
func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// errorMessage is the message telling a sender what was wrong.
func errorMessage(code, msg string) []byte {
	return encode(Message{Type: TypeError, Data: mustJSON(map[string]string{"code": code, "message": msg})})
}

// errorCode returns err's first field code, else its dost code.
func errorCode(err error) string {
	var e *dost.Error
	if errors.As(err, &e) {
		if len(e.Fields) > 0 {
			return e.Fields[0].Code
		}
		return e.Code
	}
	return dost.EINTERNAL
}

// Deliver sends m to every participant of room but its sender (m.From),
// on every node: the server's own messages about the call (consent or an
// interpreter requested through the API).
func (h *Hub) Deliver(room int64, m Message) {
	h.deliver(room, m, m.From, true)
}
