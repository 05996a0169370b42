package sqlstore_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// auditEvent returns a read of person pid by actor uid.
func auditEvent(uid, pid int64, action dost.AuditAction) *dost.AuditEvent {
	return &dost.AuditEvent{ActorID: uid, ActorName: fmt.Sprintf("User %d", uid),
		ActorRoles: []dost.Role{dost.RoleOperator, dost.RoleCaseWorker}, ActorCentreIDs: []int64{3, 1},
		Action: action, ObjectKind: "person", ObjectID: fmt.Sprint(pid), PersonID: pid,
		IP: "127.0.0.1", RequestID: "req-1", Route: "GET /api/v1/persons/{fin}", Detail: "status=200"}
}

// appendEvents records n events of actors 1..3 about persons 1..5.
func appendEvents(t testing.TB, s *sqlstore.AuditStore, n int) {
	t.Helper()
	for i := range n {
		if err := s.Record(ctx, auditEvent(int64(i%3+1), int64(i%5+1), dost.AuditRead)); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
}

// mustVerify checks that the chain holds with n events.
func mustVerify(t *testing.T, s *sqlstore.AuditStore, n int64) {
	t.Helper()
	c, err := s.Verify(ctx)
	ok(t, err)
	if !c.OK() || c.Count != n || c.HeadSeq != n {
		t.Fatalf("verify: got %+v (broken %+v), want %d events OK", c, c.Broken, n)
	}
}

func TestAuditStore_Record(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewAuditStore(db)
		mustVerify(t, s, 0)
		e := auditEvent(7, 42, dost.AuditRead)
		e.Reason = "  phone call\nfrom the citizen  "
		ok(t, s.Record(ctx, e))
		if e.Seq != 1 || e.PrevHash != dost.GenesisHash || len(e.Hash) != 64 || e.Reason != "phone call from the citizen" {
			t.Fatalf("recorded: got seq %d prev %s hash %q reason %q", e.Seq, e.PrevHash, e.Hash, e.Reason)
		}
		appendEvents(t, s, 9)
		mustVerify(t, s, 10)

		got, total, err := s.FindAuditEvents(ctx, dost.AuditFilter{Limit: 3})
		ok(t, err)
		if total != 10 || len(got) != 3 || got[0].Seq != 10 {
			t.Fatalf("find: got total %d, %d events, first seq %d; want 10, 3, 10", total, len(got), got[0].Seq)
		}
		// The stored event reads back exactly as it was hashed.
		all, _, err := s.FindAuditEvents(ctx, dost.AuditFilter{Offset: 9})
		ok(t, err)
		first := all[0]
		if first.Seq != 1 || !first.Time.Equal(e.Time) || first.Hash != e.Hash || first.ChainHash(first.PrevHash) != e.Hash ||
			fmt.Sprint(first.ActorRoles) != "[caseworker operator]" || fmt.Sprint(first.ActorCentreIDs) != "[1 3]" {
			t.Fatalf("read back: got %+v, want %+v", first, e)
		}

		actor, read := int64(7), dost.AuditRead
		got, total, err = s.FindAuditEvents(ctx, dost.AuditFilter{ActorID: &actor, Action: &read})
		ok(t, err)
		if total != 1 || got[0].PersonID != 42 {
			t.Fatalf("by actor: got %d events", total)
		}
		views, total, err := s.ViewsOfPerson(ctx, 42, 0, 10)
		ok(t, err)
		if total != 1 || views[0].Reason != "phone call from the citizen" {
			t.Fatalf("views of 42: got %d", total)
		}
		now := dosttest.ClockOf(t, db).Now()
		from, to := now.Add(-time.Minute), now.Add(time.Minute)
		_, total, err = s.FindAuditEvents(ctx, dost.AuditFilter{From: &from, To: &to})
		ok(t, err)
		if total != 10 {
			t.Fatalf("in time range: got %d, want 10", total)
		}
		_, total, err = s.FindAuditEvents(ctx, dost.AuditFilter{To: &from})
		ok(t, err)
		if total != 0 {
			t.Fatalf("before the range: got %d, want 0", total)
		}
		reason, err := s.RecentReason(ctx, 7, 42, time.Hour)
		ok(t, err)
		if reason != "phone call from the citizen" {
			t.Fatalf("recent reason: got %q", reason)
		}
		if reason, _ := s.RecentReason(ctx, 8, 42, time.Hour); reason != "" {
			t.Fatalf("another actor's reason: got %q, want none", reason)
		}

		t.Run("ErrActionInvalid", func(t *testing.T) {
			mustCode(t, s.Record(ctx, auditEvent(1, 1, "peek")), dost.EINVALID)
		})
		t.Run("ByFIN", func(t *testing.T) {
			p := person("5AUD1T7", "Leyla", "Aliyeva", "1980-02-03")
			createPersons(t, db, p)
			ok(t, s.Record(ctx, auditEvent(1, p.ID, dost.AuditRead)))
			fin, unknown := p.FIN, dost.FIN("0000000")
			got, total, err := s.FindAuditEvents(ctx, dost.AuditFilter{PersonFIN: &fin})
			ok(t, err)
			_, want, err := s.FindAuditEvents(ctx, dost.AuditFilter{PersonID: &p.ID})
			ok(t, err)
			if total == 0 || total != want || got[0].PersonID != p.ID {
				t.Fatalf("by FIN: got %d, want the %d of person %d", total, want, p.ID)
			}
			_, total, err = s.FindAuditEvents(ctx, dost.AuditFilter{PersonFIN: &unknown})
			ok(t, err)
			if total != 0 {
				t.Fatalf("unknown FIN: got %d, want 0", total)
			}
		})
	})
}

