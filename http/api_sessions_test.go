package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestRouteScope checks the scope derived from route patterns.
func TestRouteScope(t *testing.T) {
	for pattern, want := range map[string]dost.Scope{
		"GET /api/v1/persons/{fin}":                "persons:read",
		"PATCH /api/v1/persons/{fin}":              "persons:write",
		"POST /api/v1/households/{id}/members":     "persons:write",
		"POST /api/v1/events":                      "events:write",
		"POST /api/v1/payroll/cycles/{id}/approve": "payroll:write",
		"GET /api/v1/applications/{id}":            "applications:read",
		"POST /api/v1/tickets":                     "hall:write",
		"HEAD /api/v1/centres":                     "hall:read",
		"DELETE /api/v1/sessions/{id}":             "account:write",
		"GET /api/v1/webhooks":                     "webhooks:read",
		"GET /persons/{fin}":                       "persons:read",
		"POST /payroll/cycles":                     "payroll:write",
		"GET /{$}":                                 "home:read",
		"GET /api/v1/openapi.json":                 "system:read",
		"GET /My.Page/{x}":                         "my:read",
		"GET /9lives":                              "home:read",
	} {
		if got := dosthttp.RouteScope(pattern); got != want {
			t.Errorf("%s: got %q, want %q", pattern, got, want)
		}
	}
	scopes := dosthttp.NewServer().Scopes()
	for _, want := range []dost.Scope{"persons:read", "persons:write", "events:write", "payroll:write", "hall:write", "applications:write"} {
		if !slices.Contains(scopes, want) {
			t.Errorf("Scopes() = %v lacks %s", scopes, want)
		}
	}
	for _, sc := range scopes {
		if _, err := dost.ParseScope(string(sc)); err != nil {
			t.Errorf("Scopes() holds %q, which ParseScope refuses: %v", sc, err)
		}
	}
}

