package http

import "github.com/dost-az/dost/internal/pgnotify"

// BoardChannel is the PostgreSQL notification channel of the boards'
// events.
const BoardChannel = "dost_board"

// PGBoardRelay is a BoardRelay over PostgreSQL's LISTEN/NOTIFY, for nodes
// that share one PostgreSQL database (package pgnotify; the video calls'
// signalling uses the same on a channel of its own). A notification
// reaches every listening node, the sender's too, within milliseconds;
// nodes that are not listening at that moment miss it (a board that
// reconnects gets its snapshot from the queue's log). It is safe for
// concurrent use; Close it when the server has stopped.
type PGBoardRelay = pgnotify.Relay

var _ BoardRelay = (*PGBoardRelay)(nil)

// NewPGBoardRelay returns a relay on BoardChannel over the PostgreSQL
// database at dsn (a URL or key=value string, as sqlstore.Open takes). It
// connects lazily.
func NewPGBoardRelay(dsn string) *PGBoardRelay { return pgnotify.New(dsn, BoardChannel) }
