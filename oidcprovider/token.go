package oidcprovider

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// tokenError is an OAuth error response of the token endpoint (RFC 6749
// §5.2).
type tokenError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeTokenError writes an OAuth error; invalid_client is 401 and asks
// for Basic authentication, the others are 400.
func writeTokenError(w http.ResponseWriter, code, description string) {
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, tokenError{Code: code, Description: description})
}

// serveToken handles POST /token: the authorization code grant. The client
// authenticates with HTTP Basic (client_secret_basic) or form fields
// (client_secret_post), not both. A code is good once, for CodeTTL, for the
// client and redirect URI it was issued to and with the PKCE verifier of
// its challenge; a second use also revokes the access token the first use
// got (RFC 6749 §4.1.2).
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, "invalid_request", "The body is not a form.")
		return
	}
	form := r.PostForm
	client, ok := p.authenticateClient(r, form)
	if !ok {
		writeTokenError(w, "invalid_client", "Client authentication failed.")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		writeTokenError(w, "unsupported_grant_type", "Only authorization_code is supported.")
		return
	}
	code, verifier := form.Get("code"), form.Get("code_verifier")
	if code == "" {
		writeTokenError(w, "invalid_request", "The code is missing.")
		return
	}
	if len(verifier) < 43 || len(verifier) > 128 {
		writeTokenError(w, "invalid_request", "The code_verifier is missing or malformed.")
		return
	}

	now := p.now()
	p.mu.Lock()
	g, ok := p.codes[code]
	switch {
	case !ok:
		p.mu.Unlock()
		writeTokenError(w, "invalid_grant", "Unknown code.")
		return
	case g.used:
		delete(p.tokens, g.accessToken)
		p.mu.Unlock()
		writeTokenError(w, "invalid_grant", "The code was used already.")
		return
	}
	// Any attempt uses the code up: a wrong verifier or redirect URI
	// means someone else holds it.
	g.used = true
	var fail string
	switch {
	case g.clientID != client.ID:
		fail = "The code was issued to another client."
	case !now.Before(g.expires):
		fail = "The code has expired."
	case form.Get("redirect_uri") != g.redirectURI:
		fail = "The redirect_uri differs from the authorization request's."
	case subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(g.challenge)) != 1:
		fail = "The code_verifier does not match the code challenge."
	}
	if fail != "" {
		p.mu.Unlock()
		writeTokenError(w, "invalid_grant", fail)
		return
	}
	g.accessToken, g.accessExpires = randomString(32), now.Add(p.tokenTTL)
	p.tokens[g.accessToken] = g
	p.mu.Unlock()

	idToken, err := p.idToken(client.ID, g, now)
	if err != nil {
		writeTokenError(w, "server_error", "The ID token could not be signed.")
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": g.accessToken, "token_type": "Bearer",
		"expires_in": int(p.tokenTTL / time.Second), "id_token": idToken, "scope": "openid profile",
	})
}

// authenticateClient returns the client that authenticated the request by
// exactly one of HTTP Basic and form fields.
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (Client, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		if form.Has("client_secret") {
			return Client{}, false // two methods at once (RFC 6749 §2.3)
		}
		// RFC 6749 §2.3.1: the Basic credentials are form-encoded.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return Client{}, false
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	p.mu.Lock()
	c, ok := p.clients[id]
	p.mu.Unlock()
	if !ok || secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return Client{}, false
	}
	return c, true
}

// idToken signs the ID token of a grant for the client.
func (p *Provider) idToken(clientID string, g *grant, now time.Time) (string, error) {
	claims := map[string]any{
		"iss": p.issuer, "sub": g.subject.ID, "aud": clientID,
		"exp": now.Add(p.tokenTTL).Unix(), "iat": now.Unix(), "auth_time": now.Unix(),
		"name": g.subject.Name, "fin": g.subject.FIN,
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	p.mu.Lock()
	hook := p.hook
	p.mu.Unlock()
	if hook != nil {
		hook(claims)
	}
	return jwt.Signed(p.signer).Claims(claims).Serialize()
}

// serveUserinfo handles GET and POST /userinfo with a Bearer access token.
func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
		writeJSON(w, http.StatusUnauthorized, tokenError{Code: "invalid_request", Description: "A Bearer token is required."})
		return
	}
	p.mu.Lock()
	g, ok := p.tokens[strings.TrimSpace(token)]
	p.mu.Unlock()
	if !ok || !p.now().Before(g.accessExpires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, tokenError{Code: "invalid_token", Description: "The access token is unknown or expired."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": g.subject.ID, "name": g.subject.Name, "fin": g.subject.FIN})
}
