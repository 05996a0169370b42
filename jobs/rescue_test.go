package jobs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/sqlstore"
)

// TestNew_NodeAndRescue: Config.ClientID becomes the River client's ID
// (recorded in attempted_by of the jobs the node works); a rescue time
// that is negative or too short for any job to run (under 2 s) is
// refused, a few seconds is taken.
func TestNew_NodeAndRescue(t *testing.T) {
	t.Parallel()
	db := dosttest.OpenDB(t, sqlstore.DialectSQLite)
	cfg := config(t, db)
	cfg.ClientID, cfg.RescueAfter = "node-x", 6*time.Second
	r, err := jobs.New(ctx, cfg)
	ok(t, err)
	if got := r.Client().ID(); got != "node-x" {
		t.Errorf("River client ID %q, want node-x", got)
	}
	for _, d := range []time.Duration{-time.Second, time.Second} {
		cfg.RescueAfter = d
		if _, err := jobs.New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "rescue time") {
			t.Errorf("RescueAfter %s: got %v, want an error about the rescue time", d, err)
		}
	}
}
