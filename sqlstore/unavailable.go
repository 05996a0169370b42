package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsUnavailable reports whether err is the database being unavailable for
// now rather than a fault of the request or of dost: the SQLite file's
// disk full (SQLITE_FULL), an I/O error or a lock held past busy_timeout;
// PostgreSQL unreachable (refused, reset or closed connections), shutting
// down, refusing connections, or out of resources (SQLSTATE classes 08
// and 53, 57P01–57P03). The HTTP server answers such errors 503 with
// Retry-After instead of a bare 500; retrying later may succeed.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	switch sqliteCode(err) & 0xff { // the primary result code
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	if c := pgCode(err); c != "" {
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") ||
			c == "57P01" || c == "57P02" || c == "57P03"
	}
	var connect *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connect) || errors.As(err, &netErr) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err) {
		return true
	}
	// pgx reports a connection lost mid-query as "conn closed" or
	// "unexpected EOF" wrapped in its own unexported error types; a
	// context cancelled by the client is not the database's fault.
	if errors.Is(err, context.Canceled) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF")
}
