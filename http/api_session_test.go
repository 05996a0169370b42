package http_test

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

func TestSessionAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		signIn := func(password string) *result {
			return send(t, ts, c, nil, "POST", "/api/v1/session", map[string]string{"username": "operator", "password": password})
		}

		t.Run("WrongPassword", func(t *testing.T) {
			r := signIn("not-the-password")
			if r.Status != 401 || r.Problem.Code != dost.EUNAUTHORIZED {
				t.Fatalf("got %d %s, want 401 unauthorized", r.Status, r.Body)
			}
			if r.Header.Get("Set-Cookie") != "" {
				t.Errorf("failed sign-in set a cookie: %s", r.Header.Get("Set-Cookie"))
			}
			if strings.Contains(string(r.Body), "not-the-password") {
				t.Errorf("the password is echoed: %s", r.Body)
			}
		})
		t.Run("MissingPassword", func(t *testing.T) {
			r := send(t, ts, c, nil, "POST", "/api/v1/session", map[string]string{"username": "operator"})
			if r.Status != 400 || len(r.Problem.Errors) == 0 || r.Problem.Errors[0].Field != "password" {
				t.Fatalf("got %d %s, want 400 on password", r.Status, r.Body)
			}
		})
		t.Run("MeSignedOut", func(t *testing.T) {
			if r := send(t, ts, c, nil, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Fatalf("got %d, want 401", r.Status)
			}
		})
		t.Run("SignIn", func(t *testing.T) {
			r := signIn(dosttest.Password(dost.RoleOperator))
			if r.Status != 201 || !strings.Contains(string(r.Body), `"username":"operator"`) {
				t.Fatalf("got %d %s, want 201 with the user", r.Status, r.Body)
			}
			ck := r.Header.Get("Set-Cookie")
			for _, want := range []string{dosthttp.SessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(ck, want) {
					t.Errorf("Set-Cookie %q lacks %q", ck, want)
				}
			}
		})
		t.Run("MeSignedIn", func(t *testing.T) {
			r := send(t, ts, c, nil, "GET", "/api/v1/me", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"roles":["operator"]`) {
				t.Fatalf("got %d %s, want 200 operator", r.Status, r.Body)
			}
		})
		t.Run("CookieReadsRegistry", func(t *testing.T) {
			if r := send(t, ts, c, nil, "GET", "/api/v1/persons/1AB2CD3", nil); r.Status != 200 {
				t.Fatalf("got %d, want 200", r.Status)
			}
		})
		t.Run("SignOut", func(t *testing.T) {
			if r := send(t, ts, c, nil, "DELETE", "/api/v1/session", nil); r.Status != 204 {
				t.Fatalf("got %d, want 204", r.Status)
			}
			if r := send(t, ts, c, nil, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Fatalf("after sign-out: got %d, want 401", r.Status)
			}
		})
		t.Run("SignOutSignedOut", func(t *testing.T) {
			if r := send(t, ts, c, nil, "DELETE", "/api/v1/session", nil); r.Status != 204 {
				t.Fatalf("got %d, want 204", r.Status)
			}
		})
		t.Run("BadBearerToken", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer dost_nonsense"}}, "GET", "/api/v1/me", nil)
			if r.Status != 401 {
				t.Fatalf("got %d, want 401", r.Status)
			}
		})
		t.Run("BasicAuthRefused", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Basic b3BlcmF0b3I6eA=="}}, "GET", "/api/v1/services", nil)
			if r.Status != 401 {
				t.Fatalf("got %d, want 401", r.Status)
			}
		})
		t.Run("ClientHelper", func(t *testing.T) {
			r := send(t, ts, ts.Client(dost.RoleAdmin), nil, "GET", "/api/v1/me", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"roles":["admin"]`) {
				t.Fatalf("got %d %s, want the admin", r.Status, r.Body)
			}
		})
		t.Run("TokenMe", func(t *testing.T) {
			r := call(t, ts, dost.RoleCitizen, "GET", "/api/v1/me", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"roles":["citizen"]`) {
				t.Fatalf("got %d %s, want the citizen", r.Status, r.Body)
			}
		})
	})
}
