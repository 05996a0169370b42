// Package oidcprovider is a small but real OpenID Provider: discovery,
// JWKS, the authorization code flow with PKCE (S256, required), the token
// endpoint (client_secret_basic and client_secret_post) issuing RS256 ID
// tokens, and userinfo. dost mounts it at /demo-idp in demo mode, so that
// anyone can sign in as one of the synthetic citizens, and its tests run
// the relying party against it over loopback.
//
// It is not the national digital-login service. Its signing key is made at
// start, and codes and tokens live in the memory of one process: a restart
// forgets them, and two processes do not share them. Whoever may reach its
// login page may sign in as any subject it lists.
package oidcprovider

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Subject is someone the provider may sign in.
type Subject struct {
	// ID is the subject identifier, the ID token's "sub": stable and
	// unique at this provider.
	ID string
	// Name is the full name (claim "name").
	Name string
	// FIN is the personal identification number (claim "fin").
	FIN string
	// Label is what the login page shows next to the name, e.g. the
	// masked FIN; never the full FIN.
	Label string
}

// Subjects is where the provider finds whom it may sign in. It must be safe
// for concurrent use.
type Subjects interface {
	// ListSubjects returns up to limit subjects for the login page.
	ListSubjects(ctx context.Context, limit int) ([]Subject, error)
	// FindSubject returns the subject with the ID; an error wrapping
	// ErrUnknownSubject if there is none.
	FindSubject(ctx context.Context, id string) (Subject, error)
}

// ErrUnknownSubject is returned (wrapped) by Subjects.FindSubject for an ID
// it does not know.
var ErrUnknownSubject = errors.New("unknown subject")

// StaticSubjects is a fixed list of subjects.
type StaticSubjects []Subject

// ListSubjects returns the first limit subjects.
func (s StaticSubjects) ListSubjects(_ context.Context, limit int) ([]Subject, error) {
	return s[:min(limit, len(s))], nil
}

// FindSubject returns the subject with the ID.
func (s StaticSubjects) FindSubject(_ context.Context, id string) (Subject, error) {
	for _, x := range s {
		if x.ID == id {
			return x, nil
		}
	}
	return Subject{}, fmt.Errorf("subject %q: %w", id, ErrUnknownSubject)
}

// Client is a relying party registered at the provider.
type Client struct {
	ID     string
	Secret string
	// RedirectURIs are the exact redirect URIs the client may use.
	RedirectURIs []string
}

// Lifetimes of what the provider issues.
const (
	DefaultCodeTTL  = time.Minute
	DefaultTokenTTL = 10 * time.Minute
	// LoginPageSubjects is how many subjects the login page lists.
	LoginPageSubjects = 30
)

// Config configures a Provider.
type Config struct {
	// Issuer is the provider's URL, e.g. "https://idp.example/demo-idp":
	// every endpoint is under its path, and it is the ID tokens' "iss".
	Issuer   string
	Clients  []Client
	Subjects Subjects
	// CodeTTL and TokenTTL default to DefaultCodeTTL and DefaultTokenTTL.
	CodeTTL, TokenTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Title names the provider on its login page.
	Title string
}

// Provider is an OpenID Provider; it is an http.Handler serving the
// endpoints under its issuer's path. It is safe for concurrent use.
type Provider struct {
	issuer   string
	prefix   string // the issuer's path without a trailing slash
	subjects Subjects
	codeTTL  time.Duration
	tokenTTL time.Duration
	now      func() time.Time
	title    string

	key    *rsa.PrivateKey
	kid    string
	signer jose.Signer

	mu      sync.Mutex // mu guards hook, clients, codes and tokens
	hook    func(claims map[string]any)
	clients map[string]Client
	codes   map[string]*grant // by code
	tokens  map[string]*grant // by access token
}

