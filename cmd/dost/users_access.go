package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/sqlstore"
)

// userAccessUsage is the usage of "dost user revoke|disable|enable";
// tokenUsage of "dost token".
const (
	userAccessUsage = "usage: dost user revoke|disable|enable --username NAME"
	tokenUsage      = "usage: dost token create --user NAME [--scope SCOPE ...] [--expires 720h|90d|2027-01-31] [--name NAME]\n" +
		"       dost token list --user NAME\n" +
		"       dost token revoke --id ID"
)

// runUserAccess handles "dost user revoke" (end all sessions and revoke
// all API tokens of an account: a lost laptop, a leaver), "dost user
// disable" (the account can no longer sign in; its sessions end at once,
// its tokens are refused while it stays disabled) and "dost user enable".
func runUserAccess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost user "+args[0], stderr)
	c.bindDatabase(fs)
	var username string
	fs.StringVar(&username, "username", "", "login name of the account")
	fs.StringVar(&username, "user", "", "the same as --username")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if strings.TrimSpace(username) == "" {
		return errors.New(userAccessUsage)
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	users := sqlstore.NewUserService(db)
	u, err := users.FindUserByUsername(ctx, username)
	if err != nil {
		return fmt.Errorf("user %q: %s", username, dost.ErrorMessage(err))
	}
	switch args[0] {
	case "revoke":
		rv, err := users.RevokeUser(ctx, u.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s: ended %d sessions, revoked %d API tokens\n", u.Username, rv.Sessions, rv.Tokens)
	default:
		disabled := args[0] == "disable"
		if _, err := users.UpdateUser(ctx, u.ID, dost.UserUpdate{Disabled: &disabled}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s %sd\n", u.Username, args[0])
	}
	return nil
}

// runTokens handles "dost token create", "dost token list" and "dost token
// revoke".
func runTokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(tokenUsage)
	}
	switch args[0] {
	case "create":
		return runTokenCreate(ctx, args, stdout, stderr)
	case "list":
		return runTokenList(ctx, args, stdout, stderr)
	case "revoke":
		return runTokenRevoke(ctx, args, stdout, stderr)
	}
	return errors.New(tokenUsage)
}

// runTokenCreate handles "dost token create": a bearer token for the user,
// limited to the --scope given (none: "*", whatever the user's roles
// allow), valid until --expires. It prints the secret alone on stdout,
// the only time it is shown.
func runTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost token create", stderr)
	c.bindDatabase(fs)
	user := fs.String("user", "", "username the token acts as")
	var expires string
	fs.StringVar(&expires, "expires", "720h", "when the token expires: a duration (720h), days (90d) or a date (2027-01-31, at midnight in Baku)")
	fs.StringVar(&expires, "ttl", "720h", "the same as --expires")
	name := fs.String("name", "", "what the token is for")
	var scopes stringsFlag
	fs.Var(&scopes, "scope", "what the token may do, repeatable: * (default), *:read, or AREA:read / AREA:write, e.g. events:write, persons:read (see the list on a wrong one)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if strings.TrimSpace(*user) == "" {
		return errors.New("--user is required\n" + tokenUsage)
	}
	ttl, err := parseExpiry(expires, time.Now())
	if err != nil {
		return err
	}
	parsed, err := parseScopes(scopes)
	if err != nil {
		return err
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	users := sqlstore.NewUserService(db)
	u, err := users.FindUserByUsername(ctx, *user)
	if err != nil {
		return fmt.Errorf("user %q: %s", *user, dost.ErrorMessage(err))
	}
	if *name == "" {
		*name = "cli " + time.Now().UTC().Format(time.DateOnly)
	}
	t, secret, err := users.CreateAPIToken(ctx, u.ID, *name, ttl, parsed...)
	if err != nil {
		return fmt.Errorf("token: %s", dost.ErrorMessage(err))
	}
	fmt.Fprintln(stdout, secret)
	fmt.Fprintf(stderr, "token %d (%s) for %s: scopes %s, expires %s\n", t.ID, t.Prefix, u.Username,
		scopeList(t.Scopes), t.ExpiresAt.In(dost.Baku).Format("2006-01-02 15:04 MST"))
	return nil
}

