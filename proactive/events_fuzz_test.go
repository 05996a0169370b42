package proactive

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dost-az/dost"
)

// fixedClock is a dost.Clock stopped at one instant.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// FuzzCheckEvent checks an event as ReceiveEvent does before it asks the
// registry (checkEventID, check, ContentHash), on events decoded from
// arbitrary JSON: no panic, and either an invalid error whose field
// errors each have a field, a code and a message, or an event that can be
// stored (valid id, text without NUL or invalid UTF-8) whose check is
// idempotent, so that a repeat hashes as the original.
func FuzzCheckEvent(f *testing.F) {
	f.Add([]byte(`{"id":"civil:1","kind":"birth_registered","fin":"4NEW001","date":"2026-11-14",` +
		`"birth":{"first_name":" Nuray ","last_name":"Aliyeva","sex":"F","mother_fin":"2ef3gh4"}}`))
	f.Add([]byte(`{"id":"d1","kind":"death_registered","fin":"1AB2CD3","date":"2026-11-10"}`))
	f.Add([]byte(`{"id":"a1","kind":"disability_assessed","fin":"1AB2CD3","date":"2026-11-10","disability":{"degree":"II","cause":"war","until":"2027-11-10"}}`))
	f.Add([]byte(`{"id":"e1","kind":"employment_ended","fin":"1AB2CD3","date":"2026-11-10","employment":{"reason":"staff_cut","employer_tin":"12\u0000"}}`))
	f.Add([]byte(`{"id":"t1","kind":"date_changed","date":"2026-11-16","birth":{"stillborn":true}}`))
	f.Add([]byte(`{"id":"bad id","kind":"wedding"}`))
	f.Add([]byte(`{"id":"w1","kind":"payment_withdrawn","date":"2026-11-10","withdrawal":{"reference":" DOST-12-202611 "}}`))
	f.Add([]byte(`{"id":"w2","kind":"payment_withdrawn","fin":"1AB2CD3","date":"2026-11-10","withdrawal":{"reference":"DOST-\u0000"}}`))
	s := &Service{clock: fixedClock(time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC))}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in dost.LifeEvent
		if json.Unmarshal(body, &in) != nil {
			return // the decoder's: FuzzReadEvent in package http
		}
		err := checkEventID(in.ID)
		var e *dost.LifeEvent
		if err == nil {
			e, err = s.check(&in)
		}
		if err != nil {
			var de *dost.Error
			if !errors.As(err, &de) || de.Code != dost.EINVALID || de.Message == "" || len(de.Fields) == 0 {
				t.Fatalf("got error %v, want invalid with field errors", err)
			}
			for _, f := range de.Fields {
				if f.Field == "" || f.Code == "" || f.Message == "" {
					t.Fatalf("got field error %+v, want a field, a code and a message", f)
				}
			}
			return
		}
		texts := []string{string(e.FIN)}
		if b := e.Birth; b != nil {
			texts = append(texts, b.FirstName, b.LastName, b.Patronymic, string(b.MotherFIN), string(b.FatherFIN))
		}
		if m := e.Employment; m != nil {
			texts = append(texts, m.EmployerTIN)
		}
		if w := e.Withdrawal; w != nil {
			texts = append(texts, w.Reference)
		}
		for _, x := range texts {
			if !utf8.ValidString(x) || !dost.ValidText(x, false) {
				t.Fatalf("accepted text %q, which cannot be stored", x)
			}
		}
		h1, err := ContentHash(e)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.check(e)
		if err != nil {
			t.Fatalf("checking the checked event again: %v", err)
		}
		if h2, _ := ContentHash(again); h2 != h1 {
			t.Fatalf("got hash %s of the checked event, want %s: a repeat would conflict", h2, h1)
		}
	})
}
