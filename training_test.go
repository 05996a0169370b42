package dost_test

import (
	"testing"

	"github.com/dost-az/dost"
)

func TestCertificationExpiry(t *testing.T) {
	for _, tc := range []struct {
		from   string
		months int
		want   string
	}{
		{"2026-11-16", 12, "2027-11-16"},
		{"2026-01-31", 1, "2026-02-28"},
		{"2027-12-31", 2, "2028-02-29"},
		{"2026-08-31", 6, "2027-02-28"},
		{"2026-03-15", 120, "2036-03-15"},
	} {
		if got := dost.CertificationExpiry(dost.MustDate(tc.from), tc.months); got != dost.MustDate(tc.want) {
			t.Errorf("CertificationExpiry(%s, %d): got %s, want %s", tc.from, tc.months, got, tc.want)
		}
	}
}

func TestCourse_Validate(t *testing.T) {
	ok := dost.Course{Code: "FO-05.2", Category: dost.CategoryDisability, Title: dost.Text{AZ: "a", EN: "b", RU: "c"}, Hours: 16, ValidityMonths: 24}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid course: %v", err)
	}
	for _, tc := range []struct {
		name, field, code string
		change            func(c *dost.Course)
	}{
		{"ErrCodeLower", "code", "course.code", func(c *dost.Course) { c.Code = "fo-05" }},
		{"ErrCodeLong", "code", "course.code", func(c *dost.Course) { c.Code = "F123456789012345678901" }},
		{"ErrCategory", "category", "category.invalid", func(c *dost.Course) { c.Category = "astrology" }},
		{"ErrTitle", "title", "course.title", func(c *dost.Course) { c.Title.RU = "" }},
		{"ErrTitleText", "title.en", "text.invalid", func(c *dost.Course) { c.Title.EN = "a\nb" }},
		{"ErrHours", "hours", "course.hours", func(c *dost.Course) { c.Hours = 1001 }},
		{"ErrValidity", "validity_months", "course.validity", func(c *dost.Course) { c.ValidityMonths = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			fs := dost.ErrorFields(c.Validate())
			if len(fs) != 1 || fs[0].Field != tc.field || fs[0].Code != tc.code {
				t.Fatalf("got %+v, want %s %s", fs, tc.field, tc.code)
			}
		})
	}
	zero := 0
	if _, err := ok.Apply(dost.CourseUpdate{Hours: &zero}); dost.ErrorCode(err) != dost.EINVALID {
		t.Errorf("Apply of 0 hours: got %v, want invalid", err)
	}
	active := false
	c, err := ok.Apply(dost.CourseUpdate{Active: &active})
	if err != nil || c.Active || c.Code != ok.Code || ok.Active {
		t.Errorf("Apply: got %+v, %v", c, err)
	}
}

func TestCompletion_Validate(t *testing.T) {
	today := dost.MustDate("2026-11-16")
	score := 101
	for _, tc := range []struct {
		name   string
		c      dost.Completion
		fields []string
	}{
		{"OK", dost.Completion{OperatorID: 1, CourseID: 2, CompletedOn: today}, nil},
		{"ErrEmpty", dost.Completion{}, []string{"operator_id", "course_id", "completed_on"}},
		{"ErrFuture", dost.Completion{OperatorID: 1, CourseID: 2, CompletedOn: today.AddDate(0, 0, 1)}, []string{"completed_on"}},
		{"ErrScore", dost.Completion{OperatorID: 1, CourseID: 2, CompletedOn: today, Score: &score}, []string{"score"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := dost.ErrorFields(tc.c.Validate(today))
			if len(fs) != len(tc.fields) {
				t.Fatalf("got %+v, want fields %v", fs, tc.fields)
			}
			for i, f := range fs {
				if f.Field != tc.fields[i] {
					t.Errorf("field %d: got %s, want %s", i, f.Field, tc.fields[i])
				}
			}
		})
	}
}

func TestStaffingStatus(t *testing.T) {
	for _, tc := range []struct {
		needed, now, later int
		want               string
	}{
		{0, 0, 0, dost.StaffingOK}, {2, 0, 3, dost.StaffingNone}, {2, 1, 1, dost.StaffingShort},
		{2, 2, 1, dost.StaffingExpiring}, {2, 3, 2, dost.StaffingOK},
	} {
		if got := dost.StaffingStatus(tc.needed, tc.now, tc.later); got != tc.want {
			t.Errorf("StaffingStatus(%d, %d, %d): got %s, want %s", tc.needed, tc.now, tc.later, got, tc.want)
		}
	}
}
