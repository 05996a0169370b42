package http

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
)

// hallKioskErrors returns the keys' suffixes of the kiosk's explanations
// ("hall.kiosk.error.<suffix>"), for TestMessages.
func hallKioskErrors() []string {
	return append(slices.Clone(kioskErrorCodes), "not_found", "invalid", "other_centre")
}

// hallAlerts returns every alert of the console ("hall.alert.<alert>"),
// for TestMessages.
func hallAlerts() []string {
	out := slices.Clone(consoleOutcomes)
	for _, a := range consoleAlerts {
		out = append(out, a)
	}
	return out
}

// TestHallReasonText checks that every call reason reads in every
// language without a missing key or a bad format.
func TestHallReasonText(t *testing.T) {
	u, err := newUI()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ui: u}
	at := time.Date(2026, 11, 16, 10, 30, 0, 0, dost.Baku)
	for _, why := range []*dost.CallReason{
		{Code: dost.ReasonLongestWait, WaitedSeconds: 720, Passed: 0, Waiting: 3, Services: 2},
		{Code: dost.ReasonPriority, Priority: dost.PriorityDisability, HeadStartSeconds: 600, WaitedSeconds: 300, Passed: 2, Waiting: 5, Services: 1},
		{Code: dost.ReasonAppointment, AppointmentAt: &at, AppointmentLeadSeconds: 600, WaitedSeconds: 60, Passed: 1, Waiting: 4, Services: 3},
		{Code: dost.ReasonByNumber, WaitedSeconds: 1800},
	} {
		for _, lang := range dost.Languages {
			lines := s.reasonText(lang, why)
			if len(lines) == 0 {
				t.Errorf("%s %s: no text", why.Code, lang)
			}
			for _, l := range lines {
				if slices.ContainsFunc([]string{"hall.", "%!", "MISSING"}, func(bad string) bool { return strings.Contains(l, bad) }) {
					t.Errorf("%s %s: got %q", why.Code, lang, l)
				}
			}
		}
	}
	if got := s.reasonText("en", &dost.CallReason{Code: dost.ReasonPriority, Priority: dost.PriorityAged65, HeadStartSeconds: 600, WaitedSeconds: 120, Waiting: 2, Services: 1}); got[0] != "Priority group: Aged 65 or more (counted 10 min earlier)." {
		t.Errorf("got %q, want the priority group's reason", got[0])
	}
}

// FuzzHallQueryParams checks the hall's query parameters: an id is a
// positive number or a field error, a day a date or a field error, and
// nothing panics.
func FuzzHallQueryParams(f *testing.F) {
	for _, s := range []string{"12", "0", "-1", "9223372036854775808", "2026-11-16", "2026-02-30", "x", "", " 1", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := url.Values{"id": {s}, "day": {s}}
		var v dost.Validation
		id := queryID(q, "id", &v)
		idErr := slices.ContainsFunc(v.Fields, func(e dost.FieldError) bool { return e.Field == "id" })
		if s != "" && (id > 0) == idErr || id < 0 {
			t.Fatalf("id %q: got %d, field error %v", s, id, idErr)
		}
		d := queryDay(q, "day", dost.Date{}, &v)
		dayErr := slices.ContainsFunc(v.Fields, func(e dost.FieldError) bool { return e.Field == "day" })
		if s != "" && d.IsZero() != dayErr {
			t.Fatalf("day %q: got %v, field error %v", s, d, dayErr)
		}
		if !d.IsZero() && dayStart(d).Location() != dost.Baku {
			t.Fatalf("day %q starts outside Baku", s)
		}
	})
}