// grant is what an authorization code stands for, and then its access
// token.
type grant struct {
	clientID      string
	redirectURI   string
	subject       Subject
	nonce         string
	challenge     string // PKCE S256 code challenge
	expires       time.Time
	used          bool
	accessToken   string // once the code is exchanged
	accessExpires time.Time
}

// New returns a Provider with a fresh 2048-bit RSA signing key.
func New(cfg Config) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("oidcprovider: issuer %q: want an http(s) URL without query", cfg.Issuer)
	}
	if cfg.Subjects == nil {
		return nil, errors.New("oidcprovider: no subjects")
	}
	p := &Provider{
		issuer: strings.TrimSuffix(cfg.Issuer, "/"), prefix: strings.TrimSuffix(u.Path, "/"),
		subjects: cfg.Subjects, codeTTL: cfg.CodeTTL, tokenTTL: cfg.TokenTTL, now: cfg.Now, title: cfg.Title,
		clients: map[string]Client{}, codes: map[string]*grant{}, tokens: map[string]*grant{},
	}
	if p.codeTTL <= 0 {
		p.codeTTL = DefaultCodeTTL
	}
	if p.tokenTTL <= 0 {
		p.tokenTTL = DefaultTokenTTL
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.title == "" {
		p.title = "Demo digital login"
	}
	for _, c := range cfg.Clients {
		if err := p.AddClient(c); err != nil {
			return nil, err
		}
	}
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, fmt.Errorf("oidcprovider: key: %w", err)
	}
	p.kid = randomString(9)
	p.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: p.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: signer: %w", err)
	}
	return p, nil
}

// AddClient registers (or replaces) a client. It needs an ID, a secret and
// at least one absolute redirect URI.
func (p *Provider) AddClient(c Client) error {
	if c.ID == "" || c.Secret == "" || len(c.RedirectURIs) == 0 {
		return fmt.Errorf("oidcprovider: client %q needs an id, a secret and a redirect URI", c.ID)
	}
	for _, r := range c.RedirectURIs {
		if u, err := url.Parse(r); err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("oidcprovider: client %q: redirect URI %q is not absolute", c.ID, r)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[c.ID] = c
	return nil
}

// SetIDTokenHook sets a function that may change the claims of each ID
// token before it is signed (nil: none). It is for tests of relying
// parties: a wrong nonce, another audience, an expired token.
func (p *Provider) SetIDTokenHook(hook func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = hook
}

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// ServeHTTP serves the endpoints under the issuer's path:
// /.well-known/openid-configuration, /jwks, /authorize (GET: the login
// page; POST: the choice), /token and /userinfo.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, p.prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case rest == "/.well-known/openid-configuration" && r.Method == http.MethodGet:
		p.serveDiscovery(w)
	case rest == "/jwks" && r.Method == http.MethodGet:
		p.serveJWKS(w)
	case rest == "/authorize" && r.Method == http.MethodGet:
		p.serveAuthorize(w, r)
	case rest == "/authorize" && r.Method == http.MethodPost:
		p.serveDecide(w, r)
	case rest == "/token" && r.Method == http.MethodPost:
		p.serveToken(w, r)
	case rest == "/userinfo" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		p.serveUserinfo(w, r)
	case rest == "/authorize" || rest == "/token" || rest == "/userinfo" || rest == "/jwks" ||
		rest == "/.well-known/openid-configuration":
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

// serveDiscovery answers the OpenID Provider metadata.
func (p *Provider) serveDiscovery(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.issuer + "/authorize",
		"token_endpoint":                        p.issuer + "/token",
		"userinfo_endpoint":                     p.issuer + "/userinfo",
		"jwks_uri":                              p.issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nonce", "name", "fin"},
	})
}

// serveJWKS answers the public signing key.
func (p *Provider) serveJWKS(w http.ResponseWriter) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
	writeJSON(w, http.StatusOK, set)
}

// writeJSON writes v as a JSON response that no cache keeps.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// s256 is the PKCE S256 challenge of a verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