// parseExpiry reads --expires: a Go duration, a number of days ("90d") or
// a date (the token then expires at that day's midnight in Baku); it
// returns the token's time to live from now.
func parseExpiry(s string, now time.Time) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var ttl time.Duration
	if d, err := time.ParseDuration(s); err == nil {
		ttl = d
	} else if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && strings.HasSuffix(s, "d") {
		ttl = time.Duration(n) * 24 * time.Hour
	} else if day, err := time.ParseInLocation(time.DateOnly, s, dost.Baku); err == nil {
		ttl = day.Sub(now)
	} else {
		return 0, fmt.Errorf("--expires %q: want a duration (720h), days (90d) or a date (2027-01-31)", s)
	}
	if ttl <= 0 {
		return 0, fmt.Errorf("--expires %q: the token would be expired already", s)
	}
	return ttl, nil
}

// parseScopes checks --scope values: their form (dost.ParseScope) and
// that their area is one of the route table's (dosthttp.Server.Scopes).
func parseScopes(ss []string) ([]dost.Scope, error) {
	known := dosthttp.NewServer().Scopes()
	var out []dost.Scope
	for _, s := range ss {
		sc, err := dost.ParseScope(s)
		if err != nil {
			return nil, fmt.Errorf("--scope %q: %s; known: *, *:read, %s", s, dost.ErrorMessage(err), scopeList(known))
		}
		if sc != dost.ScopeAll && sc != dost.ScopeReadAll &&
			!slices.ContainsFunc(known, func(k dost.Scope) bool { return k.Area() == sc.Area() }) {
			return nil, fmt.Errorf("--scope %q: no route has area %q; known: *, *:read, %s", s, sc.Area(), scopeList(known))
		}
		out = append(out, sc)
	}
	return out, nil
}

// scopeList joins scopes with spaces.
func scopeList(scopes []dost.Scope) string {
	ss := make([]string, len(scopes))
	for i, s := range scopes {
		ss[i] = string(s)
	}
	return strings.Join(ss, " ")
}

// runTokenList handles "dost token list": a user's tokens, newest first,
// with their scopes and state; never their secrets (not stored).
func runTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost token list", stderr)
	c.bindDatabase(fs)
	user := fs.String("user", "", "username whose tokens to list")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(*user) == "" || fs.NArg() > 0 {
		return errors.New(tokenUsage)
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	users := sqlstore.NewUserService(db)
	u, err := users.FindUserByUsername(ctx, *user)
	if err != nil {
		return fmt.Errorf("user %q: %s", *user, dost.ErrorMessage(err))
	}
	ts, err := users.FindAPITokens(ctx, u.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tSCOPES\tEXPIRES\tSTATE")
	for _, t := range ts {
		state := "live"
		switch {
		case t.RevokedAt != nil:
			state = "revoked"
		case !t.ExpiresAt.After(now):
			state = "expired"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Prefix, t.Name, scopeList(t.Scopes),
			t.ExpiresAt.In(dost.Baku).Format("2006-01-02 15:04"), state)
	}
	return tw.Flush()
}

// runTokenRevoke handles "dost token revoke --id ID".
func runTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost token revoke", stderr)
	c.bindDatabase(fs)
	id := fs.Int64("id", 0, "the token's id (dost token list)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *id <= 0 || fs.NArg() > 0 {
		return errors.New(tokenUsage)
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := sqlstore.NewUserService(db).RevokeAPIToken(ctx, *id); err != nil {
		return fmt.Errorf("token %d: %s", *id, dost.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "token %d revoked\n", *id)
	return nil
}
