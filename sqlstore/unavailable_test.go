package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/sqlstore"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestIsUnavailable checks which errors are the database away for now
// (answered 503) and which are not. A full SQLite disk and a cut
// PostgreSQL connection are proved end to end in internal/crashtest.
func TestIsUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"Nil", nil, false},
		{"DomainError", dost.Errorf(dost.ECONFLICT, "taken"), false},
		{"Canceled", fmt.Errorf("find: %w", context.Canceled), false},
		{"UniqueViolation", &pgconn.PgError{Code: "23505"}, false},
		{"Plain", errors.New("scan: bad column"), false},
		{"ConnectionRefused", fmt.Errorf("issue ticket: %w", refused), true},
		{"ConnectionFailure", &pgconn.PgError{Code: "08006"}, true},
		{"DiskFull", &pgconn.PgError{Code: "53100"}, true},
		{"AdminShutdown", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"ConnClosed", errors.New("begin: conn closed"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := sqlstore.IsUnavailable(c.err); got != c.want {
				t.Errorf("got %v, want %v for %v", got, c.want, c.err)
			}
		})
	}
}
