package main_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestAuditVerify runs `dost audit verify` on an intact trail and on
// trails tampered with (the triggers disabled first, as the database's
// owner could): it names the first broken seq and fails.
func TestAuditVerify(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		tamper []string // %d is the seq tampered with
		seq    int
		want   int // the broken seq verify must name
	}{
		{"FieldChanged", []string{`UPDATE audit_events SET detail = 'edited' WHERE seq = %d`}, 6, 6},
		{"ActorChanged", []string{`UPDATE audit_events SET actor_name = 'Someone else' WHERE seq = %d`}, 1, 1},
		{"RowDeleted", []string{`DELETE FROM audit_events WHERE seq = %d`}, 3, 3},
		{"LastRowDeleted", []string{`DELETE FROM audit_events WHERE seq = %d`}, 12, 12},
		{"Rehashed", nil, 8, 9}, // seq 8 re-hashed: its successor's link breaks
	}
	for _, dialect := range dosttest.Dialects() {
		for _, tc := range cases {
			t.Run(dialect+"/"+tc.name, func(t *testing.T) {
				dsn := dosttest.DSN(t, dialect)
				var out, logs bytes.Buffer
				run := func(args ...string) error {
					out.Reset()
					return main.Run(ctx, args, &out, &logs)
				}
				if err := run("migrate", "--database", dsn); err != nil {
					t.Fatalf("migrate: %v\n%s", err, logs.String())
				}
				db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				s := sqlstore.NewAuditStore(db)
				var events []*dost.AuditEvent
				for i := range 12 {
					e := &dost.AuditEvent{ActorID: int64(i%2 + 1), ActorName: "Staff member", ActorRoles: []dost.Role{dost.RoleOperator},
						Action: dost.AuditRead, ObjectKind: "person", ObjectID: fmt.Sprint(i), PersonID: int64(i + 1),
						Route: "GET /persons/{fin}", Detail: "status=200"}
					if err := s.Record(ctx, e); err != nil {
						t.Fatal(err)
					}
					events = append(events, e)
				}
				if err := run("audit", "verify", "--database", dsn); err != nil {
					t.Fatalf("verify intact: %v\n%s", err, out.String())
				}
				if !strings.Contains(out.String(), "audit trail OK: 12 events") {
					t.Fatalf("verify intact: got %q", out.String())
				}

				disable := []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`}
				if dialect == sqlstore.DialectPostgres {
					disable = []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`}
				}
				tamper := tc.tamper
				if tamper == nil {
					e := events[tc.seq-1]
					e.Detail = "rewritten"
					tamper = []string{`UPDATE audit_events SET detail = 'rewritten', hash = '` + e.ChainHash(e.PrevHash) + `' WHERE seq = %d`}
				}
				for _, q := range append(disable, tamper...) {
					if strings.Contains(q, "%d") {
						q = fmt.Sprintf(q, tc.seq)
					}
					if _, err := db.WriterDB().ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				err = run("audit", "verify", "--database", dsn)
				if !errors.Is(err, main.ErrAuditBroken) {
					t.Fatalf("verify tampered: got %v, want ErrAuditBroken\n%s", err, out.String())
				}
				if want := fmt.Sprintf("audit trail BROKEN at seq %d:", tc.want); !strings.Contains(out.String(), want) {
					t.Fatalf("verify tampered: got %q, want %q", out.String(), want)
				}
			})
		}
	}
}

// TestAuditVerifyUsage checks the command's refusals.
func TestAuditVerifyUsage(t *testing.T) {
	var out, logs bytes.Buffer
	if err := main.Run(context.Background(), []string{"audit"}, &out, &logs); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("dost audit: got %v, want the usage", err)
	}
	if err := main.Run(context.Background(), []string{"audit", "verify", "extra"}, &out, &logs); err == nil {
		t.Fatalf("dost audit verify extra: got no error")
	}
}
