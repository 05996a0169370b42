package main_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/dost-az/dost/cmd/dost"
)

// TestBenchHall replays a small day through "dost bench hall", as fast as
// possible and compressed (so much that the replay outlasts its day: the
// clock stops before midnight, or the day's tickets would never be
// called): the command fails unless every visitor was called exactly once
// and finished or marked a no-show.
func TestBenchHall(t *testing.T) {
	for _, speed := range []string{"0", "1000000"} {
		t.Run("speed="+speed, func(t *testing.T) {
			var out, logs bytes.Buffer
			err := main.Run(context.Background(), []string{"bench", "hall", "--database", filepath.Join(t.TempDir(), "hall.db"),
				"--hall-visitors", "120", "--hall-centres", "2", "--hall-counters", "3", "--hall-speed", speed}, &out, &logs)
			if err != nil {
				t.Fatalf("bench hall: %v\n%s", err, logs.String())
			}
			if !strings.Contains(out.String(), "hall: 120 visitors (117 ratings) replayed in") {
				t.Errorf("output: got %q, want the replay's line with 120 visitors and 117 ratings (every 40th a no-show)", out.String())
			}
		})
	}
}
