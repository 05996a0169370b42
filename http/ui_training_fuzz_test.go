package http

import (
	"slices"
	"strconv"
	"testing"

	"github.com/dost-az/dost"
)

// checkTrainingFormError fails the test unless err is nil or EINVALID
// with field errors the training pages explain.
func checkTrainingFormError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if dost.ErrorCode(err) != dost.EINVALID {
		t.Fatalf("got %v, want invalid", err)
	}
	fs := dost.ErrorFields(err)
	if len(fs) == 0 {
		t.Fatalf("invalid without field errors: %v", err)
	}
	for _, f := range fs {
		if f.Message == "" || !slices.Contains(trainingFieldCodes, f.Code) {
			t.Errorf("field error %+v: no message or a code the pages do not explain", f)
		}
	}
}

// FuzzTrainingForms feeds the course and completion forms' readers
// anything: they return a course or completion that round-trips, or a
// clear EINVALID whose every field error the pages explain.
func FuzzTrainingForms(f *testing.F) {
	f.Add("FO-05", "disability", "Kurs", "16", "24", "7", "3", "2026-11-16", "90")
	f.Add("fo 5", "astrology", "", "x", "-1", "", "0", "16.11.2026", "1e3")
	f.Add("F", "", "\x00", "99999999999999999999", "121", "-5", "9223372036854775808", "2026-02-30", " 5")
	f.Fuzz(func(t *testing.T, code, cat, title, hours, validity, op, course, day, score string) {
		cf := &courseForm{Code: code, Category: cat, TitleAZ: title, TitleEN: title, TitleRU: title, Hours: hours, Validity: validity}
		c, err := cf.course()
		checkTrainingFormError(t, err)
		if h, _ := strconv.Atoi(hours); err == nil && (c.Code != code || c.Hours != h || c.Validate() != nil) {
			t.Fatalf("course %+v from %+v", c, cf)
		}
		pf := &completionForm{OperatorID: op, CourseID: course, CompletedOn: day, Score: score}
		k, err := pf.completion()
		checkTrainingFormError(t, err)
		if id, _ := strconv.ParseInt(op, 10, 64); err == nil && (k.OperatorID != id || k.CompletedOn.IsZero()) {
			t.Fatalf("completion %+v from %+v", k, pf)
		}
	})
}
