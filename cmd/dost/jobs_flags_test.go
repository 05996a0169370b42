package main_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	main "github.com/dost-az/dost/cmd/dost"
)

// TestServeNodeIDAndRescue: --node-id names the node in the job queue
// (River's client ID, logged when the jobs start) and --jobs-rescue-after
// (or DOST_JOBS_RESCUE_AFTER) sets the rescue time; one too short for any
// job is refused when the node starts.
func TestServeNodeIDAndRescue(t *testing.T) {
	start := func(args ...string) (string, error) {
		var out, logs bytes.Buffer
		m := main.NewMain(&out, &logs)
		// The embedded database in a data directory of its own, migrated on
		// the spot.
		if err := m.ParseFlags(context.Background(), append([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, args...)); err != nil {
			return "", err
		}
		err := m.Run(context.Background())
		m.Close()
		return logs.String(), err
	}
	t.Setenv("DOST_JOBS_RESCUE_AFTER", "")
	logs, err := start("--node-id", "node-x", "--jobs-rescue-after", "6s")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs, `"client_id":"node-x"`) {
		t.Errorf("no jobs started as node-x in the logs:\n%s", logs)
	}
	if _, err := start("--jobs-rescue-after", "1s"); err == nil || !strings.Contains(err.Error(), "rescue time") {
		t.Errorf("--jobs-rescue-after 1s: got %v, want an error about the rescue time", err)
	}
	if _, err := start("--jobs-rescue-after", "ten"); err == nil {
		t.Error("--jobs-rescue-after ten: no error")
	}
	t.Setenv("DOST_JOBS_RESCUE_AFTER", "1s")
	if _, err := start(); err == nil || !strings.Contains(err.Error(), "rescue time") {
		t.Errorf("DOST_JOBS_RESCUE_AFTER=1s: got %v, want an error about the rescue time", err)
	}
}
