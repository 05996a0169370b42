package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dost-az/dost/sqlstore"
)

// auditUsage is the usage of "dost audit".
const auditUsage = "usage: dost audit verify [--database URL]"

// ErrAuditBroken is returned by "dost audit verify" when the chain does
// not hold, so the command exits non-zero after naming the broken link.
var ErrAuditBroken = errors.New("the audit trail is broken")

// runAudit handles "dost audit verify": it walks the audit trail's hash
// chain in seq order, streaming, and prints the number of events and OK,
// or names the first broken link (its seq and what differs) and fails.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(auditUsage)
	}
	c := DefaultConfig()
	fs := newFlagSet("dost audit verify", stderr)
	c.bindDatabase(fs)
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
	check, err := sqlstore.NewAuditStore(db).Verify(ctx)
	if err != nil {
		return err
	}
	if b := check.Broken; b != nil {
		fmt.Fprintf(stdout, "audit trail BROKEN at seq %d: %s\n", b.Seq, b.Reason)
		fmt.Fprintf(stdout, "checked %d events before the break; chain head: seq %d, hash %s\n", check.Count, check.HeadSeq, check.HeadHash)
		return fmt.Errorf("%w at seq %d", ErrAuditBroken, b.Seq)
	}
	fmt.Fprintf(stdout, "audit trail OK: %d events, head seq %d, hash %s\n", check.Count, check.HeadSeq, check.HeadHash)
	return nil
}
