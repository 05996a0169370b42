package video

import "github.com/dost-az/dost/internal/pgnotify"

// Channel is the PostgreSQL notification channel of the video calls'
// signalling.
const Channel = "dost_video"

// PGRelay is a Relay over PostgreSQL's LISTEN/NOTIFY for nodes that share
// one PostgreSQL database (package pgnotify; the display boards use the
// same on a channel of their own). An SDP offer larger than one NOTIFY
// goes in pieces and is joined again. A node not listening at the moment
// misses the notification: its participants then miss that message
// (WebRTC's ICE restarts or a reconnect recover). It is safe for
// concurrent use; Close it when the server has stopped.
type PGRelay = pgnotify.Relay

var _ Relay = (*PGRelay)(nil)

// NewPGRelay returns a relay on Channel over the PostgreSQL database at
// dsn. It connects lazily.
func NewPGRelay(dsn string) *PGRelay { return pgnotify.New(dsn, Channel) }
