package http

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/oidcprovider"
)

// DefaultFINClaim is the ID token claim that carries the FIN, unless
// OIDCConfig.FINClaim names another.
const DefaultFINClaim = "fin"

// Paths of sign-in through OpenID Connect.
const (
	oidcStartPath    = "/signin/oidc"
	oidcCallbackPath = "/signin/oidc/callback"
	demoIdPPath      = "/demo-idp"
)

// OIDCConfig configures sign-in through an OpenID Connect provider (the
// national digital login). dost is a confidential client using the
// authorization code flow with PKCE (S256) and a nonce.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is
	// fetched on the first sign-in (and again, at most every
	// oidcRetryInterval, until it succeeds), so dost starts while the
	// provider is down.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback as registered at the
	// provider; empty: BaseURL + "/signin/oidc/callback".
	RedirectURL string
	// BaseURL is dost's public address, e.g. "https://dost.gov.az";
	// empty: the listening server's URL.
	BaseURL string
	// FINClaim names the ID token claim holding the FIN; empty:
	// DefaultFINClaim.
	FINClaim string
	// Demo mounts the demo provider (package oidcprovider) at /demo-idp,
	// signing in the persons of the registry, and signs in through it:
	// Issuer, ClientID and ClientSecret are then made up (BaseURL +
	// "/demo-idp"). For demo mode only: anyone may sign in as anyone.
	Demo bool
	// HTTPClient talks to the provider; nil: a client with a 10 s
	// timeout. (The demo provider is called in-process.)
	HTTPClient *http.Client
	// CookieKey is a server-side secret, the same on every node, from
	// which the key sealing the state cookie is derived (serve passes the
	// feedback key: DOST_FEEDBACK_KEY, or the key the nodes share in the
	// database). Empty: it is derived from ClientSecret. With
	// neither (and not Demo) sign-in is refused: the key would be a
	// public constant and the state cookie forgeable.
	CookieKey []byte
}

// oidcRetryInterval is how long a failed discovery is remembered before
// the next sign-in tries again.
const oidcRetryInterval = 5 * time.Second

// oidcStateTTL is how long a started sign-in may take at the provider.
const oidcStateTTL = 10 * time.Minute

// oidcRP is the relying party's state, made on first use from
// Server.OIDC. The zero value is ready.
type oidcRP struct {
	once sync.Once // sets cfg, key, demo, client
	cfg  OIDCConfig
	key  []byte                 // AES-256 key of the state cookie
	demo *oidcprovider.Provider // with cfg.Demo
	http *http.Client

	mu       sync.Mutex // guards the fields below
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	tried    time.Time // the last failed discovery
	err      error     // its error

	fatal error // a configuration that cannot sign anyone in; set once
}

// oidcClient is what a sign-in needs from a discovered provider.
type oidcClient struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	http     *http.Client
	issuer   string
	finClaim string
}

// oidcSetup resolves Server.OIDC once: base and redirect URLs, the
// demo provider, the cookie key. It returns nil when OIDC is off.
func (s *Server) oidcSetup() *oidcRP {
	if s.OIDC == nil {
		return nil
	}
	rp := &s.oidcRP
	rp.once.Do(func() {
		cfg := *s.OIDC
		if cfg.BaseURL == "" {
			cfg.BaseURL = s.URL()
		}
		cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
		if cfg.RedirectURL == "" {
			cfg.RedirectURL = cfg.BaseURL + oidcCallbackPath
		}
		if cfg.FINClaim == "" {
			cfg.FINClaim = DefaultFINClaim
		}
		rp.http = cfg.HTTPClient
		if rp.http == nil {
			rp.http = &http.Client{Timeout: 10 * time.Second}
		}
		if cfg.Demo {
			cfg.Issuer, cfg.ClientID, cfg.ClientSecret = cfg.BaseURL+demoIdPPath, "dost-demo", randomText(24)
			p, err := oidcprovider.New(oidcprovider.Config{
				Issuer: cfg.Issuer, Subjects: demoSubjects{s.PersonService}, Title: "Demo digital login · DOST",
				Clients: []oidcprovider.Client{{ID: cfg.ClientID, Secret: cfg.ClientSecret, RedirectURIs: []string{cfg.RedirectURL}}},
			})
			if err != nil {
				rp.fatal = err
			} else {
				rp.demo = p
				// The demo provider is called in-process: dost need
				// not reach its own public address.
				rp.http = &http.Client{Timeout: 10 * time.Second, Transport: handlerTransport{p}}
			}
		}
		secret := cfg.CookieKey
		if len(secret) == 0 {
			secret = []byte(cfg.ClientSecret)
		}
		if len(secret) == 0 && rp.fatal == nil {
			rp.fatal = errors.New("oidc: neither a client secret nor a cookie key: the state cookie would be forgeable")
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte("dost oidc state cookie v1"))
		rp.key = mac.Sum(nil)
		rp.cfg = cfg
	})
	return rp
}

