// Package pgnotify carries payloads between the nodes that share one
// PostgreSQL database over its LISTEN/NOTIFY: the display boards' events
// and the video calls' signalling both travel this way.
//
// A notification reaches every node listening at the moment it is sent,
// the sender's own too, within milliseconds. A node that is not listening
// then misses it: users of this package must recover from a missed
// payload on their own (a board's snapshot, WebRTC's ICE restart).
package pgnotify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// ChunkSize is the largest piece of a payload one NOTIFY carries. NOTIFY
// takes at most 8,000 bytes and a payload (an SDP offer in JSON, say) may
// take more, so a larger payload goes in pieces ("c:<id>:<i>:<n>:<piece>",
// cut at rune boundaries, sent in one transaction so they arrive together
// and in order) that Listen joins again. A whole payload starts with "w:".
const ChunkSize = 7000

// MaxPieces bounds the pieces of one payload (so about 448 kB); Publish
// refuses a larger payload and Listen drops pieces that claim more.
const MaxPieces = 64

// Relay publishes payloads on one channel and listens to it. Publish uses
// one connection, opened on first use and dropped on an error (the next
// Publish connects again); Listen holds a connection of its own. A Relay
// is safe for concurrent use; Close it when the server has stopped.
type Relay struct {
	dsn     string
	channel string

	mu   sync.Mutex // guards conn
	conn *pgx.Conn
}

// New returns a relay on channel over the PostgreSQL database at dsn (a URL
// or key=value string, as sqlstore.Open takes). It connects lazily.
func New(dsn, channel string) *Relay { return &Relay{dsn: dsn, channel: channel} }

// Channel is the notification channel the relay publishes and listens on.
func (r *Relay) Channel() string { return r.channel }

// Publish sends payload to every listening node, in pieces if it is
// larger than ChunkSize.
func (r *Relay) Publish(ctx context.Context, payload []byte) error {
	pieces := split(payload)
	if len(pieces) > MaxPieces {
		return fmt.Errorf("pgnotify: a payload of %d bytes is more than %d pieces of %d", len(payload), MaxPieces, ChunkSize)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		c, err := pgx.Connect(ctx, r.dsn)
		if err != nil {
			return err
		}
		r.conn = c
	}
	err := r.send(ctx, pieces)
	if err != nil {
		r.conn.Close(context.Background())
		r.conn = nil
	}
	return err
}

// split cuts payload into the notifications' texts.
func split(payload []byte) []string {
	if len(payload) <= ChunkSize {
		return []string{"w:" + string(payload)}
	}
	var pieces [][]byte
	for rest := payload; len(rest) > 0; {
		cut := min(ChunkSize, len(rest))
		for cut < len(rest) && cut > 0 && !utf8.RuneStart(rest[cut]) {
			cut--
		}
		if cut == 0 { // no rune start in reach: not UTF-8; cut anyway
			cut = min(ChunkSize, len(rest))
		}
		pieces, rest = append(pieces, rest[:cut]), rest[cut:]
	}
	id := make([]byte, 8)
	rand.Read(id)
	texts := make([]string, len(pieces))
	for i, p := range pieces {
		texts[i] = fmt.Sprintf("c:%s:%d:%d:%s", hex.EncodeToString(id), i, len(pieces), p)
	}
	return texts
}

func (r *Relay) send(ctx context.Context, texts []string) error {
	if len(texts) == 1 {
		_, err := r.conn.Exec(ctx, "SELECT pg_notify($1, $2)", r.channel, texts[0])
		return err
	}
	tx, err := r.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	for _, t := range texts {
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", r.channel, t); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// Listen connects, LISTENs on the channel and delivers each payload, whole
// again, until ctx ends (it returns ctx's error) or the connection fails.
// deliver runs on Listen's goroutine, one payload at a time.
func (r *Relay) Listen(ctx context.Context, deliver func(payload []byte)) error {
	c, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{r.channel}.Sanitize()); err != nil {
		return err
	}
	var j joiner
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if p, ok := j.add(n.Payload, time.Now()); ok {
			deliver(p)
		}
	}
}

// joiner joins the pieces of payloads again.
type joiner struct {
	parts map[string]*partial
}

type partial struct {
	pieces []string
	got    int
	at     time.Time
}

// add takes one notification's text and returns a whole payload when it
// completes one. Malformed texts and repeated pieces are ignored; pieces
// whose rest has not come within a minute are forgotten.
func (j *joiner) add(text string, now time.Time) ([]byte, bool) {
	if whole, ok := strings.CutPrefix(text, "w:"); ok {
		return []byte(whole), true
	}
	f := strings.SplitN(text, ":", 5)
	if len(f) != 5 || f[0] != "c" {
		return nil, false
	}
	i, err1 := strconv.Atoi(f[2])
	total, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil || total < 1 || total > MaxPieces || i < 0 || i >= total {
		return nil, false
	}
	if j.parts == nil {
		j.parts = map[string]*partial{}
	}
	for id, y := range j.parts {
		if now.Sub(y.at) > time.Minute {
			delete(j.parts, id)
		}
	}
	x := j.parts[f[1]]
	if x == nil {
		x = &partial{pieces: make([]string, total), at: now}
		j.parts[f[1]] = x
	}
	if len(x.pieces) != total || x.pieces[i] != "" {
		return nil, false
	}
	x.pieces[i] = f[4]
	x.got++
	if x.got < total {
		return nil, false
	}
	delete(j.parts, f[1])
	return []byte(strings.Join(x.pieces, "")), true
}

// Close closes Publish's connection. Listen's ends with its context.
func (r *Relay) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close(context.Background())
	r.conn = nil
	return err
}
