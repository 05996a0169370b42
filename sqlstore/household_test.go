package sqlstore_test

import (
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

func TestHouseholdService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewHouseholdService(db)
		head, wife, child, other, lone := person("HHH0001", "Elvin", "Kərimov", "1980-01-01"),
			person("HHH0002", "Nigar", "Kərimova", "1982-01-01"), person("HHH0003", "Murad", "Kərimov", "2015-01-01"),
			person("HHH0004", "Sevda", "Nəsirova", "1950-01-01"), person("HHH0005", "Tural", "Tək", "1995-01-01")
		createPersons(t, db, head, wife, child, other, lone)

		h := &dost.Household{Code: "HH00000001", Region: "Baku", District: "Nizami", Address: "Qara Qarayev 12",
			Members: []*dost.HouseholdMember{
				{FIN: head.FIN, Role: dost.RoleHead},
				{PersonID: wife.ID, Role: dost.RoleSpouse},
				{FIN: child.FIN, Role: dost.RoleChild},
			}}
		t.Run("OK", func(t *testing.T) {
			ok(t, s.CreateHousehold(ctx, h))
			if h.ID == 0 || h.Members[1].FIN != wife.FIN || h.Members[0].PersonID != head.ID {
				t.Fatalf("created: got id %d, members %+v %+v; want an id and resolved members", h.ID, h.Members[0], h.Members[1])
			}
			got, err := s.FindHouseholdByID(ctx, h.ID)
			ok(t, err)
			if got.Code != h.Code || len(got.Members) != 3 || got.Head().FIN != head.FIN {
				t.Fatalf("found: got %+v, want 3 members headed by %s", got, head.FIN)
			}
			for _, m := range got.Members {
				if m.Person == nil || m.Person.FIN != m.FIN {
					t.Fatalf("member %s: got person %+v, want its record", m.FIN, m.Person)
				}
			}
		})
		t.Run("Find", func(t *testing.T) {
			code := "HH00000001"
			for _, f := range []dost.HouseholdFilter{{Code: &code}, {PersonID: &child.ID}, {ID: &h.ID}} {
				hs, n, err := s.FindHouseholds(ctx, f)
				ok(t, err)
				if n != 1 || len(hs) != 1 || hs[0].ID != h.ID || len(hs[0].Members) != 3 || hs[0].Members[0].Person != nil {
					t.Fatalf("filter %+v: got %d (%+v), want the one household with members without persons", f, n, hs)
				}
			}
			hs, n, err := s.FindHouseholds(ctx, dost.HouseholdFilter{PersonID: &lone.ID})
			ok(t, err)
			if n != 0 || len(hs) != 0 {
				t.Fatalf("lone person: got %d households, want 0", n)
			}
			// Persons filter by household.
			ps, n, err := sqlstore.NewPersonService(db).FindPersons(ctx, dost.PersonFilter{HouseholdID: &h.ID})
			ok(t, err)
			if n != 3 || len(ps) != 3 {
				t.Fatalf("persons of household: got %d, want 3", n)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.FindHouseholdByID(ctx, 424242)
			mustCode(t, err, dost.ENOTFOUND)
			mustCode(t, s.AddHouseholdMember(ctx, 424242, &dost.HouseholdMember{FIN: lone.FIN, Role: dost.RoleOther}), dost.ENOTFOUND)
			mustCode(t, s.RemoveHouseholdMember(ctx, h.ID, lone.ID), dost.ENOTFOUND)
		})
		t.Run("ErrDuplicateCode", func(t *testing.T) {
			err := s.CreateHousehold(ctx, &dost.Household{Code: "HH00000001", Members: []*dost.HouseholdMember{{FIN: lone.FIN, Role: dost.RoleHead}}})
			mustCode(t, err, dost.ECONFLICT)
		})
		t.Run("ErrMemberElsewhere", func(t *testing.T) {
			err := s.CreateHousehold(ctx, &dost.Household{Code: "HH00000002", Members: []*dost.HouseholdMember{
				{FIN: lone.FIN, Role: dost.RoleHead}, {FIN: child.FIN, Role: dost.RoleChild}}})
			mustConflictField(t, err, "members[1].fin")
			// Nothing of the failed household was stored.
			code := "HH00000002"
			_, n, err := s.FindHouseholds(ctx, dost.HouseholdFilter{Code: &code})
			ok(t, err)
			if n != 0 {
				t.Fatalf("households: got %d, want 0", n)
			}
			mustConflictField(t, s.AddHouseholdMember(ctx, h.ID, &dost.HouseholdMember{FIN: child.FIN, Role: dost.RoleOther}), "fin")
		})
		t.Run("ErrUnknownMember", func(t *testing.T) {
			err := s.CreateHousehold(ctx, &dost.Household{Code: "HH00000003", Members: []*dost.HouseholdMember{{FIN: "NOSUCH1", Role: dost.RoleHead}}})
			mustCode(t, err, dost.EINVALID)
			mustCode(t, s.AddHouseholdMember(ctx, h.ID, &dost.HouseholdMember{FIN: "NOSUCH1", Role: dost.RoleOther}), dost.EINVALID)
		})
		t.Run("ErrTwoHeads", func(t *testing.T) {
			err := s.CreateHousehold(ctx, &dost.Household{Code: "HH00000004", Members: []*dost.HouseholdMember{
				{FIN: lone.FIN, Role: dost.RoleHead}, {FIN: other.FIN, Role: dost.RoleHead}}})
			mustCode(t, err, dost.EINVALID)
			mustCode(t, s.AddHouseholdMember(ctx, h.ID, &dost.HouseholdMember{FIN: other.FIN, Role: dost.RoleHead}), dost.ECONFLICT)
		})
		t.Run("AddRemove", func(t *testing.T) {
			ok(t, s.AddHouseholdMember(ctx, h.ID, &dost.HouseholdMember{FIN: other.FIN, Role: dost.RoleParent}))
			got, err := s.FindHouseholdByID(ctx, h.ID)
			ok(t, err)
			if len(got.Members) != 4 {
				t.Fatalf("members: got %d, want 4", len(got.Members))
			}
			mustCode(t, s.RemoveHouseholdMember(ctx, h.ID, head.ID), dost.ECONFLICT)
			ok(t, s.RemoveHouseholdMember(ctx, h.ID, other.ID))
			got, err = s.FindHouseholdByID(ctx, h.ID)
			ok(t, err)
			if len(got.Members) != 3 {
				t.Fatalf("members: got %d, want 3", len(got.Members))
			}
		})
	})
}

