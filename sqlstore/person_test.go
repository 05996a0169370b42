package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// person returns a valid person to create.
func person(fin, first, last, birth string) *dost.Person {
	return &dost.Person{FIN: dost.FIN(fin), FirstName: first, LastName: last, Patronymic: "Vaqif qızı",
		BirthDate: dost.MustDate(birth), Sex: dost.SexFemale, Phone: "+994501234567", Region: "Baku",
		District: "Nizami", Address: "Qara Qarayev 12, m. 5"}
}

// createPersons stores persons and fails the test on error.
func createPersons(t *testing.T, db *sqlstore.DB, ps ...*dost.Person) {
	t.Helper()
	s := sqlstore.NewPersonService(db)
	for _, p := range ps {
		if err := s.CreatePerson(ctx, p); err != nil {
			t.Fatalf("create %s: %v", p.FIN, err)
		}
	}
}

func TestPersonService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewPersonService(db)

		t.Run("OK", func(t *testing.T) {
			p := person(" 5abc7d1 ", " Aysel ", "Məmmədova", "1990-03-15")
			ok(t, s.CreatePerson(ctx, p))
			if p.ID == 0 || p.FIN != "5ABC7D1" || p.FirstName != "Aysel" || p.Status != dost.PersonAlive || p.Language != "az" {
				t.Fatalf("created: got id=%d fin=%q first=%q status=%q lang=%q, want an id and normalised fields",
					p.ID, p.FIN, p.FirstName, p.Status, p.Language)
			}
			if !p.CreatedAt.Equal(dosttest.DefaultNow) {
				t.Errorf("created at: got %v, want %v", p.CreatedAt, dosttest.DefaultNow)
			}
			got, err := s.FindPersonByID(ctx, p.ID)
			ok(t, err)
			if got.FIN != p.FIN || got.FullName() != "Məmmədova Aysel Vaqif qızı" || got.BirthDate != p.BirthDate ||
				got.Address != p.Address || !got.CreatedAt.Equal(p.CreatedAt) || !got.DeathDate.IsZero() {
				t.Fatalf("found: got %+v, want %+v", got, p)
			}
			got, err = s.FindPersonByFIN(ctx, "5ABC7D1")
			ok(t, err)
			if got.ID != p.ID {
				t.Fatalf("by FIN: got id %d, want %d", got.ID, p.ID)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.FindPersonByID(ctx, 999999)
			mustCode(t, err, dost.ENOTFOUND)
			_, err = s.FindPersonByFIN(ctx, "ZZZZZZZ")
			mustCode(t, err, dost.ENOTFOUND)
			_, err = s.UpdatePerson(ctx, "ZZZZZZZ", dost.PersonUpdate{})
			mustCode(t, err, dost.ENOTFOUND)
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			p := person("12", "", "X", "2099-01-01")
			err := s.CreatePerson(ctx, p)
			mustCode(t, err, dost.EINVALID)
			if got := len(dost.ErrorFields(err)); got < 3 {
				t.Errorf("fields: got %d, want at least 3 (fin, first_name, birth_date)", got)
			}
		})

		t.Run("ErrDuplicateFIN", func(t *testing.T) {
			ok(t, s.CreatePerson(ctx, person("DUP0001", "A", "B", "1980-01-01")))
			err := s.CreatePerson(ctx, person("dup0001", "C", "D", "1981-01-01"))
			mustCode(t, err, dost.ECONFLICT)
		})

		t.Run("Update", func(t *testing.T) {
			ok(t, s.CreatePerson(ctx, person("UPD0001", "Rəşad", "Quliyev", "1975-06-01")))
			dosttest.ClockOf(t, db).Advance(time.Hour)
			defer dosttest.ClockOf(t, db).Advance(-time.Hour)
			status, death, last := dost.PersonDeceased, dost.MustDate("2026-01-02"), "Əliyev"
			got, err := s.UpdatePerson(ctx, "UPD0001", dost.PersonUpdate{Status: &status, DeathDate: &death, LastName: &last})
			ok(t, err)
			if got.Status != status || got.DeathDate != death || got.LastName != last || !got.UpdatedAt.After(got.CreatedAt) {
				t.Fatalf("updated: got %+v", got)
			}
			again, err := s.FindPersonByFIN(ctx, "UPD0001")
			ok(t, err)
			if again.DeathDate != death || again.LastName != last {
				t.Fatalf("stored: got death %v last %q, want %v %q", again.DeathDate, again.LastName, death, last)
			}
			// Searching uses the new name.
			name := "əli"
			_, n, err := s.FindPersons(ctx, dost.PersonFilter{Name: &name, FIN: &again.FIN})
			ok(t, err)
			if n != 1 {
				t.Errorf("search by new name: got %d, want 1", n)
			}
		})

		t.Run("ErrUpdateInvalid", func(t *testing.T) {
			ok(t, s.CreatePerson(ctx, person("UPD0002", "A", "B", "1975-06-01")))
			status := dost.PersonDeceased
			_, err := s.UpdatePerson(ctx, "UPD0002", dost.PersonUpdate{Status: &status})
			mustCode(t, err, dost.EINVALID)
		})
	})
}

