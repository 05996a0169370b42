package training_test

import (
	"context"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/training"
)

var day = dost.MustDate("2026-11-16")

func cert(op int64, cat dost.Category, from, until string) *dost.Certification {
	return &dost.Certification{OperatorID: op, Category: cat, ValidFrom: dost.MustDate(from), ValidUntil: dost.MustDate(until)}
}

// TestMatrix checks the cells: in force or not, the last day followed
// through a renewal that starts the day after, expiring soon within 30
// days, and a future certification not in force today.
func TestMatrix(t *testing.T) {
	ops := []*dost.User{{ID: 1, Name: "Aysel"}, {ID: 2, Name: "Bahar"}}
	m := training.Matrix(day, ops, []*dost.Certification{
		cert(1, dost.CategoryDisability, "2025-12-01", "2026-11-30"),
		cert(1, dost.CategoryDisability, "2026-12-01", "2027-11-30"), // continues the first
		cert(1, dost.CategoryEmployment, "2025-12-20", "2026-12-16"), // ends in 30 days
		cert(1, dost.CategoryCertificates, "2026-12-01", "2027-12-01"),
		cert(2, dost.CategoryEmployment, "2025-12-20", "2026-12-17"), // ends in 31 days
	})
	if m.SoonUntil != dost.MustDate("2026-12-16") || len(m.Rows) != 2 || len(m.Rows[0].Cells) != len(dost.Categories) {
		t.Fatalf("matrix %+v", m)
	}
	cell := func(row int, cat dost.Category) *dost.MatrixCell {
		for _, c := range m.Rows[row].Cells {
			if c.Category == cat {
				return c
			}
		}
		t.Fatalf("no cell %s", cat)
		return nil
	}
	for _, tc := range []struct {
		row       int
		cat       dost.Category
		certified bool
		until     string
		soon      bool
	}{
		{0, dost.CategoryDisability, true, "2027-11-30", false},
		{0, dost.CategoryEmployment, true, "2026-12-16", true},
		{0, dost.CategoryCertificates, false, "", false},
		{0, dost.CategorySocialServices, false, "", false},
		{1, dost.CategoryEmployment, true, "2026-12-17", false},
	} {
		c := cell(tc.row, tc.cat)
		if c.Certified != tc.certified || c.ExpiringSoon != tc.soon || (tc.certified && c.ValidUntil != dost.MustDate(tc.until)) {
			t.Errorf("row %d %s: got %+v, want certified %v until %s, soon %v", tc.row, tc.cat, c, tc.certified, tc.until, tc.soon)
		}
	}
}

