package http

import (
	"testing"
)

// FuzzReadEvent reads arbitrary bodies as "POST /api/v1/events" does: no
// panic, and either an event or an invalid error whose field errors each
// have a code and a message. The event's own checks are fuzzed by
// proactive's FuzzCheckEvent.
func FuzzReadEvent(f *testing.F) {
	f.Add([]byte(`{"id":"civil-1","kind":"birth_registered","fin":"4NEW001","date":"2026-11-14",` +
		`"birth":{"first_name":"Nuray","last_name":"Aliyeva","sex":"F","mother_fin":"2EF3GH4"}}`))
	f.Add([]byte(`{"id":"emp-1","kind":"employment_ended","fin":"1AB2CD3","date":"2026-11-13","employment":{"reason":"staff_cut"}}`))
	f.Add([]byte(`{"id":"a","kind":"disability_assessed","date":"2026-02-30","disability":{"degree":"I","until":"x"}}`))
	f.Add([]byte(`{"id":"civil-7","status":"processed"}`))
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, r := fuzzRequest(body, false)
		e, err := readEvent(w, r)
		if err != nil {
			checkReadError(t, err)
			return
		}
		if e == nil {
			t.Fatal("got no event and no error")
		}
		if e.Status != "" || e.Source != "" || e.Outcome != nil || e.ContentHash != "" {
			t.Fatalf("got %+v: a sender set what dost records", e)
		}
	})
}
