package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/sqlstore"
)

// userLinkOIDCUsage is the usage of "dost user link-oidc".
const userLinkOIDCUsage = "usage: dost user link-oidc --user NAME --issuer URL --subject SUB"

// oidcFlags are serve's flags of sign-in through OpenID Connect; each
// defaults to its environment variable, except the client secret: its
// flag defaults to empty, so that the usage printed on -h or a mistyped
// flag never shows it, and validate reads DOST_OIDC_CLIENT_SECRET after
// parsing when the flag is empty. The secret is better given by the
// environment than by the flag, which ps shows.
type oidcFlags struct {
	issuer, clientID, clientSecret, finClaim, redirectURL string
}

// bindFlags adds the --oidc-* flags.
func (o *oidcFlags) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.issuer, "oidc-issuer", os.Getenv("DOST_OIDC_ISSUER"), "issuer URL of the OpenID Connect provider citizens sign in with (the national digital login); empty: none, or the demo provider with --demo (DOST_OIDC_ISSUER)")
	fs.StringVar(&o.clientID, "oidc-client-id", os.Getenv("DOST_OIDC_CLIENT_ID"), "dost's client id at the OpenID Connect provider (DOST_OIDC_CLIENT_ID)")
	fs.StringVar(&o.clientSecret, "oidc-client-secret", "", "dost's client secret; prefer the environment variable DOST_OIDC_CLIENT_SECRET, read when this flag is empty")
	fs.StringVar(&o.finClaim, "oidc-fin-claim", envOr("DOST_OIDC_FIN_CLAIM", dosthttp.DefaultFINClaim), "ID token claim carrying the citizen's FIN (DOST_OIDC_FIN_CLAIM)")
	fs.StringVar(&o.redirectURL, "oidc-redirect-url", os.Getenv("DOST_OIDC_REDIRECT_URL"), "callback URL registered at the provider; default <base-url>/signin/oidc/callback (DOST_OIDC_REDIRECT_URL)")
}

// validate takes the client secret from DOST_OIDC_CLIENT_SECRET when the
// flag is empty, and reports a provider configured by halves or a URL that
// is not http(s). It runs after the flags are parsed.
func (o *oidcFlags) validate() error {
	if o.clientSecret == "" {
		o.clientSecret = os.Getenv("DOST_OIDC_CLIENT_SECRET")
	}
	if o.issuer == "" {
		if o.clientID != "" || o.redirectURL != "" {
			return errors.New("--oidc-client-id and --oidc-redirect-url need --oidc-issuer")
		}
		return nil
	}
	for name, v := range map[string]string{"--oidc-issuer": o.issuer, "--oidc-redirect-url": o.redirectURL} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s %q: want an http:// or https:// URL", name, v)
		}
	}
	if o.clientID == "" || o.clientSecret == "" {
		return errors.New("--oidc-issuer needs --oidc-client-id and a client secret (DOST_OIDC_CLIENT_SECRET)")
	}
	if strings.TrimSpace(o.finClaim) == "" {
		return errors.New("--oidc-fin-claim is empty")
	}
	return nil
}

// wireOIDC gives s sign-in through the configured provider, or in demo
// mode without one through the demo provider at /demo-idp. The provider is
// discovered on the first sign-in, so serve starts while it is down.
func (m *Main) wireOIDC(s *dosthttp.Server) {
	s.Identities = sqlstore.NewIdentityService(m.DB)
	o := m.oidc
	switch {
	case o.issuer != "":
		s.OIDC = &dosthttp.OIDCConfig{Issuer: o.issuer, ClientID: o.clientID, ClientSecret: o.clientSecret,
			FINClaim: o.finClaim, RedirectURL: o.redirectURL, BaseURL: m.BaseURL, CookieKey: m.oidcCookieKey()}
	case m.Demo:
		s.OIDC = &dosthttp.OIDCConfig{Demo: true, BaseURL: m.BaseURL, CookieKey: m.oidcCookieKey()}
	}
}

// oidcCookieKey returns the server-side secret the state cookie's key is
// derived from: the feedback key (feedbackKey), which is the same on every
// node sharing the database and across restarts, so that a sign-in
// started on one node may end on another. If it cannot be read, nil (the
// key is then derived from the client secret; wireHall, which needs the
// same key, fails the start with the error).
func (m *Main) oidcCookieKey() []byte {
	ctx, cancel := context.WithTimeout(context.Background(), feedbackKeyTimeout)
	defer cancel()
	key, err := m.feedbackKey(ctx)
	if err != nil {
		return nil // wireHall reports it
	}
	return key
}

// runUserLinkOIDC handles "dost user link-oidc": it links an identity at
// an OpenID Connect provider (the ID token's issuer and subject) to an
// account, so that a staff member signs in through the digital login as
// that account.
func runUserLinkOIDC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost user link-oidc", stderr)
	c.bindDatabase(fs)
	username := fs.String("user", "", "login name of the account")
	issuer := fs.String("issuer", "", "issuer URL of the provider, exactly as in its ID tokens")
	subject := fs.String("subject", "", "the person's subject identifier at the provider (the ID token's sub)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if strings.TrimSpace(*username) == "" || strings.TrimSpace(*issuer) == "" || strings.TrimSpace(*subject) == "" {
		return errors.New(userLinkOIDCUsage)
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := sqlstore.NewUserService(db).FindUserByUsername(ctx, *username)
	if err != nil {
		return fmt.Errorf("user %q: %s", *username, dost.ErrorMessage(err))
	}
	if u.HasRole(dost.RoleRegistry) {
		return fmt.Errorf("user %q is a registry's system account, not a person", *username)
	}
	id, err := sqlstore.NewIdentityService(db).LinkIdentity(ctx, u.ID, *issuer, *subject)
	if err != nil {
		return fmt.Errorf("link %q: %s", *username, dost.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "linked user %s to subject %s of %s\n", u.Username, id.Subject, id.Issuer)
	return nil
}
