package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

func TestSecurityHeaders(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	for _, path := range []string{"/healthz", "/api/v1/services", "/api/v1/persons/1AB2CD3", "/", "/no-such-page"} {
		t.Run(path, func(t *testing.T) {
			r := call(t, ts, nobody, "GET", path, nil)
			for h, want := range map[string]string{
				"Content-Security-Policy": dosthttp.ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
			} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s: got %q, want %q", h, got, want)
				}
			}
			csp := r.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self';"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			if r.Header.Get(dosthttp.RequestIDHeader) == "" {
				t.Errorf("no %s header", dosthttp.RequestIDHeader)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	t.Run("Kept", func(t *testing.T) {
		r := send(t, ts, http.DefaultClient, http.Header{dosthttp.RequestIDHeader: {"lb-1234.abc"}}, "GET", "/api/v1/persons/1AB2CD3", nil)
		if got := r.Header.Get(dosthttp.RequestIDHeader); got != "lb-1234.abc" {
			t.Errorf("got %q, want the caller's id", got)
		}
		if r.Problem.Instance != "urn:dost:request:lb-1234.abc" {
			t.Errorf("problem instance: got %q, want the request id", r.Problem.Instance)
		}
	})
	t.Run("Replaced", func(t *testing.T) {
		r := send(t, ts, http.DefaultClient, http.Header{dosthttp.RequestIDHeader: {"<script>"}}, "GET", "/healthz", nil)
		if got := r.Header.Get(dosthttp.RequestIDHeader); got == "" || got == "<script>" {
			t.Errorf("got %q, want a fresh id", got)
		}
	})
}

// TestAccessLog checks that requests are logged as JSON with their route
// and status, and that no FIN, name or IBAN reaches the log.
func TestAccessLog(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	const iban = "AZ21NABZ00000000137010001944"
	call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/1AB2CD3", nil)
	call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/1ab2cd3/incomes?limit=5", nil)
	call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons?q=Aliyev&name=Rashad&fin_prefix=2EF3GH4&limit=10", nil)
	call(t, ts, dost.RoleOperator, "GET", "/api/v1/households?fin=2EF3GH4", nil)
	call(t, ts, dost.RoleOperator, "PATCH", "/api/v1/persons/2EF3GH4", map[string]string{"iban": iban})
	call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/9ZZ9ZZ9", nil)
	call(t, ts, nobody, "GET", "/persons/1AB2CD3", nil)
	call(t, ts, nobody, "GET", "/no/3JK4LM5/here", nil)
	// Whoever holds a letter's code may read the letter: only its first 4
	// characters are logged, whether or not a route matched.
	call(t, ts, nobody, "GET", "/verify/FDE9-1176-K4NH-ASDY", nil)
	call(t, ts, nobody, "GET", "/verify/FDE9-1176-K4NH-ASDY/letter.pdf", nil)
	call(t, ts, nobody, "GET", "/verify/fde911t6k4nhasdz", nil)
	call(t, ts, nobody, "GET", "/verify/FDE9-1176-K4NH-ASDW/no/such/page", nil)
	call(t, ts, nobody, "GET", "/verify?code=FDE9-1176-K4NH-ASDV", nil)

	logs := ts.Logs.String()
	for _, secret := range []string{"1AB2CD3", "1ab2cd3", "2EF3GH4", "3JK4LM5", "9ZZ9ZZ9", "Aliyev", "Rashad", iban,
		"-1176", "11t6", "K4NH", "ASD"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	var found bool
	for line := range strings.Lines(logs) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if e["msg"] == "http request" && e["route"] == "GET /api/v1/persons/{fin}" && e["status"] == float64(200) {
			found = true
			if e["path"] != "/api/v1/persons/1*****3" {
				t.Errorf("logged path: got %v, want /api/v1/persons/1*****3", e["path"])
			}
			if e["request_id"] == "" || e["user_id"] == nil || e["duration_ms"] == nil {
				t.Errorf("log line lacks request_id, user_id or duration_ms: %s", line)
			}
		}
	}
	if !found {
		t.Errorf("no access log line for GET /api/v1/persons/{fin}:\n%s", logs)
	}
	for _, want := range []string{`"path":"/verify/FDE9-****-****-****"`, `"path":"/verify/FDE9-****-****-****/letter.pdf"`,
		`"path":"/verify/fde9************"`, `"path":"/verify/FDE9-****-****-****/no/such/page"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if !strings.Contains(logs, `"query":"fin_prefix=*&limit=10&name=*&q=*"`) {
		t.Errorf("harmless query values (limit) should be logged:\n%s", logs)
	}
}

func TestMetrics(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/1AB2CD3", nil)
	call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/2EF3GH4", nil)
	call(t, ts, nobody, "GET", "/api/v1/persons/2EF3GH4", nil)
	r := call(t, ts, nobody, "GET", "/metrics", nil)
	if r.Status != 200 {
		t.Fatalf("GET /metrics: got %d", r.Status)
	}
	for _, want := range []string{
		`dost_http_requests_total{route="GET /api/v1/persons/{fin}",status="200"} 2`,
		`dost_http_requests_total{route="GET /api/v1/persons/{fin}",status="401"} 1`,
		`dost_http_request_duration_seconds_bucket{route="GET /api/v1/persons/{fin}",status="200",le="+Inf"} 2`,
		`go_goroutines`,
	} {
		if !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if bytes.Contains(r.Body, []byte("1AB2CD3")) {
		t.Errorf("metrics contain a FIN")
	}
}

func TestProbes(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	if r := call(t, ts, nobody, "GET", "/healthz", nil); r.Status != 200 || string(r.Body) != "ok\n" {
		t.Errorf("healthz: got %d %q, want 200 ok", r.Status, r.Body)
	}
	if r := call(t, ts, nobody, "GET", "/readyz", nil); r.Status != 200 {
		t.Errorf("readyz: got %d %q, want 200", r.Status, r.Body)
	}

	// Not ready: a fixed reason; the error, which may name the database's
	// host, user and name, goes to the log only.
	for _, tc := range []struct {
		name, err, want string
		secrets         []string
	}{
		{"Unreachable", "failed to connect to `user=dost_app database=dost_prod`: 10.1.2.3:5432 (db.internal): dial error: connection refused",
			"not ready: database unreachable\n", []string{"dost_app", "dost_prod", "10.1.2.3", "db.internal"}},
		{"NotMigrated", "the postgres database dost_prod is not migrated (missing migrations 3, 5); run `dost migrate`",
			"not ready: database not migrated\n", []string{"dost_prod", "migrations 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			s := dosthttp.NewServer()
			s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s.Ready = func(context.Context) error { return errors.New(tc.err) }
			h, _ := s.Handler()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != 503 || rec.Body.String() != tc.want {
				t.Errorf("readyz: got %d %q, want 503 %q", rec.Code, rec.Body, tc.want)
			}
			for _, secret := range tc.secrets {
				if strings.Contains(rec.Body.String(), secret) {
					t.Errorf("readyz body %q holds %q", rec.Body, secret)
				}
				if !strings.Contains(logs.String(), secret) {
					t.Errorf("log lacks the error's %q: %s", secret, logs.String())
				}
			}
		})
	}
}

func TestCrossOriginProtection(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	body := map[string]any{"phone": "+994551112233"}
	auth := "Bearer " + ts.Token(dost.RoleOperator)
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"CrossSite", http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403},
		{"ForeignOrigin", http.Header{"Origin": {"https://evil.example"}}, 403},
		{"SameOrigin", http.Header{"Sec-Fetch-Site": {"same-origin"}}, 200},
		{"NotABrowser", http.Header{}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.header.Set("Authorization", auth)
			r := send(t, ts, http.DefaultClient, tc.header, "PATCH", "/api/v1/persons/1AB2CD3", body)
			if r.Status != tc.status {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.status == 403 && r.Problem.Code != dost.EFORBIDDEN {
				t.Errorf("problem code: got %q, want forbidden", r.Problem.Code)
			}
		})
	}
	t.Run("CrossSiteGETAllowed", func(t *testing.T) {
		r := send(t, ts, http.DefaultClient, http.Header{"Sec-Fetch-Site": {"cross-site"}}, "GET", "/api/v1/services", nil)
		if r.Status != 200 {
			t.Fatalf("got %d, want 200", r.Status)
		}
	})
}

func TestRateLimits(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) {
		s.SignInLimit = dosthttp.RateLimit{Rate: 0.001, Burst: 3}
		s.PublicLimit = dosthttp.RateLimit{Rate: 0.001, Burst: 5}
	})
	t.Run("SignIn", func(t *testing.T) {
		for i := range 3 {
			if r := call(t, ts, nobody, "POST", "/api/v1/session", map[string]string{"username": "x", "password": "y"}); r.Status != 401 {
				t.Fatalf("attempt %d: got %d, want 401", i+1, r.Status)
			}
		}
		r := call(t, ts, nobody, "POST", "/api/v1/session", map[string]string{"username": "x", "password": "y"})
		if r.Status != 429 || r.Problem.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("4th attempt: got %d %s (Retry-After %q), want 429 rate_limited", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		// The UI's sign-in form shares the bucket.
		if r := send(t, ts, http.DefaultClient, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "POST", "/signin", nil); r.Status != 429 {
			t.Errorf("POST /signin after the API's attempts: got %d, want 429", r.Status)
		}
	})
	t.Run("Public", func(t *testing.T) {
		for i := range 5 {
			if r := call(t, ts, nobody, "GET", "/api/v1/centres", nil); r.Status != 200 {
				t.Fatalf("request %d: got %d, want 200", i+1, r.Status)
			}
		}
		if r := call(t, ts, nobody, "GET", "/api/v1/services", nil); r.Status != 429 {
			t.Fatalf("6th public request: got %d, want 429", r.Status)
		}
	})
	t.Run("NotOnProbesOrSignedIn", func(t *testing.T) {
		if r := call(t, ts, nobody, "GET", "/healthz", nil); r.Status != 200 {
			t.Errorf("healthz: got %d, want 200", r.Status)
		}
		if r := call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/1AB2CD3", nil); r.Status != 200 {
			t.Errorf("signed-in route: got %d, want 200", r.Status)
		}
	})
}

func TestUnknownAPIPath(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	for _, m := range []string{"GET", "POST", "DELETE"} {
		r := call(t, ts, dost.RoleOperator, m, "/api/v1/nothing-here", nil)
		if r.Status != 404 || r.Problem.Code != dost.ENOTFOUND {
			t.Errorf("%s: got %d %s, want a 404 problem", m, r.Status, r.Body)
		}
	}
}

// failingPersons is a PersonService whose storage fails with a message that
// must never reach a client.
type failingPersons struct {
	dost.PersonService
	panic bool
}

const secretFailure = "pq: relation persons_secret_table does not exist at 10.0.0.5"

func (f failingPersons) FindPersonByFIN(ctx context.Context, fin dost.FIN) (*dost.Person, error) {
	if f.panic {
		panic(secretFailure)
	}
	return nil, errors.New(secretFailure)
}

// tokenUsers is a UserService that accepts the bearer token "t" as an
// operator.
type tokenUsers struct{ dost.UserService }

func (tokenUsers) FindAPIToken(ctx context.Context, token string) (*dost.APIToken, error) {
	if token != "t" {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Unknown token.")
	}
	u := &dost.User{ID: 7, Username: "op", Roles: []dost.Role{dost.RoleOperator}}
	return &dost.APIToken{ID: 1, UserID: u.ID, User: u, Scopes: []dost.Scope{dost.ScopeAll}}, nil
}

// TestInternalErrors checks that storage failures and panics become a 500
// problem saying only "Internal error.", and that the cause is logged with
// the request id.
func TestInternalErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		panic bool
	}{{"Error", false}, {"Panic", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := dosthttp.NewServer()
			s.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			s.PersonService = failingPersons{panic: tc.panic}
			s.UserService = tokenUsers{}
			h, err := s.Handler()
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/api/v1/persons/1AB2CD3", nil)
			req.Header.Set("Authorization", "Bearer t")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			validateResponse(t, req, rec.Code, rec.Header(), rec.Body.Bytes())

			var p dosthttp.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != 500 || p.Code != dost.EINTERNAL || p.Detail != "Internal error." {
				t.Errorf("got %d %+v, want 500 internal with detail 'Internal error.'", rec.Code, p)
			}
			if strings.Contains(rec.Body.String(), "secret_table") {
				t.Errorf("the cause leaks to the client: %s", rec.Body)
			}
			id := rec.Header().Get(dosthttp.RequestIDHeader)
			if !strings.Contains(logs.String(), "secret_table") || !strings.Contains(logs.String(), id) {
				t.Errorf("the cause is not logged with request id %q:\n%s", id, logs.String())
			}
			if strings.Contains(logs.String(), "1AB2CD3") {
				t.Errorf("the log holds the FIN:\n%s", logs.String())
			}
		})
	}
}
