package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/webhooks"
)

// webhookNode is the node's webhooks: the --webhooks-allow-private flag
// and the deliverer the webhooks job runs (startJobs).
type webhookNode struct {
	// allowPrivate lets subscriptions reach plain http and addresses that
	// are not public (loopback, private networks): off by default, so an
	// administrator's subscription cannot make dost call into its own
	// network (SSRF); on for the demo and tests.
	allowPrivate bool
	// retentionDays is how many days deliveries that are done (delivered
	// or failed) are kept; 0 keeps them all.
	retentionDays int
	envErr        error // a bad DOST_WEBHOOKS_RETENTION_DAYS, reported by validate
	deliverer     *webhooks.Deliverer
}

// DefaultWebhookRetentionDays is --webhooks-retention-days's default.
const DefaultWebhookRetentionDays = 90

// bindFlags adds --webhooks-allow-private and --webhooks-retention-days.
// A malformed or negative DOST_WEBHOOKS_RETENTION_DAYS is refused like the
// flag, when the flags are parsed.
func (n *webhookNode) bindFlags(fs *flag.FlagSet) {
	v, _ := strconv.ParseBool(os.Getenv("DOST_WEBHOOKS_ALLOW_PRIVATE"))
	fs.BoolVar(&n.allowPrivate, "webhooks-allow-private", v,
		"let webhook subscriptions use plain http and loopback or private-network addresses; off: https to public addresses only (DOST_WEBHOOKS_ALLOW_PRIVATE)")
	n.retentionDays = DefaultWebhookRetentionDays
	set := func(s string) error {
		d, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || d < 0 {
			return fmt.Errorf("want a number of days, 0 or more, not %q", s)
		}
		n.retentionDays = d
		return nil
	}
	fs.Func("webhooks-retention-days", fmt.Sprintf("days webhook deliveries that are delivered or failed are kept, from their creation; 0 keeps them all (DOST_WEBHOOKS_RETENTION_DAYS; default %d)", DefaultWebhookRetentionDays), set)
	if e := os.Getenv("DOST_WEBHOOKS_RETENTION_DAYS"); e != "" {
		n.envErr = set(e)
	}
}

// validate reports a bad DOST_WEBHOOKS_RETENTION_DAYS (a bad flag is
// refused by the parse itself). An explicit flag overrides the variable.
func (n *webhookNode) validate(fs *flag.FlagSet) error {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "webhooks-retention-days" })
	if n.envErr != nil && !given {
		return fmt.Errorf("DOST_WEBHOOKS_RETENTION_DAYS: %w", n.envErr)
	}
	return nil
}

// wireWebhooks gives s the webhook subscriptions and m the deliverer of
// their deliveries, which the webhooks job runs.
func (m *Main) wireWebhooks(s *dosthttp.Server) {
	store := sqlstore.NewWebhookStore(m.DB)
	client := &webhooks.Client{AllowPrivate: m.webhooks.allowPrivate || m.Demo}
	s.Webhooks = &webhooks.Service{Store: store, Client: client}
	m.webhooks.deliverer = &webhooks.Deliverer{Store: store, Client: client, Clock: m.DB.Clock(), Logger: m.logger.With("component", "webhooks"),
		Retention: time.Duration(m.webhooks.retentionDays) * 24 * time.Hour}
}