func TestAuditStore_AppendOnly(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewAuditStore(db)
		appendEvents(t, s, 3)
		for _, q := range []string{
			`UPDATE audit_events SET reason = 'x' WHERE seq = 2`,
			`DELETE FROM audit_events WHERE seq = 3`,
			`DELETE FROM audit_chain`,
			`UPDATE audit_chain SET seq = 1`,
		} {
			if _, err := db.WriterDB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "audit") {
				t.Errorf("%s: got %v, want the trigger's refusal", q, err)
			}
		}
		if db.Dialect() == sqlstore.DialectPostgres {
			if _, err := db.WriterDB().ExecContext(ctx, `TRUNCATE audit_events`); err == nil {
				t.Errorf("truncate: got no error")
			}
		}
		mustVerify(t, s, 3)
	})
}

func TestAuditStore_ConcurrentAppends(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		// Two stores, like two nodes: the chain head orders them too.
		stores := []*sqlstore.AuditStore{sqlstore.NewAuditStore(db), sqlstore.NewAuditStore(db)}
		const goroutines, each = 40, 10
		var wg sync.WaitGroup
		errs := make(chan error, goroutines*each)
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					if err := stores[g%2].Record(ctx, auditEvent(int64(g+1), int64(i+1), dost.AuditCreate)); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		mustVerify(t, stores[0], goroutines*each)
	})
}

