package sqlstore_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/pressly/goose/v3"
)

// migrateTo applies the migrations of db's dialect up to version, as a
// database that was last migrated by an older dost. It reads the
// migration files of the source tree, which the binary embeds.
func migrateTo(t *testing.T, db *sqlstore.DB, version int64) {
	t.Helper()
	dialect := goose.DialectSQLite3
	if db.Dialect() == sqlstore.DialectPostgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db.WriterDB(), os.DirFS(filepath.Join("migrations", db.Dialect())),
		goose.WithDisableGlobalRegistry(true))
	ok(t, err)
	_, err = p.UpTo(ctx, version)
	ok(t, err)
	got, err := p.GetDBVersion(ctx)
	ok(t, err)
	if got != version {
		t.Fatalf("schema version: got %d, want %d", got, version)
	}
}

// sqlText returns s as an SQL string literal.
func sqlText(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestMigrate_EventSource migrates a database holding life events as
// version 5 stored them (known by id alone) to the latest version
// (00006_event_source: known by source and id, with a content hash) and
// checks that every event survived as it was, that the new key holds, and
// that the old one no longer does. No table refers to life_events, so the
// events are all there is to carry over.
func TestMigrate_EventSource(t *testing.T) {
	received := time.Date(2026, time.November, 10, 5, 30, 0, 123456000, time.UTC) // PostgreSQL keeps microseconds
	processed := received.Add(2 * time.Second)
	events := []*dost.LifeEvent{
		{ID: "civil:b1", Kind: dost.EventBirthRegistered, FIN: "1NEW001", Date: dost.MustDate("2026-11-09"),
			Birth:  &dost.BirthFacts{FirstName: "Nuray", LastName: "Həsənova", Sex: dost.SexFemale, MotherFIN: "CAS0001"},
			Source: "civil-registry", Status: dost.EventProcessed, ReceivedAt: received, ProcessedAt: &processed,
			Outcome: []dost.LifeEventEffect{{Kind: "person_added", PersonID: 41}, {Kind: "award_made", PersonID: 1, Programme: "birth_allowance", AwardID: 7}}},
		{ID: "emp-77", Kind: dost.EventEmploymentEnded, FIN: "CAS0002", Date: dost.MustDate("2026-11-01"),
			Employment: &dost.EmploymentFacts{Reason: dost.DismissalStaffCut, EmployerTIN: "1234567891"},
			Source:     "employment-registry", Status: dost.EventFailed, Error: "person CAS0002 not found", ReceivedAt: received.Add(time.Minute),
			ProcessedAt: &processed},
		{ID: "tick-2026-11-10", Kind: dost.EventDateChanged, Date: dost.MustDate("2026-11-10"),
			Source: "dost", Status: dost.EventReceived, ReceivedAt: received.Add(time.Hour)},
		// Before sources were recorded, an event could have none.
		{ID: "old-1", Kind: dost.EventDeathRegistered, FIN: "CAS0003", Date: dost.MustDate("2025-01-02"),
			Status: dost.EventProcessed, ReceivedAt: received.AddDate(-1, 0, 0), ProcessedAt: &processed},
	}
	const stamp = "2006-01-02T15:04:05.000000000Z"

	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			db, err := sqlstore.Open(ctx, dosttest.DSN(t, dialect), sqlstore.Options{
				Clock: dosttest.NewClock(dosttest.DefaultNow), PasswordParams: dosttest.PasswordParams})
			ok(t, err)
			defer db.Close()
			migrateTo(t, db, 5)

			// insert stores e the way version 5 did, or returns the error.
			insert := func(e *dost.LifeEvent) error {
				payload, err := json.Marshal(struct {
					Birth      *dost.BirthFacts      `json:"birth,omitempty"`
					Employment *dost.EmploymentFacts `json:"employment,omitempty"`
				}{e.Birth, e.Employment})
				ok(t, err)
				outcome, processedAt := "NULL", "NULL"
				if e.Outcome != nil {
					b, err := json.Marshal(e.Outcome)
					ok(t, err)
					outcome = sqlText(string(b))
				}
				if e.ProcessedAt != nil {
					processedAt = sqlText(e.ProcessedAt.UTC().Format(stamp))
				}
				_, err = db.WriterDB().ExecContext(ctx, `INSERT INTO life_events (id, kind, fin, date, payload, status,
					outcome, error, source, received_at, processed_at) VALUES (`+strings.Join([]string{
					sqlText(e.ID), sqlText(string(e.Kind)), sqlText(string(e.FIN)), sqlText(e.Date.String()),
					sqlText(string(payload)), sqlText(string(e.Status)), outcome,
					sqlText(e.Error), sqlText(e.Source), sqlText(e.ReceivedAt.UTC().Format(stamp)), processedAt}, ", ")+`)`)
				return err
			}
			for _, e := range events {
				ok(t, insert(e))
			}
			// Version 5's key: one event per ID, whatever its source.
			if err := insert(&dost.LifeEvent{ID: "civil:b1", Kind: dost.EventDateChanged, Date: dost.MustDate("2026-11-10"),
				Source: "other-registry", Status: dost.EventReceived, ReceivedAt: received}); err == nil {
				t.Fatal("version 5 stored a second event civil:b1; want the old key to refuse it")
			}

			ok(t, db.Migrate(ctx))
			ok(t, db.CheckMigrated(ctx))

			s := sqlstore.NewProactiveStore(db)
			for _, want := range events {
				got, err := s.FindEventByID(ctx, want.Source, want.ID)
				if err != nil {
					t.Errorf("event %s of %q: %v", want.ID, want.Source, err)
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("event %s:\ngot  %+v\nwant %+v", want.ID, got, want)
				}
			}
			if n := countRows(t, db, "life_events"); n != len(events) {
				t.Fatalf("got %d events, want %d", n, len(events))
			}

			t.Run("NewKey", func(t *testing.T) {
				// One ID from two sources is two events.
				other := &dost.LifeEvent{ID: "civil:b1", Kind: dost.EventDateChanged, Date: dost.MustDate("2026-11-10"),
					Source: "other-registry", Status: dost.EventReceived, ReceivedAt: received}
				ok(t, insert(other))
				got, err := s.FindEventsByID(ctx, "civil:b1")
				ok(t, err)
				if len(got) != 2 || got[0].Source != "civil-registry" || got[1].Source != "other-registry" {
					t.Fatalf("got %d events civil:b1, want civil-registry's and other-registry's", len(got))
				}
				// One source and ID twice is refused by the table, and
				// CreateEvent returns the event stored.
				if err := insert(other); err == nil {
					t.Fatal("stored other-registry's civil:b1 twice; want the key (source, id) to refuse it")
				}
				again := *events[0]
				again.Status, again.Outcome, again.ProcessedAt = dost.EventReceived, nil, nil
				stored, created, err := s.CreateEvent(ctx, &again)
				ok(t, err)
				if created || stored.Status != dost.EventProcessed || len(stored.Outcome) != 2 {
					t.Fatalf("CreateEvent of a migrated event: got created=%v, %+v; want the migrated event", created, stored)
				}
				if n := countRows(t, db, "life_events"); n != len(events)+1 {
					t.Fatalf("got %d events, want %d", n, len(events)+1)
				}
			})
		})
	}
}