// TestTokenScopes sends bearer tokens with narrow scopes: within them the
// user's roles decide; outside them a route behind sign-in is 403
// (token.scope, naming the scope) and a public route answers as to
// nobody. Expired and revoked tokens are refused at the next request.
func TestTokenScopes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		ctx := context.Background()
		op := ts.Fixtures.Users[dost.RoleOperator]
		fin := string(ts.Fixtures.Head.FIN)
		token := func(t *testing.T, ttl time.Duration, scopes ...dost.Scope) (*dost.APIToken, string) {
			t.Helper()
			tok, secret, err := ts.Users.CreateAPIToken(ctx, op.ID, "scoped", ttl, scopes...)
			if err != nil {
				t.Fatal(err)
			}
			return tok, secret
		}
		as := func(t *testing.T, secret, method, path string, body any) *result {
			t.Helper()
			return send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + secret}}, method, path, body)
		}
		wantScope := func(t *testing.T, r *result, scope string) {
			t.Helper()
			if r.Status != 403 || r.Problem.Code != dost.EFORBIDDEN || len(r.Problem.Errors) != 1 ||
				r.Problem.Errors[0].Code != "token.scope" || !strings.Contains(r.Problem.Detail, scope) {
				t.Fatalf("got %d %s, want 403 with field code token.scope naming %s", r.Status, r.Body, scope)
			}
		}

		t.Run("ReadOnly", func(t *testing.T) {
			_, secret := token(t, time.Hour, "persons:read")
			if r := as(t, secret, "GET", "/api/v1/persons/"+fin, nil); r.Status != 200 {
				t.Fatalf("read: got %d %s, want 200", r.Status, r.Body)
			}
			wantScope(t, as(t, secret, "PATCH", "/api/v1/persons/"+fin, map[string]string{"phone": "+994501112233"}), "persons:write")
			wantScope(t, as(t, secret, "GET", "/api/v1/applications", nil), "applications:read")
			// Pages are in their areas too.
			if r := as(t, secret, "GET", "/persons/"+fin, nil); r.Status != 200 {
				t.Errorf("page in scope: got %d, want 200", r.Status)
			}
			if r := as(t, secret, "GET", "/applications", nil); r.Status != 403 {
				t.Errorf("page out of scope: got %d, want 403", r.Status)
			}
		})
		t.Run("WriteIncludesRead", func(t *testing.T) {
			_, secret := token(t, time.Hour, "persons:write")
			if r := as(t, secret, "GET", "/api/v1/persons/"+fin, nil); r.Status != 200 {
				t.Fatalf("read with write: got %d, want 200", r.Status)
			}
		})
		t.Run("ReadAll", func(t *testing.T) {
			_, secret := token(t, time.Hour, dost.ScopeReadAll)
			for _, p := range []string{"/api/v1/persons/" + fin, "/api/v1/applications", "/api/v1/sessions"} {
				if r := as(t, secret, "GET", p, nil); r.Status != 200 {
					t.Errorf("GET %s: got %d %s, want 200", p, r.Status, r.Body)
				}
			}
			wantScope(t, as(t, secret, "PATCH", "/api/v1/persons/"+fin, map[string]string{"phone": "+994501112233"}), "persons:write")
		})
		t.Run("RolesStillDecide", func(t *testing.T) {
			_, secret := token(t, time.Hour, dost.ScopeAll)
			// An operator may not prepare payroll, whatever the scope.
			if r := as(t, secret, "POST", "/api/v1/payroll/cycles", map[string]any{}); r.Status != 403 || len(r.Problem.Errors) != 0 {
				t.Fatalf("got %d %s, want 403 for the role", r.Status, r.Body)
			}
		})
		t.Run("PublicAsNobody", func(t *testing.T) {
			_, secret := token(t, time.Hour, "persons:read")
			if r := as(t, secret, "GET", "/api/v1/services", nil); r.Status != 200 {
				t.Fatalf("public route: got %d %s, want 200", r.Status, r.Body)
			}
			if r := as(t, secret, "GET", "/api/v1/me", nil); r.Status != 403 {
				t.Fatalf("me: got %d, want 403 (account:read missing)", r.Status)
			}
		})
		t.Run("Expired", func(t *testing.T) {
			_, secret := token(t, time.Minute, dost.ScopeAll)
			if r := as(t, secret, "GET", "/api/v1/persons/"+fin, nil); r.Status != 200 {
				t.Fatalf("live: got %d, want 200", r.Status)
			}
			dosttest.ClockOf(t, ts.DB).Advance(time.Minute)
			if r := as(t, secret, "GET", "/api/v1/persons/"+fin, nil); r.Status != 401 {
				t.Fatalf("expired: got %d, want 401", r.Status)
			}
		})
		t.Run("Revoked", func(t *testing.T) {
			tok, secret := token(t, time.Hour, dost.ScopeAll)
			if r := as(t, secret, "GET", "/api/v1/persons/"+fin, nil); r.Status != 200 {
				t.Fatalf("live: got %d, want 200", r.Status)
			}
			if err := ts.Users.RevokeAPIToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
			if r := as(t, secret, "GET", "/api/v1/persons/"+fin, nil); r.Status != 401 {
				t.Fatalf("revoked: got %d, want 401", r.Status)
			}
		})
		t.Run("Forged", func(t *testing.T) {
			_, secret := token(t, time.Hour, dost.ScopeAll)
			forged := secret[:len(secret)-1] + string("abcdefghijklmnopqrstuvwxyz234567"[(strings.IndexByte("abcdefghijklmnopqrstuvwxyz234567", secret[len(secret)-1])+1)%32])
			if r := as(t, forged, "GET", "/api/v1/persons/"+fin, nil); r.Status != 401 {
				t.Fatalf("forged: got %d, want 401", r.Status)
			}
		})
	})
}

// browser is a cookie client signed in by POST /api/v1/session with a
// user agent of its own.
func browser(t *testing.T, ts *dosttest.TestServer, username, password, agent string) *http.Client {
	t.Helper()
	c := newBrowserlikeClient(t)
	r := send(t, ts, c, http.Header{"User-Agent": {agent}}, "POST", "/api/v1/session",
		map[string]string{"username": username, "password": password})
	if r.Status != 201 {
		t.Fatalf("sign in %s: got %d %s", username, r.Status, r.Body)
	}
	return c
}

