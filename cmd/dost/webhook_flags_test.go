package main_test

import (
	"bytes"
	"context"
	"testing"

	main "github.com/dost-az/dost/cmd/dost"
)

// TestServeWebhookRetentionFlag checks that --webhooks-retention-days and
// DOST_WEBHOOKS_RETENTION_DAYS refuse what is not a number of days, 0 or
// more, and that the flag overrides the variable.
func TestServeWebhookRetentionFlag(t *testing.T) {
	parse := func(args ...string) error {
		var out, logs bytes.Buffer
		return main.NewMain(&out, &logs).ParseFlags(context.Background(), args)
	}
	t.Setenv("DOST_WEBHOOKS_RETENTION_DAYS", "")
	for _, ok := range []string{"0", "30", "3650"} {
		if err := parse("--webhooks-retention-days", ok); err != nil {
			t.Errorf("--webhooks-retention-days %s: %v", ok, err)
		}
	}
	for _, bad := range []string{"-1", "ten", "1.5", ""} {
		if err := parse("--webhooks-retention-days", bad); err == nil {
			t.Errorf("--webhooks-retention-days %q: no error", bad)
		}
	}
	t.Setenv("DOST_WEBHOOKS_RETENTION_DAYS", "-5")
	if err := parse(); err == nil {
		t.Error("DOST_WEBHOOKS_RETENTION_DAYS=-5: no error")
	}
	if err := parse("--webhooks-retention-days", "7"); err != nil {
		t.Errorf("the flag over a bad variable: %v", err)
	}
	t.Setenv("DOST_WEBHOOKS_RETENTION_DAYS", "14")
	if err := parse(); err != nil {
		t.Errorf("DOST_WEBHOOKS_RETENTION_DAYS=14: %v", err)
	}
}
