package http_test

import (
	"net/http"
	"testing"

	"github.com/dost-az/dost/internal/dosttest"
)

// TestStaticSkipsSessions checks that static files are served without a
// session lookup: a stale session cookie is neither looked up nor cleared
// there, while a page does clear it.
func TestStaticSkipsSessions(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "dost_session", Value: "stale-token"})
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/static/app.css"); resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 0 {
		t.Errorf("static file: got %d with cookies %v, want 200 and no cookie", resp.StatusCode, resp.Cookies())
	}
	resp := get("/services")
	cleared := false
	for _, c := range resp.Cookies() {
		cleared = cleared || c.Name == "dost_session" && c.MaxAge < 0
	}
	if !cleared {
		t.Errorf("page: the stale session cookie was not cleared (cookies %v)", resp.Cookies())
	}
}