// live reports whether c's session is live (GET /api/v1/me).
func live(t *testing.T, ts *dosttest.TestServer, c *http.Client) bool {
	t.Helper()
	r := send(t, ts, c, nil, "GET", "/api/v1/me", nil)
	if r.Status != 200 && r.Status != 401 {
		t.Fatalf("me: got %d %s", r.Status, r.Body)
	}
	return r.Status == 200
}

// sessionList is the answer of GET /api/v1/sessions.
type sessionList struct {
	Sessions []struct {
		ID        int64  `json:"id"`
		UserAgent string `json:"user_agent"`
		IP        string `json:"ip"`
		Current   bool   `json:"current"`
	} `json:"sessions"`
}

// TestSessionsAPI lists and revokes a user's sessions, changes the
// password, and lets an administrator revoke and disable a user: each
// revoked session or token is refused at its next request.
func TestSessionsAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		ctx := context.Background()
		pw := dosttest.Password(dost.RoleOperator)
		a := browser(t, ts, "operator", pw, "Browser A")
		b := browser(t, ts, "operator", pw, "Browser B")
		other := browser(t, ts, "caseworker", dosttest.Password(dost.RoleCaseWorker), "Other")
		list := func(t *testing.T, c *http.Client) sessionList {
			t.Helper()
			r := send(t, ts, c, nil, "GET", "/api/v1/sessions", nil)
			if r.Status != 200 {
				t.Fatalf("list: got %d %s", r.Status, r.Body)
			}
			var l sessionList
			r.decode(t, &l)
			return l
		}
		idOf := func(t *testing.T, l sessionList, agent string) int64 {
			t.Helper()
			for _, s := range l.Sessions {
				if s.UserAgent == agent {
					return s.ID
				}
			}
			t.Fatalf("no session of %q in %+v", agent, l)
			return 0
		}

		t.Run("List", func(t *testing.T) {
			l := list(t, a)
			var current []string
			for _, s := range l.Sessions {
				if s.Current {
					current = append(current, s.UserAgent)
				}
				if s.IP != "127.0.0.1" {
					t.Errorf("IP: got %q, want 127.0.0.1", s.IP)
				}
			}
			if len(l.Sessions) < 2 || fmt.Sprint(current) != "[Browser A]" {
				t.Fatalf("sessions: got %+v, want A (current) and B", l)
			}
			if strings.Contains(fmt.Sprint(l), "Other") {
				t.Errorf("another user's session is listed: %+v", l)
			}
		})
		t.Run("RevokeOne", func(t *testing.T) {
			bID := idOf(t, list(t, a), "Browser B")
			otherID := idOf(t, list(t, other), "Other")
			if r := send(t, ts, a, nil, "DELETE", fmt.Sprintf("/api/v1/sessions/%d", otherID), nil); r.Status != 404 {
				t.Fatalf("another user's session: got %d, want 404", r.Status)
			}
			if r := send(t, ts, a, nil, "DELETE", fmt.Sprintf("/api/v1/sessions/%d", bID), nil); r.Status != 204 {
				t.Fatalf("revoke B: got %d %s, want 204", r.Status, r.Body)
			}
			if live(t, ts, b) || !live(t, ts, a) || !live(t, ts, other) {
				t.Fatal("after revoking B: want B refused, A and the other user signed in")
			}
		})
		t.Run("RevokeOthers", func(t *testing.T) {
			c := browser(t, ts, "operator", pw, "Browser C")
			r := send(t, ts, a, nil, "DELETE", "/api/v1/sessions", nil)
			var got struct{ Revoked int }
			r.decode(t, &got)
			if r.Status != 200 || got.Revoked < 1 {
				t.Fatalf("revoke others: got %d %s", r.Status, r.Body)
			}
			if live(t, ts, c) || !live(t, ts, a) {
				t.Fatal("after revoking the others: want C refused, A signed in")
			}
		})
		t.Run("Password", func(t *testing.T) {
			d := browser(t, ts, "operator", pw, "Browser D")
			r := send(t, ts, a, nil, "POST", "/api/v1/session/password", map[string]string{"current_password": "wrong one!", "password": "a new long password"})
			if r.Status != 400 || len(r.Problem.Errors) == 0 || r.Problem.Errors[0].Code != "password.wrong" {
				t.Fatalf("wrong current: got %d %s, want 400 password.wrong", r.Status, r.Body)
			}
			r = send(t, ts, a, nil, "POST", "/api/v1/session/password", map[string]string{"current_password": pw, "password": "short"})
			if r.Status != 400 || len(r.Problem.Errors) == 0 || r.Problem.Errors[0].Field != "password" {
				t.Fatalf("short: got %d %s, want 400 on password", r.Status, r.Body)
			}
			if !live(t, ts, d) {
				t.Fatal("a refused change ended a session")
			}
			r = send(t, ts, a, nil, "POST", "/api/v1/session/password", map[string]string{"current_password": pw, "password": "a new long password"})
			if r.Status != 204 {
				t.Fatalf("change: got %d %s, want 204", r.Status, r.Body)
			}
			if live(t, ts, d) || !live(t, ts, a) {
				t.Fatal("after the change: want D refused, A signed in")
			}
			browser(t, ts, "operator", "a new long password", "Browser E")
		})
		t.Run("AdminRevokes", func(t *testing.T) {
			u := &dost.User{Username: "leaver", Name: "Leaver", Roles: []dost.Role{dost.RoleOperator}}
			if err := ts.Users.CreateUser(ctx, u, "leaver password 1"); err != nil {
				t.Fatal(err)
			}
			c := browser(t, ts, "leaver", "leaver password 1", "Leaver's")
			_, secret, err := ts.Users.CreateAPIToken(ctx, u.ID, "t", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			path := fmt.Sprintf("/api/v1/users/%d/revoke", u.ID)
			if r := call(t, ts, dost.RoleOperator, "POST", path, nil); r.Status != 403 {
				t.Fatalf("as operator: got %d, want 403", r.Status)
			}
			r := call(t, ts, dost.RoleAdmin, "POST", path, nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"sessions":1`) || !strings.Contains(string(r.Body), `"tokens":1`) {
				t.Fatalf("revoke: got %d %s, want 200 with 1 session and 1 token", r.Status, r.Body)
			}
			if live(t, ts, c) {
				t.Error("the session lives on")
			}
			if r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + secret}}, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Errorf("the token: got %d, want 401", r.Status)
			}
			if r := call(t, ts, dost.RoleAdmin, "POST", "/api/v1/users/999999/revoke", nil); r.Status != 404 {
				t.Errorf("unknown user: got %d, want 404", r.Status)
			}
		})
		t.Run("AdminDisables", func(t *testing.T) {
			u := &dost.User{Username: "suspended", Name: "Suspended", Roles: []dost.Role{dost.RoleOperator}}
			if err := ts.Users.CreateUser(ctx, u, "suspended password"); err != nil {
				t.Fatal(err)
			}
			c := browser(t, ts, "suspended", "suspended password", "S")
			_, secret, err := ts.Users.CreateAPIToken(ctx, u.ID, "t", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			bearer := http.Header{"Authorization": {"Bearer " + secret}}
			r := call(t, ts, dost.RoleAdmin, "POST", fmt.Sprintf("/api/v1/users/%d/disable", u.ID), nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"disabled":true`) {
				t.Fatalf("disable: got %d %s", r.Status, r.Body)
			}
			if live(t, ts, c) {
				t.Error("the session of a disabled user lives on")
			}
			if r := send(t, ts, http.DefaultClient, bearer, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Errorf("token of a disabled user: got %d, want 401", r.Status)
			}
			if r := call(t, ts, dost.RoleAdmin, "POST", fmt.Sprintf("/api/v1/users/%d/enable", u.ID), nil); r.Status != 200 {
				t.Fatalf("enable: got %d %s", r.Status, r.Body)
			}
			if r := send(t, ts, http.DefaultClient, bearer, "GET", "/api/v1/me", nil); r.Status != 200 {
				t.Errorf("token after enabling: got %d, want 200", r.Status)
			}
			if live(t, ts, c) {
				t.Error("enabling brought the ended session back")
			}
			admin := ts.Fixtures.Users[dost.RoleAdmin]
			if r := call(t, ts, dost.RoleAdmin, "POST", fmt.Sprintf("/api/v1/users/%d/disable", admin.ID), nil); r.Status != 409 {
				t.Errorf("disabling oneself: got %d, want 409", r.Status)
			}
		})
	})
}

