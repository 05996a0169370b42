package http

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// BoardChannel is the PostgreSQL notification channel of the boards'
// events.
const BoardChannel = "dost_board"

// PGBoardRelay is a BoardRelay over PostgreSQL's LISTEN/NOTIFY, for nodes
// that share one PostgreSQL database: Publish sends NOTIFY on
// BoardChannel, Listen holds a connection of its own that LISTENs. A
// notification reaches every listening node, the sender's too, within
// milliseconds; nodes that are not listening at that moment miss it (a
// board that reconnects gets its snapshot from the queue's log). It is
// safe for concurrent use; Close it when the server has stopped.
type PGBoardRelay struct {
	dsn string

	mu   sync.Mutex // guards conn
	conn *pgx.Conn  // Publish's, opened on first use, dropped on error
}

var _ BoardRelay = (*PGBoardRelay)(nil)

// NewPGBoardRelay returns a relay over the PostgreSQL database at dsn (a
// URL or key=value string, as sqlstore.Open takes). It connects lazily.
func NewPGBoardRelay(dsn string) *PGBoardRelay { return &PGBoardRelay{dsn: dsn} }

// Publish sends payload to every listening node. On an error the
// connection is dropped and the next Publish connects again.
func (r *PGBoardRelay) Publish(ctx context.Context, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		c, err := pgx.Connect(ctx, r.dsn)
		if err != nil {
			return err
		}
		r.conn = c
	}
	if _, err := r.conn.Exec(ctx, "SELECT pg_notify($1, $2)", BoardChannel, string(payload)); err != nil {
		r.conn.Close(context.Background())
		r.conn = nil
		return err
	}
	return nil
}

// Listen connects, LISTENs on BoardChannel and delivers each notification's
// payload until ctx ends or the connection fails.
func (r *PGBoardRelay) Listen(ctx context.Context, deliver func(payload []byte)) error {
	c, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{BoardChannel}.Sanitize()); err != nil {
		return err
	}
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		deliver([]byte(n.Payload))
	}
}

// Close closes Publish's connection. Listen's ends with its context.
func (r *PGBoardRelay) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close(context.Background())
	r.conn = nil
	return err
}
