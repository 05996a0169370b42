package http_test

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestLogLeaks proves that the scan every TestServer runs at its end
// (dosttest.LogLeaks) finds a full FIN, name and IBAN and lets their
// masked forms pass.
func TestLogLeaks(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	head := ts.Fixtures.Head
	for _, tc := range []struct {
		name, line string
		leak       bool
	}{
		{"FIN", `{"msg":"x","fin":"` + string(head.FIN) + `"}`, true},
		{"FINInPath", `{"path":"/api/v1/persons/` + string(head.FIN) + `/awards"}`, true},
		{"FINMasked", `{"fin":"` + head.FIN.Masked() + `"}`, false},
		{"FINInsideHash", `{"sha":"ab` + string(head.FIN) + `cd"}`, false},
		{"Name", `{"msg":"decided for ` + head.FirstName + " " + head.LastName + `"}`, true},
		{"NameLastFirst", `{"who":"` + strings.ToUpper(head.LastName) + " " + head.FirstName + `"}`, true},
		{"FirstNameOnly", `{"who":"` + head.FirstName + `"}`, false},
		{"IBAN", `{"iban":"AZ21NABZ00000000137010001944"}`, true},
		{"IBANMasked", `{"iban":"AZ21NABZ****************1944"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaks, err := dosttest.LogLeaks(context.Background(), ts.DB, "{}\n"+tc.line+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if got := len(leaks) > 0; got != tc.leak {
				t.Errorf("%s: leak %v (%q), want %v", tc.line, got, leaks, tc.leak)
			}
		})
	}
	// The server's own logs of a staff member reading the person by FIN
	// (the access log) hold it masked.
	if r := call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/"+string(head.FIN)+"?fin="+string(head.FIN), nil); r.Status != 200 {
		t.Fatalf("read: got %d", r.Status)
	}
	if !ts.Logs.Contains(head.FIN.Masked()) {
		t.Errorf("the access log lacks the masked FIN %s:\n%s", head.FIN.Masked(), ts.Logs.String())
	}
}

// securityHeaders are the headers every response carries.
var securityHeaders = map[string]string{
	"Content-Security-Policy": dosthttp.ContentSecurityPolicy,
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "same-origin",
	"X-Frame-Options":         "DENY",
}

// TestSecurityHeadersEverywhere walks every GET route of the route table as
// a user allowed to call it (nobody for public routes), and every static
// file, and checks the security headers and the content security policy
// on each answer, whatever its status.
func TestSecurityHeadersEverywhere(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	check := func(t *testing.T, target string, role dost.Role) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if role != nobody {
			req.Header.Set("Authorization", "Bearer "+ts.Token(role))
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close() // the headers are what counts (and event streams never end)
		for h, want := range securityHeaders {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("GET %s as %q (%d): %s: got %q, want %q", target, role, resp.StatusCode, h, got, want)
			}
		}
	}
	walked := 0
	for _, rt := range ts.Server.Routes() {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || method != "GET" || path == "/static/" {
			continue
		}
		role := nobody
		if !rt.Allows(nil) {
			role = ""
			for _, r := range dosttest.Roles {
				if rt.Allows(ts.Fixtures.Users[r]) {
					role = r
					break
				}
			}
			if role == "" {
				t.Errorf("%s: no seeded role may call it", rt.Pattern)
				continue
			}
		}
		walked++
		t.Run(rt.Pattern, func(t *testing.T) { check(t, routePath(ts, path), role) })
	}
	if walked < 50 {
		t.Errorf("walked %d GET routes, want the whole table", walked)
	}
	statics := 0
	err := fs.WalkDir(os.DirFS("ui/static"), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		statics++
		t.Run("static/"+name, func(t *testing.T) { check(t, "/static/"+name, nobody) })
		return nil
	})
	if err != nil || statics == 0 {
		t.Fatalf("static files: %d, %v", statics, err)
	}
	t.Run("NotFound", func(t *testing.T) {
		check(t, "/no/such/page", nobody)
		check(t, "/static/no-such-file.js", nobody)
		check(t, "/api/v1/no-such-thing", nobody)
	})
}

// TestSecureCookies signs in and out and picks a language on a server
// with SecureCookies: every cookie is Secure, HttpOnly and SameSite, and
// responses carry Strict-Transport-Security.
func TestSecureCookies(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) { s.SecureCookies = true })
	var cookies []string
	r := call(t, ts, nobody, "POST", "/api/v1/session",
		map[string]string{"username": "operator", "password": dosttest.Password(dost.RoleOperator)})
	if r.Status != 201 {
		t.Fatalf("sign in: got %d %s", r.Status, r.Body)
	}
	cookies = append(cookies, r.Header.Values("Set-Cookie")...)
	if got := r.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
		t.Errorf("Strict-Transport-Security: got %q", got)
	}
	cookie := strings.Split(r.Header.Get("Set-Cookie"), ";")[0]
	r = send(t, ts, http.DefaultClient, http.Header{"Cookie": {cookie}}, "DELETE", "/api/v1/session", nil)
	cookies = append(cookies, r.Header.Values("Set-Cookie")...)
	p := getPage(t, ts, http.DefaultClient, "GET", "/services?lang=en", nil)
	cookies = append(cookies, p.Header.Values("Set-Cookie")...)
	if len(cookies) < 3 {
		t.Fatalf("cookies: got %q, want the session's, its clearing and the language's", cookies)
	}
	for _, c := range cookies {
		for _, want := range []string{"Secure", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(c, want) {
				t.Errorf("Set-Cookie %q lacks %s", c, want)
			}
		}
	}
}

// TestRateLimitRetryAfter exhausts the public and sign-in limits of pages
// and API alike: the refusal is 429 with a Retry-After in whole seconds.
func TestRateLimitRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		form               bool
	}{
		{"PublicAPI", "GET", "/api/v1/services", false},
		{"PublicPage", "GET", "/services", false},
		{"SignInForm", "POST", "/signin", true},
		// Changing one's password checks the current one: the sign-in
		// limit, before the sign-in itself is looked at.
		{"PasswordForm", "POST", "/account/password", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A server of its own: the buckets are per server and IP.
			ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) {
				s.SignInLimit = dosthttp.RateLimit{Rate: 0.01, Burst: 2}
				s.PublicLimit = dosthttp.RateLimit{Rate: 0.01, Burst: 2}
			})
			c, through := http.DefaultClient, 2
			if tc.path == "/account/password" {
				// Signing in takes one of the two.
				c, through = browser(t, ts, "operator", dosttest.Password(dost.RoleOperator), "B"), 1
			}
			var last hallPage
			for i := range through + 1 {
				var form map[string][]string
				if tc.form {
					form = map[string][]string{"username": {"x"}, "password": {"y"}}
				}
				last = getPage(t, ts, c, tc.method, tc.path, form)
				if i < through && last.Status == http.StatusTooManyRequests {
					t.Fatalf("request %d: got 429, want %d through", i+1, through)
				}
			}
			if last.Status != http.StatusTooManyRequests {
				t.Fatalf("request %d: got %d, want 429", through+1, last.Status)
			}
			secs, err := strconv.Atoi(last.Header.Get("Retry-After"))
			if err != nil || secs < 1 {
				t.Errorf("Retry-After: got %q, want whole seconds", last.Header.Get("Retry-After"))
			}
			for h, want := range securityHeaders {
				if got := last.Header.Get(h); got != want {
					t.Errorf("429: %s: got %q, want %q", h, got, want)
				}
			}
		})
	}
}
