package main_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/sqlstore"
)

// TestServeDemoOIDC starts `dost serve --demo` and signs in through the
// demo provider at /demo-idp over HTTP, as a browser would: the
// provider's issuer is the server's own URL, and dost reaches it
// in-process.
func TestServeDemoOIDC(t *testing.T) {
	var out, logs bytes.Buffer
	m := main.NewMain(&out, &logs)
	m.Config = main.DefaultConfig()
	m.Config.Database = ""
	if err := m.ParseFlags(context.Background(), []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--demo", "--demo-persons", "30", "--jobs=false"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\nlogs: %s", err, logs.String())
	}
	defer m.Close()
	base := m.HTTPServer.URL()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	if _, body := get(base + "/signin?lang=en"); !strings.Contains(body, "Sign in with the digital login (demo)") {
		t.Fatalf("sign-in page without the demo button:\n%s", body)
	}
	resp, body := get(base + "/signin/oidc")
	authURL, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || authURL == nil || !strings.HasPrefix(authURL.String(), base+"/demo-idp/authorize?") {
		t.Fatalf("start: %d to %q: %s\nlogs: %s", resp.StatusCode, resp.Header.Get("Location"), body, logs.String())
	}
	_, page := get(authURL.String())
	m1 := regexp.MustCompile(`name="subject" value="(person-\d+)"`).FindStringSubmatch(page)
	if m1 == nil {
		t.Fatalf("login page lists nobody:\n%s", page)
	}
	form := authURL.Query()
	form.Set("subject", m1[1])
	resp, err := c.PostForm(base+"/demo-idp/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, body = get(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/my" {
		t.Fatalf("callback: %d to %q: %s\nlogs: %s", resp.StatusCode, resp.Header.Get("Location"), body, logs.String())
	}
	if resp, body := get(base + "/api/v1/me"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"fin:`) {
		t.Errorf("me: %d %s", resp.StatusCode, body)
	}
}

// TestServeOIDCFlags checks that a provider configured by halves is
// refused at start.
func TestServeOIDCFlags(t *testing.T) {
	t.Setenv("DOST_OIDC_CLIENT_SECRET", "")
	for _, args := range [][]string{
		{"--oidc-issuer", "https://login.example"},
		{"--oidc-issuer", "https://login.example", "--oidc-client-id", "dost"},
		{"--oidc-issuer", "ftp://login.example", "--oidc-client-id", "dost", "--oidc-client-secret", "x"},
		{"--oidc-client-id", "dost"},
		{"--oidc-issuer", "https://login.example", "--oidc-client-id", "dost", "--oidc-client-secret", "x", "--oidc-fin-claim", " "},
	} {
		var out, logs bytes.Buffer
		if err := main.NewMain(&out, &logs).ParseFlags(context.Background(), args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	t.Setenv("DOST_OIDC_CLIENT_SECRET", "from-the-environment")
	var out, logs bytes.Buffer
	if err := main.NewMain(&out, &logs).ParseFlags(context.Background(),
		[]string{"--oidc-issuer", "https://login.example", "--oidc-client-id", "dost"}); err != nil {
		t.Errorf("secret from the environment: %v", err)
	}
}

// TestUserLinkOIDC links a staff account to an identity with `dost user
// link-oidc` and checks the refusals.
func TestUserLinkOIDC(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "dost.db")
	var out, logs bytes.Buffer
	run := func(args ...string) error {
		out.Reset()
		return main.Run(ctx, args, &out, &logs)
	}
	if err := run("migrate", "--database", db); err != nil {
		t.Fatal(err)
	}
	if err := run("demo", "--database", db, "--persons", "-1"); err != nil {
		t.Fatalf("demo: %v\n%s", err, logs.String())
	}
	const iss = "https://login.example.gov.az"
	if err := run("user", "link-oidc", "--database", db, "--user", "operator", "--issuer", iss, "--subject", "sub-42"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "linked user operator") {
		t.Errorf("output: %s", out.String())
	}
	u, err := sqlstore.NewIdentityService(openDB(t, db)).FindUserByIdentity(ctx, iss, "sub-42")
	if err != nil || u.Username != "operator" {
		t.Fatalf("linked user: got %+v, %v", u, err)
	}
	// Again to the same user: fine; to another: refused.
	if err := run("user", "link-oidc", "--database", db, "--user", "operator", "--issuer", iss, "--subject", "sub-42"); err != nil {
		t.Errorf("linking again: %v", err)
	}
	for _, args := range [][]string{
		{"--user", "admin", "--issuer", iss, "--subject", "sub-42"},
		{"--user", "nobody", "--issuer", iss, "--subject", "sub-43"},
		{"--user", "admin", "--issuer", iss},
		{"--user", "admin", "--subject", "x"},
	} {
		if err := run(append([]string{"user", "link-oidc", "--database", db}, args...)...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestServeUsageHidesOIDCSecret checks that the usage printed on -h or a
// mistyped flag never shows the client secret of the environment, which
// is still used when the flag is not given.
func TestServeUsageHidesOIDCSecret(t *testing.T) {
	const secret = "s3cret-from-the-environment"
	t.Setenv("DOST_OIDC_CLIENT_SECRET", secret)
	for _, args := range [][]string{{"-h"}, {"--no-such-flag"}} {
		var out, logs bytes.Buffer
		if err := main.NewMain(&out, &logs).ParseFlags(context.Background(), args); err == nil {
			t.Errorf("%v: no error", args)
		}
		if !strings.Contains(logs.String(), "-oidc-client-secret") {
			t.Errorf("%v: no usage printed:\n%s", args, logs.String())
		}
		if strings.Contains(out.String()+logs.String(), secret) {
			t.Errorf("%v: usage shows the client secret:\n%s", args, logs.String())
		}
	}
}

// TestServeDemoIdPOff checks that the demo provider, which signs in as
// anyone of the registry, is mounted only by `dost serve --demo` without
// a real provider: without --demo, and with --demo and --oidc-issuer,
// /demo-idp answers 404.
func TestServeDemoIdPOff(t *testing.T) {
	t.Setenv("DOST_OIDC_CLIENT_SECRET", "")
	for name, tc := range map[string]struct {
		args []string
		want int
	}{
		"no demo": {nil, http.StatusNotFound},
		"demo with a provider": {[]string{"--demo", "--demo-persons", "5", "--oidc-issuer", "https://login.example.gov.az",
			"--oidc-client-id", "dost", "--oidc-client-secret", "s3cret"}, http.StatusNotFound},
		"demo": {[]string{"--demo", "--demo-persons", "5"}, http.StatusOK}, // the control
	} {
		t.Run(name, func(t *testing.T) {
			var out, logs bytes.Buffer
			m := main.NewMain(&out, &logs)
			m.Config = main.DefaultConfig()
			m.Config.Database = ""
			args := append([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--jobs=false"}, tc.args...)
			if err := m.ParseFlags(context.Background(), args); err != nil {
				t.Fatal(err)
			}
			if err := m.Run(context.Background()); err != nil {
				t.Fatalf("run: %v\nlogs: %s", err, logs.String())
			}
			defer m.Close()
			for _, p := range []string{"/demo-idp/.well-known/openid-configuration", "/demo-idp/jwks"} {
				resp, err := http.Get(m.HTTPServer.URL() + p)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("%s: got %d, want %d", p, resp.StatusCode, tc.want)
				}
			}
		})
	}
}