// disableAuditTriggers lets a test tamper with the trail, as someone with
// the database's owner rights could.
func disableAuditTriggers(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	qs := []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`, `DROP TRIGGER audit_chain_no_rewind`}
	if db.Dialect() == sqlstore.DialectPostgres {
		qs = []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`, `ALTER TABLE audit_chain DISABLE TRIGGER USER`}
	}
	for _, q := range qs {
		if _, err := db.WriterDB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditStore_Tampering(t *testing.T) {
	// Each case tampers with a chain of 10 events and names the first
	// broken seq Verify must report.
	cases := []struct {
		name   string
		sql    func(s *sqlstore.AuditStore) []string
		broken int64
		reason string
	}{
		{"FieldChanged", func(*sqlstore.AuditStore) []string {
			return []string{`UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 4`}
		}, 4, "its hash differs"},
		{"PersonChanged", func(*sqlstore.AuditStore) []string {
			return []string{`UPDATE audit_events SET person_id = 999 WHERE seq = 7`}
		}, 7, "its hash differs"},
		{"RowDeleted", func(*sqlstore.AuditStore) []string {
			return []string{`DELETE FROM audit_events WHERE seq = 5`}
		}, 5, "seq 5 is missing"},
		{"TailDeleted", func(*sqlstore.AuditStore) []string {
			return []string{`DELETE FROM audit_events WHERE seq >= 9`}
		}, 9, "seq 9 is missing"},
		{"Renumbered", func(*sqlstore.AuditStore) []string {
			// seq 5 removed and the later ones moved down to hide the gap.
			qs := []string{`DELETE FROM audit_events WHERE seq = 5`}
			for i := 6; i <= 10; i++ {
				qs = append(qs, fmt.Sprintf(`UPDATE audit_events SET seq = %d WHERE seq = %d`, i-1, i))
			}
			return append(qs, `UPDATE audit_chain SET seq = 9`)
		}, 5, "prev_hash differs from the hash of seq 4"},
		{"RehashedWithoutSuccessors", nil, 4, "prev_hash differs from the hash of seq 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
				s := sqlstore.NewAuditStore(db)
				appendEvents(t, s, 10)
				mustVerify(t, s, 10)
				disableAuditTriggers(t, db)
				var qs []string
				if tc.sql != nil {
					qs = tc.sql(s)
				} else {
					qs = rehash(t, s, 3)
				}
				for _, q := range qs {
					if _, err := db.WriterDB().ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				c, err := s.Verify(ctx)
				ok(t, err)
				if c.OK() || c.Broken.Seq != tc.broken || !strings.Contains(c.Broken.Reason, tc.reason) {
					t.Fatalf("verify: got %+v, want seq %d broken: %s", c.Broken, tc.broken, tc.reason)
				}
			})
		})
	}
}

// rehash returns the statements that change event seq's reason and give
// it the hash of its new fields, leaving the events after it alone.
func rehash(t *testing.T, s *sqlstore.AuditStore, seq int) []string {
	t.Helper()
	evs, _, err := s.FindAuditEvents(ctx, dost.AuditFilter{})
	ok(t, err)
	var e *dost.AuditEvent
	for _, x := range evs {
		if x.Seq == int64(seq) {
			e = x
		}
	}
	e.Reason = "rewritten"
	return []string{fmt.Sprintf(`UPDATE audit_events SET reason = 'rewritten', hash = '%s' WHERE seq = %d`, e.ChainHash(e.PrevHash), seq)}
}

