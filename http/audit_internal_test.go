package http

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAuditObject(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		personID      int64
		kind, id, det string
	}{
		{"GET /api/v1/persons/{fin}", "/api/v1/persons/5ZR2K8T", 42, "person", "42", ""},
		{"GET /api/v1/persons/{fin}/awards", "/api/v1/persons/5ZR2K8T/awards", 42, "person", "42", ""},
		{"POST /api/v1/persons", "/api/v1/persons", 0, "person", "", ""},
		{"GET /api/v1/applications/{id}/documents/{doc}", "/api/v1/applications/12/documents/3", 9, "document", "3", "id=12"},
		{"DELETE /api/v1/households/{id}/members/{fin}", "/api/v1/households/5/members/5ZR2K8T", 42, "person", "42", "id=5"},
		{"PUT /api/v1/holidays/{date}", "/api/v1/holidays/2026-12-31", 0, "holiday", "2026-12-31", ""},
		{"POST /hall/counters/{counter}/call-next", "/hall/counters/4/call-next", 0, "counter", "4", ""},
		{"GET /{$}", "/", 0, "", "", ""},
	} {
		var kind, id, det string
		mux := http.NewServeMux()
		mux.HandleFunc(tc.pattern, func(w http.ResponseWriter, r *http.Request) {
			kind, id, det = auditObject(r, tc.pattern, tc.personID)
		})
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(strings.SplitN(tc.pattern, " ", 2)[0], tc.path, nil))
		if kind != tc.kind || id != tc.id || det != tc.det {
			t.Errorf("%s: got %q %q %q, want %q %q %q", tc.pattern, kind, id, det, tc.kind, tc.id, tc.det)
		}
		if strings.Contains(id+det, "5ZR2K8T") {
			t.Errorf("%s: the FIN is in the event", tc.pattern)
		}
	}
}

// FuzzParseAuditTime checks that any from/to value either fails or gives
// a time, a date giving Baku's midnight (the next one for to).
func FuzzParseAuditTime(f *testing.F) {
	for _, s := range []string{"2026-11-27", "2026-11-27T10:00:00Z", "2026-02-30", "yesterday", "", "2026-11-27T10:00:00+04:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, ok := parseAuditTime(s, false)
		to, ok2 := parseAuditTime(s, true)
		if ok != ok2 {
			t.Fatalf("%q: from ok %v, to ok %v", s, ok, ok2)
		}
		if !ok {
			return
		}
		if d := to.Sub(from); d != 0 && d != 24*time.Hour {
			t.Fatalf("%q: from %v to %v", s, from, to)
		}
	})
}
