package video

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Relay carries signalling between the nodes that share one database, so
// that the participants of one call may be connected to different nodes
// (PGRelay: PostgreSQL's LISTEN/NOTIFY). Payloads are opaque bytes.
type Relay interface {
	// Publish sends payload to every node, this one included.
	Publish(ctx context.Context, payload []byte) error
	// Listen delivers every node's payloads to deliver until ctx ends; it
	// returns ctx's error then, or the error that stopped it earlier (the
	// hub listens again a second later).
	Listen(ctx context.Context, deliver func(payload []byte)) error
}

// HelloWait is how long a participant joining through a relay waits for
// the other nodes to tell who of the room is connected to them, before
// its welcome is sent.
const HelloWait = 200 * time.Millisecond

// Envelope kinds on the relay.
const (
	kindMessage = "m" // a message for the room's participants
	kindHello   = "h" // a participant joins: who is there?
	kindPresent = "p" // the answer to a hello: the node's participants
	kindEnd     = "e" // the call ended
)

// envelope is what the hub publishes on the relay.
type envelope struct {
	Node         string        `json:"n"`
	Kind         string        `json:"k"`
	Room         int64         `json:"r"`
	Msg          *Message      `json:"m,omitempty"`
	Except       int64         `json:"x,omitempty"`
	Hello        string        `json:"h,omitempty"`
	Participants []Participant `json:"ps,omitempty"`
}

// remotePeer is a participant connected to another node.
type remotePeer struct {
	node string
	p    Participant
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Start starts listening on the relay, if there is one, until Close. Call
// it once, before the first Serve.
func (h *Hub) Start() {
	if h.Relay == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.mu.Lock()
	h.stopRelay = cancel
	h.mu.Unlock()
	h.relayWait.Go(func() {
		for ctx.Err() == nil {
			err := h.Relay.Listen(ctx, h.receive)
			if ctx.Err() != nil {
				return
			}
			h.logger().Warn("video relay: listen", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	})
}

// publish sends e to the other nodes; a failure is logged (the
// participants on this node got the message all the same).
func (h *Hub) publish(e envelope) {
	if h.Relay == nil {
		return
	}
	e.Node = h.node
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.Relay.Publish(ctx, b); err != nil {
		h.logger().Warn("video relay: publish", "kind", e.Kind, "room", e.Room, "err", err)
	}
}

// hello asks the other nodes who of room is connected to them and returns
// them, waiting up to HelloWait; nil without a relay.
func (h *Hub) hello(ctx context.Context, room int64, p Participant) []Participant {
	if h.Relay == nil {
		return nil
	}
	id := randomID()
	ch := make(chan []Participant, 16)
	h.mu.Lock()
	h.pending[id] = ch
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.pending, id)
		h.mu.Unlock()
	}()
	h.publish(envelope{Kind: kindHello, Room: room, Hello: id})
	var out []Participant
	timer := time.NewTimer(HelloWait)
	defer timer.Stop()
	for {
		select {
		case ps := <-ch:
			for _, x := range ps {
				if x.ID != p.ID {
					out = append(out, x)
				}
			}
		case <-timer.C:
			return out
		case <-ctx.Done():
			return out
		}
	}
}

// receive handles one envelope from the relay.
func (h *Hub) receive(payload []byte) {
	var e envelope
	if json.Unmarshal(payload, &e) != nil || e.Node == h.node {
		return
	}
	switch e.Kind {
	case kindMessage:
		if e.Msg == nil {
			return
		}
		h.mu.Lock()
		switch e.Msg.Type {
		case TypeJoined:
			var d struct{ Participant Participant }
			if json.Unmarshal(e.Msg.Data, &d) == nil {
				if h.remote[e.Room] == nil {
					h.remote[e.Room] = map[int64]remotePeer{}
				}
				h.remote[e.Room][d.Participant.ID] = remotePeer{node: e.Node, p: d.Participant}
			}
		case TypeLeft:
			if r, ok := h.remote[e.Room][e.Msg.From]; ok && r.node == e.Node {
				delete(h.remote[e.Room], e.Msg.From)
				if len(h.remote[e.Room]) == 0 {
					delete(h.remote, e.Room)
				}
			}
		}
		h.mu.Unlock()
		h.deliver(e.Room, *e.Msg, e.Except, false)
	case kindHello:
		h.mu.Lock()
		var ps []Participant
		for _, c := range h.rooms[e.Room] {
			ps = append(ps, c.p)
		}
		h.mu.Unlock()
		if len(ps) > 0 {
			h.publish(envelope{Kind: kindPresent, Room: e.Room, Hello: e.Hello, Participants: ps})
		}
	case kindPresent:
		h.mu.Lock()
		ch := h.pending[e.Hello]
		if ch != nil {
			if h.remote[e.Room] == nil {
				h.remote[e.Room] = map[int64]remotePeer{}
			}
			for _, p := range e.Participants {
				h.remote[e.Room][p.ID] = remotePeer{node: e.Node, p: p}
			}
		}
		h.mu.Unlock()
		if ch != nil {
			select {
			case ch <- e.Participants:
			default:
			}
		}
	case kindEnd:
		h.endLocal(e.Room)
	}
}