func TestAuditStore_PersonScope(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewAuditStore(db)
		saveServices(t, db)
		centres := sqlstore.NewCentreService(db)
		nizami := centre("nizami", "05-04-02-00") // Baku, Nizami
		ganja := centre("ganja", "05-04-02-00")
		ganja.Region, ganja.District = "Ganja-Dashkasan", "Ganja"
		ok(t, centres.CreateCentre(ctx, nizami))
		ok(t, centres.CreateCentre(ctx, ganja))
		local := person("1LOCAL1", "Aysel", "Mammadova", "1970-01-01") // lives in Nizami
		applied := person("2APPLY2", "Rauf", "Hasanov", "1960-05-05")
		applied.Region, applied.District = "Sumgait", "Sumgait"
		booked := person("3BOOK33", "Nigar", "Quliyeva", "1990-07-07")
		booked.Region, booked.District = "Sumgait", "Sumgait"
		stranger := person("4STRAN4", "Elnur", "Aliyev", "1985-03-03")
		stranger.Region, stranger.District = "Sumgait", "Sumgait"
		createPersons(t, db, local, applied, booked, stranger)
		w := db.WriterDB()
		ts := "2026-11-16T05:30:00.000000000Z"
		var err error
		if db.Dialect() == sqlstore.DialectPostgres {
			_, err = w.ExecContext(ctx, `INSERT INTO applications (number, person_id, service_code, centre_id, channel, status, period,
				submitted_on, deadline, submitted_at, updated_at) VALUES ('A-1', $1, '05-04-02-00', $2, 'centre', 'submitted', '2026-11',
				'2026-11-16', '2026-11-30', now(), now())`, applied.ID, ganja.ID)
			if err == nil {
				_, err = w.ExecContext(ctx, `INSERT INTO appointments (code, centre_id, service_code, starts_at, ends_at, seat, person_id,
					language, channel, status, booked_at, updated_at) VALUES ('C1', $1, '05-04-02-00', now(), now(), 1, $2, 'az', 'portal',
					'booked', now(), now())`, ganja.ID, booked.ID)
			}
		} else {
			_, err = w.ExecContext(ctx, `INSERT INTO applications (number, person_id, service_code, centre_id, channel, status, period,
				submitted_on, deadline, submitted_at, updated_at) VALUES ('A-1', $1, '05-04-02-00', $2, 'centre', 'submitted', '2026-11',
				'2026-11-16', '2026-11-30', $3, $3)`, applied.ID, ganja.ID, ts)
			if err == nil {
				_, err = w.ExecContext(ctx, `INSERT INTO appointments (code, centre_id, service_code, starts_at, ends_at, seat, person_id,
					language, channel, status, booked_at, updated_at) VALUES ('C1', $1, '05-04-02-00', $2, $2, 1, $3, 'az', 'portal',
					'booked', $2, $2)`, ganja.ID, ts, booked.ID)
			}
		}
		ok(t, err)
		var appID int64
		ok(t, w.QueryRowContext(ctx, `SELECT id FROM applications WHERE number = 'A-1'`).Scan(&appID))

		for _, tc := range []struct {
			p       *dost.Person
			centres []int64
			want    bool
		}{
			{local, []int64{nizami.ID}, true},
			{local, []int64{ganja.ID}, false},
			{applied, []int64{ganja.ID}, true},
			{applied, []int64{nizami.ID}, false},
			{booked, []int64{nizami.ID, ganja.ID}, true},
			{stranger, []int64{nizami.ID, ganja.ID}, false},
			{stranger, nil, true}, // unscoped staff
		} {
			id, of, err := s.PersonScope(ctx, tc.p.FIN, tc.centres)
			ok(t, err)
			if id != tc.p.ID || of != tc.want {
				t.Errorf("%s of %v: got id %d, %v; want %d, %v", tc.p.FIN, tc.centres, id, of, tc.p.ID, tc.want)
			}
		}
		if id, of, err := s.PersonScope(ctx, "9NOONE9", []int64{nizami.ID}); err != nil || id != 0 || !of {
			t.Errorf("unknown person: got %d, %v, %v; want 0, true", id, of, err)
		}
		id, of, err := s.ApplicationScope(ctx, appID, []int64{ganja.ID})
		ok(t, err)
		if id != applied.ID || !of {
			t.Errorf("application scope: got %d, %v", id, of)
		}
		if _, of, _ := s.ApplicationScope(ctx, appID, []int64{nizami.ID}); of {
			t.Errorf("application at Ganja, of Nizami: got true")
		}
	})
}

// BenchmarkAuditRecord measures appends: one caller at a time, and many
// at once (group commit), on each database.
func BenchmarkAuditRecord(b *testing.B) {
	for _, d := range dosttest.Dialects() {
		b.Run(d+"/serial", func(b *testing.B) {
			s := sqlstore.NewAuditStore(dosttest.OpenDB(b, d))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if err := s.Record(ctx, auditEvent(1, int64(i%100+1), dost.AuditRead)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
		b.Run(d+"/parallel", func(b *testing.B) {
			s := sqlstore.NewAuditStore(dosttest.OpenDB(b, d))
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Record(ctx, auditEvent(1, 1, dost.AuditRead)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}
