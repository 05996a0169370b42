package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/sqlstore"
)

// videoAdminUsage says how to set up service by video from the command
// line; the same is in the API (PUT /api/v1/centres/{code}/kind,
// /api/v1/video/interpreters), which records it in the audit trail.
const videoAdminUsage = `usage:
  dost video kind --centre CODE --kind hall|video
  dost video certify --username NAME --language sign|az|en|ru [--from 2026-11-27] [--until 2027-11-27]
  dost video interpreters [--username NAME]
  dost video revoke --id ID`

// runVideoAdmin runs "dost video …": makes a centre a video centre (or a
// hall again) and certifies, lists and revokes interpreters, on the
// database directly (for a first set-up, before any administrator
// signs in).
func runVideoAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(videoAdminUsage)
	}
	c := DefaultConfig()
	fs := newFlagSet("dost video "+args[0], stderr)
	c.bindDatabase(fs)
	var centre, kind, username, language, from, until string
	var id int64
	switch args[0] {
	case "kind":
		fs.StringVar(&centre, "centre", "", "the centre's code")
		fs.StringVar(&kind, "kind", "", "hall or video")
	case "certify":
		fs.StringVar(&username, "username", "", "the staff member to certify")
		fs.StringVar(&language, "language", "", "sign (Azerbaijani Sign Language), az, en or ru")
		fs.StringVar(&from, "from", "", "first day (default today)")
		fs.StringVar(&until, "until", "", "last day (default a year later)")
	case "interpreters":
		fs.StringVar(&username, "username", "", "only this staff member's")
	case "revoke":
		fs.Int64Var(&id, "id", 0, "the certification's id (see dost video interpreters)")
	default:
		return errors.New(videoAdminUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	store := sqlstore.NewVideoStore(db)
	userID := func() (int64, error) {
		if username == "" {
			return 0, nil
		}
		u, err := sqlstore.NewUserService(db).FindUserByUsername(ctx, username)
		if err != nil {
			return 0, fmt.Errorf("user %q: %w", username, err)
		}
		return u.ID, nil
	}
	switch args[0] {
	case "kind":
		ce, err := sqlstore.NewCentreService(db).FindCentreByCode(ctx, centre)
		if err != nil {
			return fmt.Errorf("centre %q: %w", centre, err)
		}
		if err := store.SetCentreKind(ctx, ce.ID, kind); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "centre %s is a %s centre\n", ce.Code, kind)
	case "certify":
		if username == "" {
			return errors.New("--username is required")
		}
		uid, err := userID()
		if err != nil {
			return err
		}
		cert := &dost.InterpreterCertification{UserID: uid, Language: language, ValidFrom: dost.Today(db.Clock())}
		if from != "" {
			if cert.ValidFrom, err = dost.ParseDate(from); err != nil {
				return fmt.Errorf("--from: %w", err)
			}
		}
		cert.ValidUntil = cert.ValidFrom.AddDate(1, 0, 0)
		if until != "" {
			if cert.ValidUntil, err = dost.ParseDate(until); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
		}
		if err := store.CertifyInterpreter(ctx, cert); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "certification %d: %s interprets %s from %s to %s\n", cert.ID, username, cert.Language, cert.ValidFrom, cert.ValidUntil)
	case "interpreters":
		uid, err := userID()
		if err != nil {
			return err
		}
		list, err := store.FindInterpreterCertifications(ctx, uid)
		if err != nil {
			return err
		}
		for _, c := range list {
			fmt.Fprintf(stdout, "%d\tuser %d\t%s\t%s..%s\n", c.ID, c.UserID, c.Language, c.ValidFrom, c.ValidUntil)
		}
	case "revoke":
		c, err := store.RevokeInterpreterCertification(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "certification %s revoked (user %d, %s)\n", strconv.FormatInt(c.ID, 10), c.UserID, c.Language)
	}
	return nil
}
