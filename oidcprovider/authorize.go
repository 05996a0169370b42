package oidcprovider

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authRequest is an authorization request (the query of GET /authorize,
// repeated as hidden fields of the login form).
type authRequest struct {
	ClientID, RedirectURI, Scope, State, Nonce, Challenge, ChallengeMethod, ResponseType string
}

// authError is an error the provider sends back to the client's redirect
// URI (RFC 6749 §4.1.2.1).
type authError struct{ code, description string }

// parseAuthRequest reads an authorization request from form values.
func parseAuthRequest(v url.Values) authRequest {
	return authRequest{
		ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"),
		State: v.Get("state"), Nonce: v.Get("nonce"), Challenge: v.Get("code_challenge"),
		ChallengeMethod: v.Get("code_challenge_method"), ResponseType: v.Get("response_type"),
	}
}

// checkClient checks the client and its redirect URI: when either is wrong
// the user is told so and nothing is redirected (an unchecked redirect URI
// would send codes anywhere).
func (p *Provider) checkClient(a authRequest) (Client, string) {
	p.mu.Lock()
	c, ok := p.clients[a.ClientID]
	p.mu.Unlock()
	if !ok {
		return c, "Unknown client."
	}
	if !slices.Contains(c.RedirectURIs, a.RedirectURI) {
		return c, "The redirect URI is not registered for this client."
	}
	return c, ""
}

// check checks the rest of a request whose client and redirect URI are
// right; its errors go back to the client.
func (a authRequest) check() *authError {
	switch {
	case a.ResponseType != "code":
		return &authError{"unsupported_response_type", "Only response_type=code is supported."}
	case !slices.Contains(strings.Fields(a.Scope), "openid"):
		return &authError{"invalid_scope", "The scope must include openid."}
	case a.Challenge == "" || a.ChallengeMethod != "S256":
		return &authError{"invalid_request", "PKCE with code_challenge_method=S256 is required."}
	case len(a.Challenge) != 43:
		return &authError{"invalid_request", "The code challenge is not a S256 challenge."}
	case len(a.State) > 512 || len(a.Nonce) > 512:
		return &authError{"invalid_request", "The state or nonce is too long."}
	}
	return nil
}

// redirect sends the user agent back to the client with params and the
// request's state.
func (a authRequest) redirect(w http.ResponseWriter, r *http.Request, params url.Values) {
	if a.State != "" {
		params.Set("state", a.State)
	}
	u, _ := url.Parse(a.RedirectURI) // checked against the registered URIs
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// redirectError sends an authorization error back to the client.
func (a authRequest) redirectError(w http.ResponseWriter, r *http.Request, e *authError) {
	a.redirect(w, r, url.Values{"error": {e.code}, "error_description": {e.description}})
}

// serveAuthorize handles GET /authorize: it checks the request and shows
// the login page listing the subjects.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	a := parseAuthRequest(r.URL.Query())
	if _, msg := p.checkClient(a); msg != "" {
		p.renderPage(w, http.StatusBadRequest, loginPage{Title: p.title, Error: msg})
		return
	}
	if e := a.check(); e != nil {
		a.redirectError(w, r, e)
		return
	}
	subjects, err := p.subjects.ListSubjects(r.Context(), LoginPageSubjects)
	if err != nil {
		p.renderPage(w, http.StatusInternalServerError, loginPage{Title: p.title, Error: "The list of people is not available; try again later."})
		return
	}
	p.renderPage(w, http.StatusOK, loginPage{Title: p.title, Action: p.prefix + "/authorize", Request: a, Subjects: subjects})
}

// serveDecide handles POST /authorize: the login form's choice. Cancel
// sends error=access_denied back; a subject gets a code.
func (p *Provider) serveDecide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.renderPage(w, http.StatusBadRequest, loginPage{Title: p.title, Error: "Bad form."})
		return
	}
	a := parseAuthRequest(r.PostForm)
	if _, msg := p.checkClient(a); msg != "" {
		p.renderPage(w, http.StatusBadRequest, loginPage{Title: p.title, Error: msg})
		return
	}
	if e := a.check(); e != nil {
		a.redirectError(w, r, e)
		return
	}
	if r.PostForm.Get("cancel") != "" {
		a.redirectError(w, r, &authError{"access_denied", "The user cancelled the sign-in."})
		return
	}
	sub, err := p.subjects.FindSubject(r.Context(), r.PostForm.Get("subject"))
	if errors.Is(err, ErrUnknownSubject) {
		p.renderPage(w, http.StatusBadRequest, loginPage{Title: p.title, Error: "Choose someone from the list."})
		return
	} else if err != nil {
		a.redirectError(w, r, &authError{"server_error", "The person could not be read."})
		return
	}
	code := randomString(32)
	p.mu.Lock()
	p.sweep()
	p.codes[code] = &grant{clientID: a.ClientID, redirectURI: a.RedirectURI, subject: sub, nonce: a.Nonce,
		challenge: a.Challenge, expires: p.now().Add(p.codeTTL)}
	p.mu.Unlock()
	a.redirect(w, r, url.Values{"code": {code}})
}

// sweep forgets codes and tokens that have expired long enough ago that
// nobody can still be told "used"; the caller holds p.mu.
func (p *Provider) sweep() {
	now := p.now()
	for k, g := range p.codes {
		if now.After(g.expires.Add(p.tokenTTL)) && (g.accessToken == "" || now.After(g.accessExpires)) {
			delete(p.codes, k)
		}
	}
	for k, g := range p.tokens {
		if now.After(g.accessExpires) {
			delete(p.tokens, k)
		}
	}
}

// loginPage is the login page's data.
type loginPage struct {
	Title    string
	Error    string
	Action   string
	Request  authRequest
	Subjects []Subject
}

// renderPage writes the login page (or its error form).
func (p *Provider) renderPage(w http.ResponseWriter, status int, data loginPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	if w.Header().Get("Content-Security-Policy") == "" {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; form-action *; frame-ancestors 'none'")
	}
	w.WriteHeader(status)
	_ = loginTemplate.Execute(w, data)
}

// loginTemplate is the login page: plain HTML with no script or inline
// style, so it works under dost's content security policy when mounted
// there.
var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
</head>
<body>
<header><p>{{.Title}}</p></header>
<main>
<h1>Sign in</h1>
{{if .Error}}<p role="alert" id="idp-error">{{.Error}}</p>{{else}}
<p>This is a demonstration login service, not the national digital login. Choose the person to sign in as.</p>
<form method="post" action="{{.Action}}">
{{with .Request}}<input type="hidden" name="response_type" value="{{.ResponseType}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="scope" value="{{.Scope}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="nonce" value="{{.Nonce}}">
<input type="hidden" name="code_challenge" value="{{.Challenge}}">
<input type="hidden" name="code_challenge_method" value="{{.ChallengeMethod}}">{{end}}
{{if .Subjects}}<ul id="idp-subjects">
{{range .Subjects}}<li><button type="submit" name="subject" value="{{.ID}}">{{.Name}} ({{.Label}})</button></li>
{{end}}</ul>{{else}}<p>There is nobody to sign in as.</p>{{end}}
<p><button type="submit" name="cancel" value="1" id="idp-cancel">Cancel</button></p>
</form>{{end}}
</main>
</body>
</html>
`))