func TestRecordService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewRecordService(db)
		p, q := person("REC0001", "Anar", "Rəhimov", "1965-04-04"), person("REC0002", "Samir", "Cəfərov", "1970-04-04")
		createPersons(t, db, p, q)
		date := dost.MustDate

		t.Run("InsurancePeriods", func(t *testing.T) {
			for _, ip := range []*dost.InsurancePeriod{
				{PersonID: p.ID, Employer: "SOCAR", EmployerTIN: "1234567890", From: date("2000-01-01"), To: date("2009-12-31"), MonthlyWage: dost.AZN(800)},
				{PersonID: p.ID, Employer: "Azercell", From: date("2010-01-01"), MonthlyWage: dost.AZN(1500)},
				{PersonID: q.ID, Employer: "Bakı Metropoliteni", From: date("1995-01-01"), MonthlyWage: 45050},
			} {
				ok(t, s.CreateInsurancePeriod(ctx, ip))
				if ip.ID == 0 {
					t.Fatal("id: got 0, want an id")
				}
			}
			ps, n, err := s.FindInsurancePeriods(ctx, dost.RecordFilter{PersonID: &p.ID})
			ok(t, err)
			if n != 2 || ps[0].Employer != "SOCAR" || ps[0].To != date("2009-12-31") || ps[1].MonthlyWage != dost.AZN(1500) || !ps[1].To.IsZero() {
				t.Fatalf("got %d: %+v %+v", n, ps[0], ps[1])
			}
			for on, want := range map[string]string{"2005-06-01": "SOCAR", "2009-12-31": "SOCAR", "2020-01-01": "Azercell"} {
				d := date(on)
				ps, n, err := s.FindInsurancePeriods(ctx, dost.RecordFilter{PersonID: &p.ID, On: &d})
				ok(t, err)
				if n != 1 || ps[0].Employer != want {
					t.Errorf("on %s: got %d periods (%v), want %s", on, n, ps, want)
				}
			}
			d := date("1999-01-01")
			_, n, err = s.FindInsurancePeriods(ctx, dost.RecordFilter{On: &d})
			ok(t, err)
			if n != 1 {
				t.Errorf("on 1999 across persons: got %d, want 1", n)
			}
			ps, n, err = s.FindInsurancePeriods(ctx, dost.RecordFilter{Offset: 1, Limit: 1})
			ok(t, err)
			if n != 3 || len(ps) != 1 || ps[0].Employer != "SOCAR" {
				t.Errorf("page: got %d of %d, want SOCAR of 3", len(ps), n)
			}
		})
		t.Run("ErrInsuranceUnknownPerson", func(t *testing.T) {
			err := s.CreateInsurancePeriod(ctx, &dost.InsurancePeriod{PersonID: 999999, Employer: "X", From: date("2000-01-01")})
			mustCode(t, err, dost.ENOTFOUND)
			mustCode(t, s.CreateInsurancePeriod(ctx, &dost.InsurancePeriod{PersonID: p.ID}), dost.EINVALID)
		})

		t.Run("IncomeRecords", func(t *testing.T) {
			for m := range 6 {
				month := dost.Month{Year: 2026, Month: 5}.Add(m)
				ok(t, s.CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: p.ID, Month: month, Source: dost.IncomeWage, Amount: dost.AZN(1500)}))
			}
			ok(t, s.CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: p.ID, Month: dost.Month{Year: 2026, Month: 7}, Source: dost.IncomeProperty, Amount: 30000}))
			from, to := dost.Month{Year: 2026, Month: 7}, dost.Month{Year: 2026, Month: 8}
			rs, n, err := s.FindIncomeRecords(ctx, dost.RecordFilter{PersonID: &p.ID, From: &from, To: &to})
			ok(t, err)
			if n != 3 || rs[0].Source != dost.IncomeProperty || rs[0].Amount != 30000 || rs[2].Month != to {
				t.Fatalf("got %d: %+v", n, rs)
			}
			err = s.CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: p.ID, Month: from, Source: dost.IncomeWage, Amount: 1})
			mustCode(t, err, dost.ECONFLICT)
			err = s.CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: 999999, Month: from, Source: dost.IncomeWage, Amount: 1})
			mustCode(t, err, dost.ENOTFOUND)
		})

		t.Run("DisabilityAssessments", func(t *testing.T) {
			ok(t, s.CreateDisabilityAssessment(ctx, &dost.DisabilityAssessment{PersonID: q.ID, Degree: dost.DisabilityIII,
				Cause: dost.CauseGeneral, Percent: 45, From: date("2020-01-01"), To: date("2022-06-30")}))
			ok(t, s.CreateDisabilityAssessment(ctx, &dost.DisabilityAssessment{PersonID: q.ID, Degree: dost.DisabilityII,
				Cause: dost.CauseWorkInjury, Percent: 70, From: date("2022-07-01")}))
			d := date("2026-11-16")
			as, n, err := s.FindDisabilityAssessments(ctx, dost.RecordFilter{PersonID: &q.ID, On: &d})
			ok(t, err)
			if n != 1 || as[0].Degree != dost.DisabilityII || as[0].Percent != 70 || !as[0].To.IsZero() {
				t.Fatalf("on %s: got %d %+v, want degree II", d, n, as)
			}
			_, n, err = s.FindDisabilityAssessments(ctx, dost.RecordFilter{PersonID: &q.ID})
			ok(t, err)
			if n != 2 {
				t.Fatalf("all: got %d, want 2", n)
			}
			mustCode(t, s.CreateDisabilityAssessment(ctx, &dost.DisabilityAssessment{PersonID: 999999, Degree: dost.DisabilityI,
				Cause: dost.CauseWar, From: d}), dost.ENOTFOUND)
		})
	})
}

// mustConflictField fails the test unless err is ECONFLICT with exactly one
// field error, for field, coded "household.member_taken".
func mustConflictField(t *testing.T, err error, field string) {
	t.Helper()
	mustCode(t, err, dost.ECONFLICT)
	if f := dost.ErrorFields(err); len(f) != 1 || f[0].Field != field || f[0].Code != "household.member_taken" {
		t.Fatalf("fields: got %+v, want one %s household.member_taken", f, field)
	}
}