// client returns the discovered provider, discovering it now if need be.
// A failure is remembered for oidcRetryInterval, so a provider that is
// down is not asked on every request. A configuration that cannot sign
// anyone in (rp.fatal) fails every time.
func (rp *oidcRP) client(now time.Time) (*oidcClient, error) {
	if rp.fatal != nil {
		return nil, rp.fatal
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider == nil {
		if rp.err != nil && now.Sub(rp.tried) < oidcRetryInterval {
			return nil, rp.err
		}
		// The key set keeps this context to fetch rotated keys later: it
		// must outlive the request.
		ctx := oidc.ClientContext(context.Background(), rp.http)
		p, err := oidc.NewProvider(ctx, rp.cfg.Issuer)
		if err != nil {
			rp.tried, rp.err = now, fmt.Errorf("oidc discovery %s: %w", rp.cfg.Issuer, err)
			return nil, rp.err
		}
		rp.provider, rp.err = p, nil
		rp.verifier = p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID})
	}
	return &oidcClient{
		oauth: oauth2.Config{ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret, RedirectURL: rp.cfg.RedirectURL,
			Endpoint: rp.provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"}},
		verifier: rp.verifier, http: rp.http, issuer: rp.cfg.Issuer, finClaim: rp.cfg.FINClaim,
	}, nil
}

// handlerTransport serves requests with a handler in-process (the demo
// provider's discovery, keys and token endpoint).
type handlerTransport struct{ h http.Handler }

// RoundTrip implements http.RoundTripper.
func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := &bufferedResponse{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status: strconv.Itoa(w.status) + " " + http.StatusText(w.status), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: w.header,
		Body: io.NopCloser(&w.body), ContentLength: int64(w.body.Len()), Request: r,
	}, nil
}

// bufferedResponse is an http.ResponseWriter that keeps the response.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// oidcState is what the state cookie carries from the start of a sign-in
// to its callback.
type oidcState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE
	Next     string `json:"r"` // local path to return to
	Expires  int64  `json:"e"` // Unix seconds
}

// oidcCookie is the state cookie's name; it is sent only to
// /signin/oidc…, is HttpOnly and SameSite=Lax (the provider's redirect
// back is a top-level GET, which Lax admits).
const oidcCookie = "dost_oidc"

// encodeOIDCState seals st with AES-256-GCM under key: the browser can
// neither read nor change it.
func encodeOIDCState(key []byte, st oidcState) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(oidcCookie))), nil
}

// errOIDCState is any state cookie that is not one this server made and
// still valid.
var errOIDCState = errors.New("bad or expired sign-in state")

// maxOIDCCookie bounds the cookie a decoder looks at.
const maxOIDCCookie = 2048

// decodeOIDCState opens a state cookie sealed by encodeOIDCState and
// checks its expiry and contents. Any fault is errOIDCState.
func decodeOIDCState(key []byte, value string, now time.Time) (*oidcState, error) {
	if len(value) > maxOIDCCookie {
		return nil, errOIDCState
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(b) < aead.NonceSize()+aead.Overhead() {
		return nil, errOIDCState
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(oidcCookie))
	if err != nil {
		return nil, errOIDCState
	}
	var st oidcState
	if err := json.Unmarshal(plain, &st); err != nil || st.State == "" || st.Nonce == "" || st.Verifier == "" ||
		now.Unix() >= st.Expires || st.Next != localPath(st.Next) {
		return nil, errOIDCState
	}
	return &st, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("state cookie key: %w", err)
	}
	return cipher.NewGCM(block)
}

// randomText returns n random bytes, base64url-encoded.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// demoSubjects are the demo provider's subjects: the persons of the
// registry its login page lists (the first oidcprovider.LoginPageSubjects
// by name), "person-<id>", with the masked FIN shown. Only they sign in:
// a form naming anyone else of the registry is refused.
type demoSubjects struct{ persons dost.PersonService }

// ListSubjects implements oidcprovider.Subjects.
func (d demoSubjects) ListSubjects(ctx context.Context, limit int) ([]oidcprovider.Subject, error) {
	ps, _, err := d.persons.FindPersons(ctx, dost.PersonFilter{Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]oidcprovider.Subject, len(ps))
	for i, p := range ps {
		out[i] = demoSubject(p)
	}
	return out, nil
}

// FindSubject implements oidcprovider.Subjects.
func (d demoSubjects) FindSubject(ctx context.Context, id string) (oidcprovider.Subject, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "person-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "person-") {
		return oidcprovider.Subject{}, fmt.Errorf("subject %q: %w", id, oidcprovider.ErrUnknownSubject)
	}
	p, err := d.persons.FindPersonByID(ctx, n)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return oidcprovider.Subject{}, fmt.Errorf("subject %q: %w", id, oidcprovider.ErrUnknownSubject)
	} else if err != nil {
		return oidcprovider.Subject{}, err
	}
	listed, err := d.ListSubjects(ctx, oidcprovider.LoginPageSubjects)
	if err != nil {
		return oidcprovider.Subject{}, err
	}
	for _, s := range listed {
		if s.ID == id {
			return demoSubject(p), nil
		}
	}
	return oidcprovider.Subject{}, fmt.Errorf("subject %q is not on the login page: %w", id, oidcprovider.ErrUnknownSubject)
}

func demoSubject(p *dost.Person) oidcprovider.Subject {
	return oidcprovider.Subject{ID: "person-" + strconv.FormatInt(p.ID, 10), Name: p.FullName(), FIN: string(p.FIN), Label: p.FIN.Masked()}
}
