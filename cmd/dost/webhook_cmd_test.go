package main_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestWebhookCommand adds, lists and removes a subscription with `dost
// webhook`: the secret is printed once, loopback is refused without
// --allow-private, and a removed subscription is listed inactive.
func TestWebhookCommand(t *testing.T) {
	ctx := context.Background()
	dsn := dosttest.DSN(t, "sqlite")
	var out, logs bytes.Buffer
	run := func(args ...string) error {
		out.Reset()
		return main.Run(ctx, append(args, "--database", dsn), &out, &logs)
	}
	if err := run("migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, logs.String())
	}
	if err := run("webhook", "add", "--url", "http://127.0.0.1:9/h", "--events", "payment.paid"); err == nil {
		t.Fatalf("add a loopback URL: no error, want it refused")
	}
	if err := run("webhook", "add", "--url", "https://finance.example.gov.az/hooks", "--events", "payment.paid, application.decided",
		"--description", "Finance"); err != nil {
		t.Fatalf("add: %v", err)
	}
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(out.String())
	if !strings.HasPrefix(out.String(), "webhook 1:") || secret == "" {
		t.Fatalf("add printed %q: want the id and the secret", out.String())
	}
	if err := run("webhook", "list"); err != nil || !strings.Contains(out.String(), "https://finance.example.gov.az/hooks") ||
		!strings.Contains(out.String(), "[payment.paid application.decided]") || strings.Contains(out.String(), secret) {
		t.Fatalf("list: %v\n%s", err, out.String())
	}
	if err := run("webhook", "remove", "1"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if err := run("webhook", "remove", "7"); err == nil {
		t.Errorf("remove an unknown subscription: no error")
	}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	subs, err := sqlstore.NewWebhookStore(db).FindWebhookSubscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].Active {
		t.Fatalf("subscriptions %v, %v: want one, removed", subs, err)
	}
}
