package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/oidcprovider"
)

const (
	oidcClientID = "dost-test"
	oidcSecret   = "client-secret-for-the-tests"
)

// The provider's subjects: the test server's Head and Child (who has a
// citizen account already), a FIN the registry does not know, a subject
// without a FIN (a staff member) and one with a malformed FIN.
var oidcSubjects = oidcprovider.StaticSubjects{
	{ID: "sub-head", Name: "Rashad Aliyev", FIN: "1AB2CD3", Label: "1*****3"},
	{ID: "sub-child", Name: "Murad Aliyev", FIN: "3JK4LM5", Label: "3*****5"},
	{ID: "sub-stranger", Name: "Nobody Known", FIN: "9ZZ9ZZ9", Label: "9*****9"},
	{ID: "sub-staff", Name: "Operator", FIN: "", Label: "-"},
	{ID: "sub-badfin", Name: "Bad FIN", FIN: "<script>", Label: "?"},
}

// oidcFixture is the dost test server signing in through a real
// oidcprovider.Provider on its own loopback server.
type oidcFixture struct {
	ts       *dosttest.TestServer
	provider *oidcprovider.Provider
	issuer   string
	swap     func(http.Handler) // replaces the provider server's handler
}

func newOIDCFixture(t *testing.T, dialect string, opts ...dosttest.ServerOption) *oidcFixture {
	t.Helper()
	var mu sync.Mutex
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cur := h
		mu.Unlock()
		cur.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f := &oidcFixture{issuer: srv.URL + "/op", swap: func(n http.Handler) { mu.Lock(); h = n; mu.Unlock() }}
	p, err := oidcprovider.New(oidcprovider.Config{Issuer: f.issuer, Subjects: oidcSubjects})
	if err != nil {
		t.Fatal(err)
	}
	f.provider = p
	f.swap(p)
	opts = append(opts, dosttest.WithOIDC(dosthttp.OIDCConfig{Issuer: f.issuer, ClientID: oidcClientID, ClientSecret: oidcSecret}))
	f.ts = dosttest.NewServer(t, dialect, opts...)
	if err := p.AddClient(oidcprovider.Client{ID: oidcClientID, Secret: oidcSecret,
		RedirectURIs: []string{f.ts.URL + "/signin/oidc/callback"}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// browser returns a client with a cookie jar that does not follow
// redirects.
func oidcBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func oidcGet(t *testing.T, c *http.Client, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// authorize runs the start and the provider's login form as subject and
// returns the callback URL the provider sent the browser to (not yet
// visited).
func (f *oidcFixture) authorize(t *testing.T, c *http.Client, next, subject string) string {
	t.Helper()
	start := f.ts.URL + "/signin/oidc"
	if next != "" {
		start += "?next=" + url.QueryEscape(next)
	}
	resp, body := oidcGet(t, c, start)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), f.issuer+"/authorize?") {
		t.Fatalf("start: status %d to %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	q := loc.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Errorf("authorization request without PKCE, nonce or state: %s", loc)
	}
	resp, body = oidcGet(t, c, loc.String())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Rashad Aliyev") {
		t.Fatalf("login page: status %d: %s", resp.StatusCode, body)
	}
	form := q
	form.Set("subject", subject)
	resp, err := c.PostForm(f.issuer+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(cb, f.ts.URL+"/signin/oidc/callback?") {
		t.Fatalf("login: status %d to %q", resp.StatusCode, cb)
	}
	return cb
}

// me returns the signed-in user of c, or nil.
func (f *oidcFixture) me(t *testing.T, c *http.Client) *dost.User {
	t.Helper()
	resp, body := oidcGet(t, c, f.ts.URL+"/api/v1/me")
	if resp.StatusCode == http.StatusUnauthorized {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("me: status %d: %s", resp.StatusCode, body)
	}
	var out struct {
		dost.User
		Nested *dost.User `json:"user"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("me: %v: %s", err, body)
	}
	if out.Nested != nil {
		return out.Nested
	}
	return &out.User
}

// TestOIDCSignIn runs sign-in through the digital login end to end over
// loopback: dost's start, the provider's login form, dost's callback
// (code exchange, ID token verified by go-oidc), the session.
func TestOIDCSignIn(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testOIDCSignIn(t, dialect) })
	}
}

func testOIDCSignIn(t *testing.T, dialect string) {
	f := newOIDCFixture(t, dialect)
	ctx := context.Background()
	fx := f.ts.Fixtures

	t.Run("OK", func(t *testing.T) {
		c := oidcBrowser()
		if f.me(t, c) != nil {
			t.Fatal("signed in before signing in")
		}
		resp, body := oidcGet(t, c, f.authorize(t, c, "", "sub-head"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/my" {
			t.Fatalf("callback: status %d to %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		u := f.me(t, c)
		if u == nil || u.Username != "fin:1AB2CD3" || !u.CitizenOnly() || u.PersonID == nil || *u.PersonID != fx.Head.ID {
			t.Fatalf("me: got %+v, want the citizen account of the head", u)
		}
		// The session cookie is the password sign-in's.
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == dosthttp.SessionCookie {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Errorf("session cookie: got %+v", session)
		}
		// Signing in again finds the same account.
		c2 := oidcBrowser()
		oidcGet(t, c2, f.authorize(t, c2, "", "sub-head"))
		if u2 := f.me(t, c2); u2 == nil || u2.ID != u.ID {
			t.Errorf("second sign-in: got %+v, want user %d", u2, u.ID)
		}
		if strings.Contains(f.ts.Logs.String(), "1AB2CD3") {
			t.Error("the logs contain a full FIN")
		}
	})
	t.Run("ExistingCitizenAccount", func(t *testing.T) {
		c := oidcBrowser()
		oidcGet(t, c, f.authorize(t, c, "", "sub-child"))
		if u := f.me(t, c); u == nil || u.ID != fx.Users[dost.RoleCitizen].ID {
			t.Errorf("got %+v, want the seeded citizen %d", u, fx.Users[dost.RoleCitizen].ID)
		}
	})
	t.Run("ReturnPathTooLong", func(t *testing.T) {
		c := oidcBrowser()
		resp, _ := oidcGet(t, c, f.authorize(t, c, "/my/"+strings.Repeat("a", 600), "sub-head"))
		if got := resp.Header.Get("Location"); got != "/my" {
			t.Errorf("got %q, want /my: a return path over 512 bytes is dropped", got)
		}
	})
	t.Run("ReturnPath", func(t *testing.T) {
		c := oidcBrowser()
		resp, _ := oidcGet(t, c, f.authorize(t, c, "/my/payments?x=1", "sub-head"))
		if got := resp.Header.Get("Location"); got != "/my/payments?x=1" {
			t.Errorf("got %q, want /my/payments?x=1", got)
		}
		c = oidcBrowser()
		resp, _ = oidcGet(t, c, f.authorize(t, c, "//evil.example/x", "sub-head"))
		if got := resp.Header.Get("Location"); got != "/my" {
			t.Errorf("foreign return path: got %q, want /my", got)
		}
	})
	t.Run("LinkedStaff", func(t *testing.T) {
		op := fx.Users[dost.RoleOperator]
		if _, err := f.ts.Identities.LinkIdentity(ctx, op.ID, f.issuer, "sub-staff"); err != nil {
			t.Fatal(err)
		}
		c := oidcBrowser()
		resp, _ := oidcGet(t, c, f.authorize(t, c, "", "sub-staff"))
		if got := resp.Header.Get("Location"); got != "/staff" {
			t.Errorf("got %q, want /staff", got)
		}
		if u := f.me(t, c); u == nil || u.ID != op.ID || !u.HasRole(dost.RoleOperator) {
			t.Errorf("got %+v, want the operator", u)
		}
	})
	t.Run("ReplacesSession", func(t *testing.T) {
		c := f.ts.Client(dost.RoleCaseWorker)
		before := f.me(t, c)
		oidcGet(t, c, f.authorize(t, c, "", "sub-head"))
		if u := f.me(t, c); u == nil || u.ID == before.ID || u.Username != "fin:1AB2CD3" {
			t.Errorf("got %+v, want the head's account", u)
		}
	})

	// refused checks that a callback answered status with the message
	// key's English text and left the browser signed out.
	refused := func(t *testing.T, c *http.Client, cb string, status int, text string) {
		t.Helper()
		resp, body := oidcGet(t, c, cb, "Accept-Language", "en")
		if resp.StatusCode != status || !strings.Contains(body, text) {
			t.Errorf("got %d, want %d with %q: %s", resp.StatusCode, status, text, body)
		}
		if u := f.me(t, c); u != nil {
			t.Errorf("signed in as %s after a refused callback", u.Username)
		}
	}
	t.Run("ErrTamperedState", func(t *testing.T) {
		c := oidcBrowser()
		cb, _ := url.Parse(f.authorize(t, c, "", "sub-head"))
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		refused(t, c, cb.String(), http.StatusBadRequest, "does not belong to this sign-in")
	})
	t.Run("ErrNoStateCookie", func(t *testing.T) {
		c := oidcBrowser()
		cb := f.authorize(t, c, "", "sub-head")
		refused(t, oidcBrowser(), cb, http.StatusBadRequest, "took too long")
	})
	t.Run("ErrTamperedCookie", func(t *testing.T) {
		c := oidcBrowser()
		cb := f.authorize(t, c, "", "sub-head")
		u, _ := url.Parse(f.ts.URL + "/signin/oidc/callback")
		ck := c.Jar.Cookies(u)[0]
		b := []byte(ck.Value)
		b[len(b)/2] ^= 1
		other := oidcBrowser()
		other.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: string(b), Path: "/signin/oidc"}})
		refused(t, other, cb, http.StatusBadRequest, "took too long")
	})
	t.Run("ErrCodeReplay", func(t *testing.T) {
		c := oidcBrowser()
		cb := f.authorize(t, c, "", "sub-head")
		u, _ := url.Parse(f.ts.URL + "/signin/oidc/callback")
		cookies := c.Jar.Cookies(u)
		oidcGet(t, c, cb)
		if f.me(t, c) == nil {
			t.Fatal("first use of the code did not sign in")
		}
		// The same callback again, with a copy of the state cookie: the
		// provider refuses the used code.
		thief := oidcBrowser()
		thief.Jar.SetCookies(u, cookies)
		refused(t, thief, cb, http.StatusBadGateway, "did not confirm")
		// And the state cookie is gone from the first browser.
		if resp, body := oidcGet(t, c, cb, "Accept-Language", "en"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "took too long") {
			t.Errorf("callback again: got %d: %s", resp.StatusCode, body)
		}
	})
	hooked := func(t *testing.T, hook func(map[string]any)) {
		t.Helper()
		f.provider.SetIDTokenHook(hook)
		t.Cleanup(func() { f.provider.SetIDTokenHook(nil) })
		c := oidcBrowser()
		refused(t, c, f.authorize(t, c, "", "sub-head"), http.StatusUnauthorized, "could not be verified")
	}
	t.Run("ErrWrongNonce", func(t *testing.T) { hooked(t, func(c map[string]any) { c["nonce"] = "not-the-nonce" }) })
	t.Run("ErrMissingNonce", func(t *testing.T) { hooked(t, func(c map[string]any) { delete(c, "nonce") }) })
	t.Run("ErrOtherAudience", func(t *testing.T) { hooked(t, func(c map[string]any) { c["aud"] = "another-client" }) })
	t.Run("ErrOtherIssuer", func(t *testing.T) { hooked(t, func(c map[string]any) { c["iss"] = "https://evil.example" }) })
	t.Run("ErrSeveralAudiencesNoAzp", func(t *testing.T) {
		hooked(t, func(c map[string]any) { c["aud"] = []any{oidcClientID, "another-client"} })
	})
	t.Run("ErrOtherAzp", func(t *testing.T) {
		hooked(t, func(c map[string]any) { c["aud"], c["azp"] = []any{oidcClientID, "another-client"}, "another-client" })
	})
	t.Run("SeveralAudiencesWithAzp", func(t *testing.T) {
		f.provider.SetIDTokenHook(func(c map[string]any) { c["aud"], c["azp"] = []any{oidcClientID, "another-client"}, oidcClientID })
		defer f.provider.SetIDTokenHook(nil)
		c := oidcBrowser()
		oidcGet(t, c, f.authorize(t, c, "", "sub-head"))
		if u := f.me(t, c); u == nil || u.Username != "fin:1AB2CD3" {
			t.Errorf("token for several audiences with dost as azp: got %+v", u)
		}
	})
	t.Run("ErrExpiredIDToken", func(t *testing.T) {
		hooked(t, func(c map[string]any) {
			c["exp"], c["iat"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix()
		})
	})
	t.Run("ErrUnknownFIN", func(t *testing.T) {
		c := oidcBrowser()
		cb := f.authorize(t, c, "", "sub-stranger")
		refused(t, c, cb, http.StatusForbidden, "No account was created")
		if _, err := f.ts.Users.FindUserByUsername(ctx, "fin:9ZZ9ZZ9"); dost.ErrorCode(err) != dost.ENOTFOUND {
			t.Errorf("account of an unknown person: got %v, want ENOTFOUND", err)
		}
		// The page speaks the visitor's language.
		c = oidcBrowser()
		resp, body := oidcGet(t, c, f.authorize(t, c, "", "sub-stranger"), "Accept-Language", "az")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Hesab yaradılmadı") {
			t.Errorf("az: got %d: %s", resp.StatusCode, body)
		}
		c = oidcBrowser()
		resp, body = oidcGet(t, c, f.authorize(t, c, "", "sub-stranger"), "Accept-Language", "ru")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Учётная запись не создана") {
			t.Errorf("ru: got %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("ErrNoFIN", func(t *testing.T) {
		c := oidcBrowser()
		// sub-staff is linked above; another provider subject without FIN:
		f.provider.SetIDTokenHook(func(c map[string]any) { c["sub"] = "sub-unlinked"; delete(c, "fin") })
		defer f.provider.SetIDTokenHook(nil)
		refused(t, c, f.authorize(t, c, "", "sub-head"), http.StatusForbidden, "did not tell us your FIN")
	})
	t.Run("ErrBadFIN", func(t *testing.T) {
		c := oidcBrowser()
		refused(t, c, f.authorize(t, c, "", "sub-badfin"), http.StatusForbidden, "did not tell us your FIN")
	})
	t.Run("ErrDenied", func(t *testing.T) {
		c := oidcBrowser()
		resp, _ := oidcGet(t, c, f.ts.URL+"/signin/oidc")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		form := loc.Query()
		form.Set("cancel", "1")
		resp, err := c.PostForm(f.issuer+"/authorize", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		refused(t, c, resp.Header.Get("Location"), http.StatusForbidden, "cancelled")
	})
	t.Run("ErrProviderError", func(t *testing.T) {
		c := oidcBrowser()
		resp, _ := oidcGet(t, c, f.ts.URL+"/signin/oidc")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		cb := f.ts.URL + "/signin/oidc/callback?error=server_error&state=" + url.QueryEscape(loc.Query().Get("state"))
		refused(t, c, cb, http.StatusBadGateway, "could not sign you in")
	})
}

// TestOIDCProviderDown: dost starts while the provider is down, says so
// on sign-in, and signs in once the provider is back (discovery retried).
func TestOIDCProviderDown(t *testing.T) {
	f := newOIDCFixture(t, "sqlite")
	f.swap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	c := oidcBrowser()
	resp, body := oidcGet(t, c, f.ts.URL+"/signin/oidc", "Accept-Language", "en")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "not reachable") {
		t.Fatalf("provider down: got %d: %s", resp.StatusCode, body)
	}
	f.swap(f.provider)
	// Within the retry interval the failure is remembered …
	if resp, _ := oidcGet(t, c, f.ts.URL+"/signin/oidc"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("within the retry interval: got %d, want 503", resp.StatusCode)
	}
	// … after it, discovery is tried again.
	dosttest.ClockOf(t, f.ts.DB).Advance(6 * time.Second)
	oidcGet(t, c, f.authorize(t, c, "", "sub-head"))
	if u := f.me(t, c); u == nil || u.Username != "fin:1AB2CD3" {
		t.Errorf("after the provider came back: got %+v", u)
	}
}

// TestOIDCRateLimit: the start and the callback share the sign-in limit.
func TestOIDCRateLimit(t *testing.T) {
	f := newOIDCFixture(t, "sqlite", func(s *dosthttp.Server) { s.SignInLimit = dosthttp.RateLimit{Rate: 0.001, Burst: 2} })
	c := oidcBrowser()
	for i, want := range []int{http.StatusFound, http.StatusFound, http.StatusTooManyRequests} {
		if resp, _ := oidcGet(t, c, f.ts.URL+"/signin/oidc"); resp.StatusCode != want {
			t.Errorf("start %d: got %d, want %d", i, resp.StatusCode, want)
		}
	}
	if resp, _ := oidcGet(t, c, f.ts.URL+"/signin/oidc/callback?state=x&code=y"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("callback: got %d, want 429", resp.StatusCode)
	}
}

// TestOIDCOff: without OIDC the routes answer 404 and the sign-in page
// has no button.
func TestOIDCOff(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	c := oidcBrowser()
	for _, p := range []string{"/signin/oidc", "/signin/oidc/callback", "/demo-idp/.well-known/openid-configuration"} {
		if resp, _ := oidcGet(t, c, ts.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404", p, resp.StatusCode)
		}
	}
	if _, body := oidcGet(t, c, ts.URL+"/signin"); strings.Contains(body, "signin-oidc-button") {
		t.Error("the sign-in page offers the digital login without OIDC")
	}
}

// TestOIDCNoClientSecret: without a client secret or a cookie key the
// state cookie's key would be a public constant: sign-in is refused. With
// a cookie key it is derived from that.
func TestOIDCNoClientSecret(t *testing.T) {
	f := newOIDCFixture(t, "sqlite")
	ts := dosttest.NewServer(t, "sqlite", dosttest.WithOIDC(dosthttp.OIDCConfig{Issuer: f.issuer, ClientID: oidcClientID}))
	c := oidcBrowser()
	if resp, body := oidcGet(t, c, ts.URL+"/signin/oidc", "Accept-Language", "en"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("start without a client secret: got %d, want 503: %s", resp.StatusCode, body)
	}
	// Still refused after the discovery retry interval.
	dosttest.ClockOf(t, ts.DB).Advance(time.Minute)
	if resp, _ := oidcGet(t, c, ts.URL+"/signin/oidc"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("start later: got %d, want 503", resp.StatusCode)
	}
	if !strings.Contains(ts.Logs.String(), "forgeable") {
		t.Errorf("the logs do not say why:\n%s", ts.Logs.String())
	}
	ts = dosttest.NewServer(t, "sqlite", dosttest.WithOIDC(dosthttp.OIDCConfig{Issuer: f.issuer, ClientID: oidcClientID,
		CookieKey: []byte("a-server-side-key-of-32-bytes-at-least")}))
	if resp, body := oidcGet(t, c, ts.URL+"/signin/oidc"); resp.StatusCode != http.StatusFound {
		t.Errorf("start with a cookie key: got %d, want 302: %s", resp.StatusCode, body)
	}
}

// TestOIDCDemoSubjectsListed: the demo provider signs in only the persons
// its login page lists, not anyone of the registry by a forged form.
func TestOIDCDemoSubjectsListed(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite", dosttest.WithOIDC(dosthttp.OIDCConfig{Demo: true}))
	var last *dost.Person
	for i := range oidcprovider.LoginPageSubjects + 1 {
		last = &dost.Person{FIN: dost.FIN(fmt.Sprintf("9ZY%04d", i)), FirstName: "Test", LastName: "Zeynalov", Patronymic: "Test",
			BirthDate: dost.MustDate("1980-01-01"), Sex: dost.SexMale, Region: "Baku", District: "Nizami", Address: "Street 1"}
		if err := ts.Persons.CreatePerson(context.Background(), last); err != nil {
			t.Fatal(err)
		}
	}
	c := oidcBrowser()
	resp, _ := oidcGet(t, c, ts.URL+"/signin/oidc")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("start: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := oidcGet(t, c, loc.String()); strings.Contains(page, fmt.Sprintf(`value="person-%d"`, last.ID)) {
		t.Fatal("the test needs a person the login page does not list")
	}
	form := loc.Query()
	form.Set("subject", fmt.Sprintf("person-%d", last.ID))
	resp, err = c.PostForm(ts.URL+"/demo-idp/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unlisted person: got %d to %q, want 400", resp.StatusCode, resp.Header.Get("Location"))
	}
	form.Set("subject", fmt.Sprintf("person-%d", ts.Fixtures.Head.ID))
	resp, err = c.PostForm(ts.URL+"/demo-idp/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/signin/oidc/callback?") {
		t.Errorf("listed person: got %d to %q, want 303 back to dost", resp.StatusCode, resp.Header.Get("Location"))
	}
}