func TestPersonService_FindPersons(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewPersonService(db)
		createPersons(t, db,
			person("AAA0001", "Şahin", "Əliyev", "1980-01-01"),
			person("AAA0002", "Aysel", "Əliyeva", "1985-02-02"),
			person("AAB0003", "Orxan", "Həsənov", "1980-01-01"),
			person("BBB0004", "Əli", "Zeynalov", "1990-05-05"),
			person("BBB0005", "Leyla", "Abbasova", "2001-07-07"),
		)
		fins := func(ps []*dost.Person) string {
			var out []string
			for _, p := range ps {
				out = append(out, string(p.FIN))
			}
			return fmt.Sprint(out)
		}
		str := func(s string) *string { return &s }
		date := dost.MustDate("1980-01-01")
		for _, tc := range []struct {
			name   string
			filter dost.PersonFilter
			want   string
			total  int
		}{
			{"All", dost.PersonFilter{}, "[BBB0005 AAB0003 BBB0004 AAA0001 AAA0002]", 5},
			{"FINPrefix", dost.PersonFilter{FINPrefix: str("aa")}, "[AAB0003 AAA0001 AAA0002]", 3},
			{"FINPrefixNone", dost.PersonFilter{FINPrefix: str("C")}, "[]", 0},
			// Lower-case "ə" finds "Ə": Go lower-cases what SQLite's lower() does not.
			{"NameLast", dost.PersonFilter{Name: str("əli")}, "[BBB0004 AAA0001 AAA0002]", 3},
			{"NameCase", dost.PersonFilter{Name: str("ƏLIYEVA")}, "[AAA0002]", 1},
			{"NameFirst", dost.PersonFilter{Name: str("ORX")}, "[AAB0003]", 1},
			{"NamePatronymic", dost.PersonFilter{Name: str("VAQİF")}, "[BBB0005 AAB0003 BBB0004 AAA0001 AAA0002]", 5},
			{"BirthDate", dost.PersonFilter{BirthDate: &date}, "[AAB0003 AAA0001]", 2},
			{"Page", dost.PersonFilter{Offset: 1, Limit: 2}, "[AAB0003 BBB0004]", 5},
			{"PageBeyond", dost.PersonFilter{Offset: 10}, "[]", 5},
			{"Combined", dost.PersonFilter{FINPrefix: str("AA"), BirthDate: &date, Name: str("h")}, "[AAB0003]", 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ps, n, err := s.FindPersons(ctx, tc.filter)
				ok(t, err)
				if got := fins(ps); got != tc.want || n != tc.total {
					t.Fatalf("got %s (total %d), want %s (total %d)", got, n, tc.want, tc.total)
				}
			})
		}
		t.Run("DotlessI", func(t *testing.T) {
			createPersons(t, db, person("CCC0006", "İlkin", "Işıqlı", "1999-09-09"))
			for _, q := range []string{"IŞIQ", "işıq", "işiq", "ilk", "İLK"} {
				ps, _, err := s.FindPersons(ctx, dost.PersonFilter{Name: &q})
				ok(t, err)
				if len(ps) != 1 || ps[0].FIN != "CCC0006" {
					t.Errorf("name %q: got %s, want [CCC0006]", q, fins(ps))
				}
			}
		})
		t.Run("LimitCapped", func(t *testing.T) {
			var more []*dost.Person
			for i := range 560 {
				more = append(more, person(fmt.Sprintf("L%06d", i), "Kamran", "Limitov", "1970-01-01"))
			}
			ok(t, sqlstore.NewRegistryImporter(db).Import(ctx, &dost.ImportBatch{Persons: more}))
			ps, n, err := s.FindPersons(ctx, dost.PersonFilter{Limit: 100000})
			ok(t, err)
			if len(ps) != 500 || n != 566 {
				t.Fatalf("got %d persons (total %d), want 500 (total 566)", len(ps), n)
			}
			ps, _, err = s.FindPersons(ctx, dost.PersonFilter{})
			ok(t, err)
			if len(ps) != 50 {
				t.Fatalf("default page: got %d, want 50", len(ps))
			}
		})
		t.Run("FullName", func(t *testing.T) {
			createPersons(t, db, person("DDD0007", "Aqil", "Abbasov", "1975-04-04"),
				person("DDD0008", "Aysel", "Məmmədova", "1992-06-06"), person("DDD0009", "Aqil", "Məmmədov", "1960-06-06"))
			for q, want := range map[string]string{
				"Abbasov Aqil":      "[DDD0007]",
				"aqil abbasov":      "[DDD0007]",
				"  ABBASOV   aq  ":  "[DDD0007]",
				"Məmmədova Aysel":   "[DDD0008]",
				"məmmədov":          "[DDD0009 DDD0008]",
				"Aqil":              "[DDD0007 DDD0009]",
				"Aqil Vaqif":        "[DDD0007 DDD0009]", // the patronymic
				"Abbasov Zzz":       "[]",
				"Abbasov Aysel":     "[]",
				"a a a a a a a a a": "[]", // more words than any name has
			} {
				ps, n, err := s.FindPersons(ctx, dost.PersonFilter{Name: &q})
				ok(t, err)
				if got := fins(ps); got != want || n != len(ps) {
					t.Errorf("name %q: got %s (total %d), want %s", q, got, n, want)
				}
			}
		})
	})
}

// TestPersonService_Concurrent creates the same FIN from many goroutines:
// exactly one may succeed, the others get ECONFLICT.
func TestPersonService_Concurrent(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewPersonService(db)
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = s.CreatePerson(ctx, person("RACE001", fmt.Sprint("P", i), "Racer", "1990-01-01"))
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch dost.ErrorCode(err) {
			case "":
				created++
			case dost.ECONFLICT:
			default:
				t.Errorf("got error %v, want nil or a conflict", err)
			}
		}
		if created != 1 {
			t.Fatalf("created: got %d, want 1", created)
		}
	})
}
