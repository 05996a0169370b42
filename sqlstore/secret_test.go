package sqlstore_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestSecret starts three "nodes" (three handles on one database, as three
// processes would have) on a fresh database and asks each for the same
// secret from many goroutines at once: every caller gets the same bytes,
// and a fourth node opened afterwards (a restart) gets them too. Another
// name is another secret; a secret kept elsewhere before is adopted once.
func TestSecret(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			dsn := dosttest.DSN(t, dialect)
			open := func(migrate bool) *sqlstore.DB {
				t.Helper()
				db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Migrate: migrate,
					Clock: dosttest.NewClock(dosttest.DefaultNow), PasswordParams: dosttest.PasswordParams})
				ok(t, err)
				t.Cleanup(func() { db.Close() })
				return db
			}
			nodes := []*sqlstore.DB{open(true), open(false), open(false)}

			t.Run("ConcurrentFirstStarts", func(t *testing.T) {
				const perNode = 16
				got := make([][]byte, len(nodes)*perNode)
				errs := make([]error, len(got))
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range got {
					wg.Go(func() {
						<-start
						got[i], errs[i] = nodes[i%len(nodes)].Secret(ctx, "feedback", 32)
					})
				}
				close(start)
				wg.Wait()
				for i := range got {
					ok(t, errs[i])
					if len(got[i]) != 32 || !bytes.Equal(got[i], got[0]) {
						t.Fatalf("caller %d got %x, caller 0 %x; want the same 32 bytes", i, got[i], got[0])
					}
				}
				if bytes.Equal(got[0], make([]byte, 32)) {
					t.Fatal("the secret is all zeros")
				}
				var n int
				ok(t, nodes[0].WriterDB().QueryRowContext(ctx, `SELECT count(*) FROM node_secrets`).Scan(&n))
				if n != 1 {
					t.Fatalf("%d rows in node_secrets, want 1", n)
				}

				restarted := open(false)
				again, err := restarted.Secret(ctx, "feedback", 32)
				ok(t, err)
				if !bytes.Equal(again, got[0]) {
					t.Fatalf("after a restart: got %x, want %x", again, got[0])
				}
				other, err := restarted.Secret(ctx, "other", 32)
				ok(t, err)
				if bytes.Equal(other, got[0]) {
					t.Fatal("another name gave the same secret")
				}
			})

			t.Run("Adopt", func(t *testing.T) {
				old := bytes.Repeat([]byte{7}, 32)
				got, err := nodes[1].AdoptSecret(ctx, "adopted", old)
				ok(t, err)
				if !bytes.Equal(got, old) {
					t.Fatalf("adopted %x, want %x", got, old)
				}
				got, err = nodes[2].AdoptSecret(ctx, "adopted", bytes.Repeat([]byte{9}, 32))
				ok(t, err)
				if !bytes.Equal(got, old) {
					t.Fatalf("adopted again: got %x, want the first %x", got, old)
				}
				got, err = nodes[0].Secret(ctx, "adopted", 32)
				ok(t, err)
				if !bytes.Equal(got, old) {
					t.Fatalf("Secret of the adopted: got %x, want %x", got, old)
				}
			})

			t.Run("ErrSize", func(t *testing.T) {
				if _, err := nodes[0].Secret(ctx, "feedback", 64); err == nil {
					t.Fatal("a 32-byte secret asked for as 64 bytes: got nil, want an error")
				}
				_, err := nodes[0].Secret(ctx, "short", 8)
				mustCode(t, err, dost.EINVALID)
				_, err = nodes[0].Secret(ctx, "", 32)
				mustCode(t, err, dost.EINVALID)
			})
		})
	}
}