// TestAccountPages lists the sessions on /account/sessions, ends others and
// changes the password through the forms.
func TestAccountPages(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	pw := dosttest.Password(dost.RoleSupervisor)
	a := browser(t, ts, "supervisor", pw, "Browser A")
	b := browser(t, ts, "supervisor", pw, "Browser B")

	p := getPage(t, ts, a, "GET", "/account/sessions", nil)
	p.want(t, 200, "Browser A", "Browser B", `class="current"`, `action="/account/sessions/revoke-others"`)
	if strings.Count(p.Body, `class="current"`) != 1 {
		t.Errorf("want exactly one current session:\n%.3000s", p.Body)
	}
	for lang, want := range map[string]string{"az": "Bu brauzer", "ru": "Этот браузер", "en": "This browser"} {
		getPage(t, ts, a, "GET", "/account/sessions?lang="+lang, nil).want(t, 200, want)
	}

	p = getPage(t, ts, a, "POST", "/account/sessions/revoke-others", url.Values{})
	if p.Status != http.StatusSeeOther || p.Location != "/account/sessions?done=others" {
		t.Fatalf("revoke others: got %d to %q", p.Status, p.Location)
	}
	if live(t, ts, b) || !live(t, ts, a) {
		t.Fatal("after ending the others: want B refused, A signed in")
	}
	getPage(t, ts, a, "GET", "/account/sessions?done=others", nil).want(t, 200, "Browser A", `id="account-notice"`)

	c := browser(t, ts, "supervisor", pw, "Browser C")
	p = getPage(t, ts, a, "POST", "/account/password", url.Values{"current_password": {pw}, "password": {"a new long password"}, "password_again": {"another"}})
	p.want(t, 400, `id="new-password-again-error"`, `role="alert"`)
	p = getPage(t, ts, a, "POST", "/account/password", url.Values{"current_password": {"wrong!"}, "password": {"a new long password"}, "password_again": {"a new long password"}})
	p.want(t, 400, `id="current-password-error"`)
	if strings.Contains(p.Body, "a new long password") || strings.Contains(p.Body, "wrong!") {
		t.Error("the form echoes a password")
	}
	p = getPage(t, ts, a, "POST", "/account/password", url.Values{"current_password": {pw}, "password": {"a new long password"}, "password_again": {"a new long password"}})
	if p.Status != http.StatusSeeOther || p.Location != "/account/sessions?done=password" {
		t.Fatalf("change: got %d to %q:\n%.2000s", p.Status, p.Location, p.Body)
	}
	if live(t, ts, c) || !live(t, ts, a) {
		t.Fatal("after the change: want C refused, A signed in")
	}

	// Ending one's own session signs out.
	var l sessionList
	r := send(t, ts, a, nil, "GET", "/api/v1/sessions", nil)
	if err := json.Unmarshal(r.Body, &l); err != nil || len(l.Sessions) != 1 {
		t.Fatalf("sessions: %s", r.Body)
	}
	p = getPage(t, ts, a, "POST", fmt.Sprintf("/account/sessions/%d/revoke", l.Sessions[0].ID), url.Values{})
	if p.Status != http.StatusSeeOther || p.Location != "/" || live(t, ts, a) {
		t.Fatalf("ending the current session: got %d to %q, want 303 to / and signed out", p.Status, p.Location)
	}
	getPage(t, ts, a, "GET", "/account/sessions", nil).want(t, http.StatusSeeOther)
}
