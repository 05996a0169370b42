package http

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dost-az/dost"
)

// oidcRoutes returns the routes of sign-in through OpenID Connect and, in
// demo mode, of the demo provider. Without Server.OIDC they answer 404.
func (s *Server) oidcRoutes() []Route {
	return []Route{
		{Pattern: "GET " + oidcStartPath, Access: Public, Handler: s.handleOIDCStart},
		{Pattern: "GET " + oidcCallbackPath, Access: Public, Handler: s.handleOIDCCallback},
		{Pattern: "GET " + demoIdPPath + "/", Access: Public, Handler: s.handleDemoIdP},
		{Pattern: "POST " + demoIdPPath + "/", Access: Public, Handler: s.handleDemoIdP},
	}
}

// oidcErrorView is the data of the page that says why a sign-in through
// the digital login did not work.
type oidcErrorView struct {
	Message string // message key
}

// oidcFail shows the sign-in error page with a message key.
func (s *Server) oidcFail(w http.ResponseWriter, r *http.Request, status int, key string) {
	s.render(w, r, status, "oidc_error", "signin", oidcErrorView{Message: key})
}

// oidcLimited applies the sign-in rate limit (SignInLimit) to the start
// and the callback, as to password sign-in; it reports whether the
// request may go on.
func (s *Server) oidcLimited(w http.ResponseWriter, r *http.Request) bool {
	if ok, wait := s.signInLimiter.allow(remoteIP(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.Error(w, r, errRateLimited)
		return false
	}
	return true
}

// handleOIDCStart handles "GET /signin/oidc": it sends the browser to the
// provider with a fresh state, nonce and PKCE challenge, kept with the
// local return path (?next=) in the sealed state cookie.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	rp := s.oidcSetup()
	if rp == nil {
		s.handleNotFound(w, r)
		return
	}
	if !s.oidcLimited(w, r) {
		return
	}
	c, err := rp.client(s.Clock.Now())
	if err != nil {
		s.logger().Warn("oidc provider unavailable", "err", err)
		s.oidcFail(w, r, http.StatusServiceUnavailable, "oidc.error.unavailable")
		return
	}
	next := r.URL.Query().Get("next")
	if len(next) > oidcMaxNext {
		next = "" // the state cookie would exceed what browsers keep
	}
	st := oidcState{State: randomText(24), Nonce: randomText(24), Verifier: oauth2.GenerateVerifier(),
		Next: localPath(next), Expires: s.Clock.Now().Add(oidcStateTTL).Unix()}
	value, err := encodeOIDCState(rp.key, st)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: value, Path: oidcStartPath, MaxAge: int(oidcStateTTL.Seconds()),
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

// handleOIDCCallback handles "GET /signin/oidc/callback": the provider's
// answer. It checks the state against the cookie, exchanges the code
// (with the PKCE verifier), verifies the ID token (signature, issuer,
// audience, expiry) and its nonce, then signs in the user linked to the
// token's issuer and subject (staff), or else the citizen whose FIN the
// token carries, making their account on first sign-in; a FIN that is not
// in the registry is refused and no account is made. Every failure shows
// a page saying what happened.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	rp := s.oidcSetup()
	if rp == nil {
		s.handleNotFound(w, r)
		return
	}
	if !s.oidcLimited(w, r) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	log := s.logger().With("request_id", requestInfoFrom(r).ID())
	cookie, err := r.Cookie(oidcCookie)
	var st *oidcState
	if err == nil {
		st, err = decodeOIDCState(rp.key, cookie.Value, s.Clock.Now())
	}
	// The state is good for one answer, whatever it is.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcStartPath, MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	if err != nil {
		s.oidcFail(w, r, http.StatusBadRequest, "oidc.error.expired")
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		log.Warn("oidc callback: state mismatch")
		s.oidcFail(w, r, http.StatusBadRequest, "oidc.error.state")
		return
	}
	if e := q.Get("error"); e != "" {
		log.Info("oidc callback: provider error", "error", truncate(e, 64))
		if e == "access_denied" {
			s.oidcFail(w, r, http.StatusForbidden, "oidc.error.denied")
		} else {
			s.oidcFail(w, r, http.StatusBadGateway, "oidc.error.provider")
		}
		return
	}
	c, err := rp.client(s.Clock.Now())
	if err != nil {
		log.Warn("oidc provider unavailable", "err", err)
		s.oidcFail(w, r, http.StatusServiceUnavailable, "oidc.error.unavailable")
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, c.http)
	tok, err := c.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		log.Warn("oidc callback: code exchange failed", "err", err)
		s.oidcFail(w, r, http.StatusBadGateway, "oidc.error.exchange")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := c.verifier.Verify(oidc.ClientContext(r.Context(), c.http), raw)
	if err != nil {
		log.Warn("oidc callback: bad id token", "err", err)
		s.oidcFail(w, r, http.StatusUnauthorized, "oidc.error.token")
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		log.Warn("oidc callback: nonce mismatch")
		s.oidcFail(w, r, http.StatusUnauthorized, "oidc.error.token")
		return
	}
	if err := checkAuthorizedParty(idt, c.oauth.ClientID); err != nil {
		log.Warn("oidc callback: bad id token", "err", err)
		s.oidcFail(w, r, http.StatusUnauthorized, "oidc.error.token")
		return
	}
	u, key := s.oidcUser(r.Context(), c, idt)
	if key != "" {
		status := http.StatusForbidden
		if key == "oidc.error.internal" {
			status = http.StatusInternalServerError
		}
		s.oidcFail(w, r, status, key)
		return
	}
	sess, token, err := s.Identities.CreateSession(r.Context(), u.ID, dost.SignInMeta{IP: remoteIP(r), UserAgent: r.UserAgent()})
	if dost.ErrorCode(err) == dost.EFORBIDDEN {
		s.oidcFail(w, r, http.StatusForbidden, "oidc.error.disabled")
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	// A session this browser had before ends: one browser, one session.
	if old, err := r.Cookie(SessionCookie); err == nil && old.Value != "" {
		if err := s.UserService.SignOut(r.Context(), old.Value); err != nil {
			log.Warn("oidc callback: end the previous session", "err", err)
		}
	}
	s.setSessionCookie(w, token)
	log.Info("signed in through oidc", "user_id", sess.UserID, "session_id", sess.ID)
	next := st.Next
	switch {
	case next != "":
	case u.CitizenOnly():
		next = "/my"
	default:
		next = "/staff"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// oidcMaxNext is the longest return path (?next=) a sign-in keeps; a
// longer one is dropped, so the state cookie stays well under the 4 KB
// browsers keep.
const oidcMaxNext = 512

// checkAuthorizedParty checks the ID token's authorized party (OpenID
// Connect Core 3.1.3.7): a token for several audiences must name dost as
// its azp, and an azp present must be dost's client id. (The verifier has
// checked that dost is among the audiences.)
func checkAuthorizedParty(idt *oidc.IDToken, clientID string) error {
	var c struct {
		AZP *string `json:"azp"`
	}
	if err := idt.Claims(&c); err != nil {
		return err
	}
	switch {
	case c.AZP == nil && len(idt.Audience) > 1:
		return errors.New("id token for several audiences without azp")
	case c.AZP != nil && *c.AZP != clientID:
		return fmt.Errorf("id token's azp %q is not this client", truncate(*c.AZP, 64))
	}
	return nil
}

// oidcUser returns the user an ID token signs in, or the message key of
// why there is none: the user linked to the token's issuer and subject,
// else the citizen account of the person with the token's FIN.
func (s *Server) oidcUser(ctx context.Context, c *oidcClient, idt *oidc.IDToken) (*dost.User, string) {
	log := s.logger()
	u, err := s.Identities.FindUserByIdentity(ctx, idt.Issuer, idt.Subject)
	if err == nil {
		return u, ""
	} else if dost.ErrorCode(err) != dost.ENOTFOUND {
		log.Error("oidc: find identity", "err", err)
		return nil, "oidc.error.internal"
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		log.Warn("oidc: claims", "err", err)
		return nil, "oidc.error.token"
	}
	claim, _ := claims[c.finClaim].(string)
	fin, err := dost.ParseFIN(claim)
	if err != nil {
		log.Warn("oidc: no valid FIN claim", "claim", c.finClaim)
		return nil, "oidc.error.no_fin"
	}
	p, err := s.PersonService.FindPersonByFIN(ctx, fin)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		log.Info("oidc: unknown person", "fin", fin.Masked())
		return nil, "oidc.error.unknown_person"
	} else if err != nil {
		log.Error("oidc: find person", "err", err)
		return nil, "oidc.error.internal"
	}
	u, err = s.Identities.CitizenAccount(ctx, p.ID)
	switch dost.ErrorCode(err) {
	case "":
		return u, ""
	case dost.ECONFLICT:
		log.Warn("oidc: citizen account", "err", err)
		return nil, "oidc.error.account"
	}
	log.Error("oidc: citizen account", "err", err)
	return nil, "oidc.error.internal"
}

// handleDemoIdP handles "GET /demo-idp/" and "POST /demo-idp/": the demo
// provider, in demo mode only.
func (s *Server) handleDemoIdP(w http.ResponseWriter, r *http.Request) {
	rp := s.oidcSetup()
	if rp == nil || rp.demo == nil {
		s.handleNotFound(w, r)
		return
	}
	rp.demo.ServeHTTP(w, r)
}

// truncate cuts s to at most n bytes, for logging what a peer sent.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
