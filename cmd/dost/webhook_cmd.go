package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/webhooks"
)

// webhookUsage is the usage of "dost webhook".
const webhookUsage = `usage: dost webhook add --url URL --events application.decided,payment.paid [--description TEXT] [--allow-private]
       dost webhook list
       dost webhook remove ID`

// runWebhook handles "dost webhook add|list|remove": the administrator's
// API (POST, GET, DELETE /api/v1/webhooks) from the command line, on the
// database directly. add prints the new subscription's secret, this once.
func runWebhook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(webhookUsage)
	}
	c := DefaultConfig()
	fs := newFlagSet("dost webhook "+args[0], stderr)
	c.bindDatabase(fs)
	var url, events, description string
	var allowPrivate bool
	if args[0] == "add" {
		fs.StringVar(&url, "url", "", "the receiver's URL")
		fs.StringVar(&events, "events", "", "event types, comma-separated: "+fmt.Sprint(dost.WebhookEventTypes))
		fs.StringVar(&description, "description", "", "who receives, for the list")
		fs.BoolVar(&allowPrivate, "allow-private", false, "allow http and loopback or private-network addresses (the server needs --webhooks-allow-private to deliver to them)")
	}
	rest := args[1:]
	if args[0] == "remove" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		rest = append(rest[1:len(rest):len(rest)], rest[0]) // the ID before the flags
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	store := sqlstore.NewWebhookStore(db)
	svc := &webhooks.Service{Store: store, Client: &webhooks.Client{AllowPrivate: allowPrivate}}
	switch args[0] {
	case "add":
		sub := &dost.WebhookSubscription{URL: url, Description: description}
		for _, e := range strings.Split(events, ",") {
			if e = strings.TrimSpace(e); e != "" {
				sub.EventTypes = append(sub.EventTypes, dost.WebhookEventType(e))
			}
		}
		if err := svc.CreateWebhookSubscription(ctx, sub); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "webhook %d: %s for %v\nsecret (shown once): %s\n", sub.ID, sub.URL, sub.EventTypes, sub.Secret)
		return nil
	case "list":
		subs, err := svc.FindWebhookSubscriptions(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tACTIVE\tURL\tEVENTS\tDESCRIPTION")
		for _, s := range subs {
			fmt.Fprintf(tw, "%d\t%v\t%s\t%v\t%s\n", s.ID, s.Active, s.URL, s.EventTypes, s.Description)
		}
		return tw.Flush()
	case "remove":
		if fs.NArg() != 1 {
			return errors.New(webhookUsage)
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("webhook id %q is not a number", fs.Arg(0))
		}
		if err := svc.RemoveWebhookSubscription(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "webhook %d removed\n", id)
		return nil
	}
	return errors.New(webhookUsage)
}