// TestStaffing checks the statuses of the shortage view.
func TestStaffing(t *testing.T) {
	from := day.AddDate(0, 0, -28)
	offered := map[dost.Category]bool{dost.CategoryDisability: true, dost.CategoryEmployment: true, dost.CategoryPensionsBenefits: true, dost.CategoryCertificates: true}
	tickets := map[dost.Category]int{dost.CategoryPensionsBenefits: 20 * 90, dost.CategorySocialServices: 4}
	waiting := map[dost.Category]int{dost.CategoryPensionsBenefits: 7}
	certs := []*dost.Certification{
		cert(1, dost.CategoryDisability, "2026-01-01", "2027-01-01"),
		cert(2, dost.CategoryDisability, "2026-01-01", "2027-01-01"),
		cert(1, dost.CategoryEmployment, "2026-01-01", "2027-01-01"),
		cert(2, dost.CategoryEmployment, "2026-01-01", "2026-12-01"), // gone in 30 days
		cert(1, dost.CategoryPensionsBenefits, "2026-01-01", "2027-01-01"),
		cert(2, dost.CategoryPensionsBenefits, "2026-01-01", "2027-01-01"),
		cert(3, dost.CategoryPensionsBenefits, "2026-01-01", "2027-01-01"),
	}
	sh := training.Staffing(7, day, from, 20, 3, offered, tickets, waiting, certs)
	want := map[dost.Category]struct {
		needed, now, later int
		status             string
	}{
		dost.CategoryCertificates:     {2, 0, 0, dost.StaffingNone},
		dost.CategoryDisability:       {2, 2, 2, dost.StaffingOK},
		dost.CategoryEmployment:       {2, 2, 1, dost.StaffingExpiring},
		dost.CategoryPensionsBenefits: {3, 3, 3, dost.StaffingOK},   // 90 a day: 3 operators
		dost.CategorySocialServices:   {1, 0, 0, dost.StaffingNone}, // 0.2 a day, not offered
	}
	if len(sh.Categories) != len(want) {
		t.Fatalf("got %d categories, want %d: %+v", len(sh.Categories), len(want), sh.Categories)
	}
	for _, c := range sh.Categories {
		w := want[c.Category]
		if c.Needed != w.needed || c.CertifiedNow != w.now || c.CertifiedIn30 != w.later || c.Status != w.status {
			t.Errorf("%s: got %+v, want %+v", c.Category, c, w)
		}
	}
	if c := sh.Categories[len(sh.Categories)-1]; c.Category != dost.CategorySocialServices || c.PerDay != 0.2 || c.Offered {
		t.Errorf("social services: got %+v, want 0.2 a day, not offered", c)
	}
	// Needed grows with demand: 121 a day need 4.
	for _, tc := range []struct {
		offered bool
		perDay  float64
		want    int
	}{{true, 0, 2}, {true, 80, 2}, {true, 80.1, 3}, {true, 121, 4}, {false, 0, 0}, {false, 0.1, 1}, {false, 41, 2}} {
		if n := dost.NeededOperators(tc.offered, tc.perDay); n != tc.want {
			t.Errorf("NeededOperators(%v, %v): got %d, want %d", tc.offered, tc.perDay, n, tc.want)
		}
	}
}

// TestService_Permissions checks who may do what through the service.
func TestService_Permissions(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		users := sqlstore.NewUserService(db)
		svc, err := training.New(training.Config{Store: sqlstore.NewTrainingStore(db), Centres: sqlstore.NewCentreService(db),
			Users: users, Clock: db.Clock()})
		if err != nil {
			t.Fatal(err)
		}
		as := func(roles []dost.Role, centres ...int64) context.Context {
			return dost.NewContextWithUser(context.Background(), &dost.User{ID: 99, Roles: roles, CentreIDs: centres})
		}
		course := &dost.Course{Code: "FO-01", Category: dost.CategoryCertificates, Title: dost.Text{AZ: "a", EN: "b", RU: "c"}, Hours: 1, ValidityMonths: 1}
		for _, tc := range []struct {
			name string
			err  error
			want string
		}{
			{"CreateNoUser", svc.CreateCourse(context.Background(), course), dost.EUNAUTHORIZED},
			{"CreateSupervisor", svc.CreateCourse(as([]dost.Role{dost.RoleSupervisor}), course), dost.EFORBIDDEN},
			{"MatrixOperator", func() error { _, err := svc.CertificationMatrix(as([]dost.Role{dost.RoleOperator}), 0); return err }(), dost.EFORBIDDEN},
			{"MatrixOtherCentre", func() error {
				_, err := svc.CertificationMatrix(as([]dost.Role{dost.RoleSupervisor}, 1), 2)
				return err
			}(), dost.EFORBIDDEN},
			{"MatrixUnknownCentre", func() error { _, err := svc.CertificationMatrix(as([]dost.Role{dost.RoleAdmin}), 42); return err }(), dost.ENOTFOUND},
			{"ShortageNoCentre", func() error { _, err := svc.Shortage(as([]dost.Role{dost.RoleAdmin}), 0); return err }(), dost.EINVALID},
			{"CompletionAuditor", func() error {
				_, err := svc.RecordCompletion(as([]dost.Role{dost.RoleAuditor}), &dost.Completion{OperatorID: 1, CourseID: 1, CompletedOn: day})
				return err
			}(), dost.EFORBIDDEN},
			{"CreateAdmin", svc.CreateCourse(as([]dost.Role{dost.RoleAdmin}), course), ""},
		} {
			if got := dost.ErrorCode(tc.err); got != tc.want {
				t.Errorf("%s: got %q (%v), want %q", tc.name, got, tc.err, tc.want)
			}
		}
	})
}
