package video

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Channel is the PostgreSQL notification channel of the video calls'
// signalling.
const Channel = "dost_video"

// chunkSize is the largest piece of a payload one NOTIFY carries: NOTIFY
// takes at most 8,000 bytes and an SDP offer in JSON may take more, so
// larger payloads go in pieces ("c:<id>:<i>:<n>:<piece>") that Listen
// joins again. Whole payloads start with "w:".
const chunkSize = 7000

// PGRelay is a Relay over PostgreSQL's LISTEN/NOTIFY for nodes that share
// one PostgreSQL database, as http.PGBoardRelay is for the display
// boards: Publish sends NOTIFY on Channel (one connection, opened on first
// use, dropped on error), Listen holds a connection of its own. A node not
// listening at the moment misses the notification: its participants then
// miss that message (WebRTC's ICE restarts or a reconnect recover). It is
// safe for concurrent use; Close it when the server has stopped.
type PGRelay struct {
	dsn string

	mu   sync.Mutex // guards conn
	conn *pgx.Conn
}

var _ Relay = (*PGRelay)(nil)

// NewPGRelay returns a relay over the PostgreSQL database at dsn. It
// connects lazily.
func NewPGRelay(dsn string) *PGRelay { return &PGRelay{dsn: dsn} }

// Publish sends payload to every listening node, in pieces if it is large;
// the pieces of one payload are sent in one transaction, so they arrive
// together and in order.
func (r *PGRelay) Publish(ctx context.Context, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		c, err := pgx.Connect(ctx, r.dsn)
		if err != nil {
			return err
		}
		r.conn = c
	}
	err := r.send(ctx, payload)
	if err != nil {
		r.conn.Close(context.Background())
		r.conn = nil
	}
	return err
}

func (r *PGRelay) send(ctx context.Context, payload []byte) error {
	if len(payload) <= chunkSize {
		_, err := r.conn.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, "w:"+string(payload))
		return err
	}
	// Cut at rune boundaries: a notification's payload is text.
	var pieces [][]byte
	for rest := payload; len(rest) > 0; {
		cut := min(chunkSize, len(rest))
		for cut < len(rest) && cut > 0 && !utf8.RuneStart(rest[cut]) {
			cut--
		}
		pieces, rest = append(pieces, rest[:cut]), rest[cut:]
	}
	id := randomID()
	tx, err := r.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	for i, piece := range pieces {
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, fmt.Sprintf("c:%s:%d:%d:%s", id, i, len(pieces), piece)); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// Listen connects, LISTENs on Channel and delivers each payload until ctx
// ends or the connection fails.
func (r *PGRelay) Listen(ctx context.Context, deliver func(payload []byte)) error {
	c, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return err
	}
	type partial struct {
		pieces []string
		got    int
		at     time.Time
	}
	parts := map[string]*partial{}
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		p := n.Payload
		if whole, ok := strings.CutPrefix(p, "w:"); ok {
			deliver([]byte(whole))
			continue
		}
		f := strings.SplitN(p, ":", 5)
		if len(f) != 5 || f[0] != "c" {
			continue
		}
		i, err1 := strconv.Atoi(f[2])
		total, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || total < 1 || total > 64 || i < 0 || i >= total {
			continue
		}
		x := parts[f[1]]
		if x == nil {
			x = &partial{pieces: make([]string, total), at: time.Now()}
			parts[f[1]] = x
		}
		if len(x.pieces) != total || x.pieces[i] != "" {
			continue
		}
		x.pieces[i] = f[4]
		x.got++
		if x.got == total {
			delete(parts, f[1])
			deliver([]byte(strings.Join(x.pieces, "")))
		}
		for id, y := range parts { // forget pieces whose rest never came
			if time.Since(y.at) > time.Minute {
				delete(parts, id)
			}
		}
	}
}

// Close closes Publish's connection. Listen's ends with its context.
func (r *PGRelay) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close(context.Background())
	r.conn = nil
	return err
}
