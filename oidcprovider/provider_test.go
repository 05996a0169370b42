package oidcprovider_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dost-az/dost/oidcprovider"
)

const (
	clientID    = "dost"
	secret      = "s3cret-of-the-client"
	redirectURI = "https://rp.example/callback"
)

var subjects = oidcprovider.StaticSubjects{
	{ID: "sub-1", Name: "Rashad Aliyev", FIN: "1AB2CD3", Label: "1*****3"},
	{ID: "sub-2", Name: "Leyla Aliyeva", FIN: "2EF3GH4", Label: "2*****4"},
}

// fixture is a provider served over loopback with a clock the test moves.
type fixture struct {
	p      *oidcprovider.Provider
	url    string // the issuer
	client *http.Client

	mu  sync.Mutex // guards now
	now time.Time
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Now()}
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/idp"
	p, err := oidcprovider.New(oidcprovider.Config{
		Issuer: f.url, Subjects: subjects, Now: f.clock,
		Clients: []oidcprovider.Client{{ID: clientID, Secret: secret, RedirectURIs: []string{redirectURI}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.p, h = p, p
	f.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f
}

// request is an authorization request's parameters with a verifier.
type request struct {
	params   url.Values
	verifier string
}

func newRequest() request {
	v := oauth2.GenerateVerifier()
	return request{verifier: v, params: url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"scope": {"openid profile"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(v)}, "code_challenge_method": {"S256"},
	}}
}

// login shows the login page, picks subject sub-1 and returns the code.
func (f *fixture) login(t *testing.T, req request) string {
	t.Helper()
	resp, err := f.client.Get(f.url + "/authorize?" + req.params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Rashad Aliyev (1*****3)") {
		t.Fatalf("login page: status %d: %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "1AB2CD3") {
		t.Errorf("login page shows a full FIN")
	}
	form := url.Values{}
	for k, v := range req.params {
		form[k] = v
	}
	form.Set("subject", "sub-1")
	resp, err = f.client.PostForm(f.url+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("choice: status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := loc.Query().Get("state"); got != "st-1" {
		t.Errorf("state: got %q, want st-1", got)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Errorf("redirected to %s, want %s", got, redirectURI)
	}
	return loc.Query().Get("code")
}

// exchange posts the code to /token with client_secret_post.
func (f *fixture) exchange(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := f.client.PostForm(f.url+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("token response: %v", err)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", cc)
	}
	return resp.StatusCode, out
}

func tokenForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {verifier}, "client_id": {clientID}, "client_secret": {secret}}
}

// TestProviderGoOIDC runs the whole flow with golang.org/x/oauth2 (Basic
// client authentication) and verifies the ID token with go-oidc.
func TestProviderGoOIDC(t *testing.T) {
	f := newFixture(t)
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	op, err := oidc.NewProvider(ctx, f.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirectURI,
		Endpoint: op.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"}}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	req := newRequest()
	authURL, _ := url.Parse(cfg.AuthCodeURL("st-1", oidc.Nonce("n-1"), oauth2.S256ChallengeOption(req.verifier)))
	req.params = authURL.Query()
	code := f.login(t, req)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(req.verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := op.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	var claims struct {
		Name, FIN, Nonce string
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "sub-1" || claims.FIN != "1AB2CD3" || claims.Name != "Rashad Aliyev" || claims.Nonce != "n-1" || idt.Issuer != f.url {
		t.Errorf("claims: got sub %q iss %q %+v", idt.Subject, idt.Issuer, claims)
	}
	info, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != "sub-1" {
		t.Errorf("userinfo sub: got %q, want sub-1", info.Subject)
	}
	// A token from another provider (another key) fails verification.
	other := newFixture(t)
	oreq := newRequest()
	_, out := other.exchange(t, tokenForm(other.login(t, oreq), oreq.verifier))
	if _, err := op.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, out["id_token"].(string)); err == nil {
		t.Error("an ID token of another issuer verified")
	}
}

// TestProviderErrors checks each refusal and its OAuth error.
func TestProviderErrors(t *testing.T) {
	f := newFixture(t)
	good := func(t *testing.T) (string, string) {
		req := newRequest()
		return f.login(t, req), req.verifier
	}
	wantError := func(t *testing.T, status int, out map[string]any, wantStatus int, wantCode string) {
		t.Helper()
		if status != wantStatus || out["error"] != wantCode {
			t.Errorf("got %d %v, want %d %s", status, out, wantStatus, wantCode)
		}
		if _, ok := out["id_token"]; ok {
			t.Error("an error response carries an ID token")
		}
	}

	t.Run("OK", func(t *testing.T) {
		code, v := good(t)
		status, out := f.exchange(t, tokenForm(code, v))
		if status != http.StatusOK || out["id_token"] == nil || out["token_type"] != "Bearer" {
			t.Fatalf("got %d %v", status, out)
		}
	})
	t.Run("ErrBadClientSecret", func(t *testing.T) {
		code, v := good(t)
		form := tokenForm(code, v)
		form.Set("client_secret", "wrong")
		status, out := f.exchange(t, form)
		wantError(t, status, out, http.StatusUnauthorized, "invalid_client")
		// The code was not used up by the failed authentication.
		status, _ = f.exchange(t, tokenForm(code, v))
		if status != http.StatusOK {
			t.Errorf("the right client after a wrong secret: got %d, want 200", status)
		}
	})
	t.Run("ErrBadBasicSecret", func(t *testing.T) {
		code, v := good(t)
		form := tokenForm(code, v)
		form.Del("client_secret")
		form.Del("client_id")
		r, _ := http.NewRequest("POST", f.url+"/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(clientID, "wrong")
		resp, err := f.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("got %d, want 401 with WWW-Authenticate", resp.StatusCode)
		}
	})
	t.Run("ErrWrongRedirectURI", func(t *testing.T) {
		code, v := good(t)
		form := tokenForm(code, v)
		form.Set("redirect_uri", "https://rp.example/other")
		status, out := f.exchange(t, form)
		wantError(t, status, out, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("ErrReusedCode", func(t *testing.T) {
		code, v := good(t)
		status, out := f.exchange(t, tokenForm(code, v))
		if status != http.StatusOK {
			t.Fatalf("first use: %d %v", status, out)
		}
		access := out["access_token"].(string)
		status, out = f.exchange(t, tokenForm(code, v))
		wantError(t, status, out, http.StatusBadRequest, "invalid_grant")
		// The reuse revoked the first use's access token.
		r, _ := http.NewRequest("GET", f.url+"/userinfo", nil)
		r.Header.Set("Authorization", "Bearer "+access)
		resp, err := f.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo after code reuse: got %d, want 401", resp.StatusCode)
		}
	})
	t.Run("ErrWrongVerifier", func(t *testing.T) {
		code, _ := good(t)
		status, out := f.exchange(t, tokenForm(code, oauth2.GenerateVerifier()))
		wantError(t, status, out, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("ErrMissingVerifier", func(t *testing.T) {
		code, _ := good(t)
		status, out := f.exchange(t, tokenForm(code, ""))
		wantError(t, status, out, http.StatusBadRequest, "invalid_request")
	})
	t.Run("ErrExpiredCode", func(t *testing.T) {
		code, v := good(t)
		f.advance(oidcprovider.DefaultCodeTTL + time.Second)
		status, out := f.exchange(t, tokenForm(code, v))
		wantError(t, status, out, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("ErrUnknownCode", func(t *testing.T) {
		status, out := f.exchange(t, tokenForm("nope", oauth2.GenerateVerifier()))
		wantError(t, status, out, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("ErrGrantType", func(t *testing.T) {
		form := tokenForm("x", oauth2.GenerateVerifier())
		form.Set("grant_type", "password")
		status, out := f.exchange(t, form)
		wantError(t, status, out, http.StatusBadRequest, "unsupported_grant_type")
	})
	t.Run("ErrUserinfoNoToken", func(t *testing.T) {
		resp, err := f.client.Get(f.url + "/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("got %d, want 401", resp.StatusCode)
		}
	})
}

// TestProviderAuthorizeErrors checks the authorization endpoint: a wrong
// client or redirect URI is shown, never redirected; other errors go back
// to the client; cancel is access_denied.
func TestProviderAuthorizeErrors(t *testing.T) {
	f := newFixture(t)
	get := func(t *testing.T, change func(url.Values)) *http.Response {
		t.Helper()
		req := newRequest()
		change(req.params)
		resp, err := f.client.Get(f.url + "/authorize?" + req.params.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for name, change := range map[string]func(url.Values){
		"ErrUnknownClient":     func(v url.Values) { v.Set("client_id", "evil") },
		"ErrWrongRedirectURI":  func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") },
		"ErrRedirectURIPrefix": func(v url.Values) { v.Set("redirect_uri", redirectURI+"/more") },
	} {
		t.Run(name, func(t *testing.T) {
			resp := get(t, change)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("got %d to %q, want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	for name, tc := range map[string]struct {
		change func(url.Values)
		code   string
	}{
		"ErrNoPKCE":       {func(v url.Values) { v.Del("code_challenge") }, "invalid_request"},
		"ErrPlainPKCE":    {func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request"},
		"ErrResponseType": {func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		"ErrNoOpenID":     {func(v url.Values) { v.Set("scope", "profile") }, "invalid_scope"},
	} {
		t.Run(name, func(t *testing.T) {
			resp := get(t, tc.change)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("error") != tc.code || loc.Query().Get("state") != "st-1" {
				t.Errorf("got %d to %q, want 303 with error %s", resp.StatusCode, resp.Header.Get("Location"), tc.code)
			}
		})
	}
	t.Run("Cancel", func(t *testing.T) {
		req := newRequest()
		req.params.Set("cancel", "1")
		resp, err := f.client.PostForm(f.url+"/authorize", req.params)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" {
			t.Errorf("cancel: got %q", resp.Header.Get("Location"))
		}
	})
	t.Run("ErrUnknownSubject", func(t *testing.T) {
		req := newRequest()
		req.params.Set("subject", "nobody")
		resp, err := f.client.PostForm(f.url+"/authorize", req.params)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("got %d to %q, want 400", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}
