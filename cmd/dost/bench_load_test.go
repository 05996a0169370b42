package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost/internal/nodeproc"
)

// TestBenchLoad runs `dost bench load` for a few seconds against one node
// it starts on a fresh SQLite file (the dost binary built for the test),
// and checks the report: every endpoint of the scenario was requested,
// no request failed (an unexpected status, a 5xx or no answer), visits
// were served and the payroll cycle was prepared and approved.
func TestBenchLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dost and starts a node")
	}
	ctx := context.Background()
	bin, err := nodeproc.SharedBinary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nodeproc.RemoveShared)
	var out, errb bytes.Buffer
	err = Run(ctx, []string{"bench", "load", "--bin", bin, "--duration", "6s", "--persons", "1000", "--citizens", "50",
		"--load-rate", "8", "--portal-rate", "25", "--event-rate", "6", "--payroll-awards", "200", "--seed", "3"}, &out, &errb)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("dost bench load: %v\n%s", err, errb.String())
	}
	report := out.String()
	rows := map[string][2]int{} // endpoint → requests, errors
	for _, l := range strings.Split(report, "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		f := strings.Split(l, "|")
		name := strings.Trim(strings.TrimSpace(f[1]), "`")
		n, _ := strconv.Atoi(strings.TrimSpace(f[2]))
		e, err := strconv.Atoi(strings.TrimSpace(f[7]))
		if err != nil {
			t.Fatalf("row %q: errors column: %v", l, err)
		}
		rows[name] = [2]int{n, e}
	}
	for _, ep := range []string{
		"POST /api/v1/tickets", "GET /api/v1/tickets/{id}", "POST /api/v1/counters/{counter}/call-next",
		"POST /api/v1/tickets/{id}/actions start", "POST /api/v1/tickets/{id}/actions finish",
		"GET /api/v1/me", "GET /api/v1/me/person", "GET /api/v1/me/awards", "GET /api/v1/me/payments",
		"GET /api/v1/me/applications", "GET /api/v1/me/offers", "GET /api/v1/me/appointments",
		"GET /my", "GET /my/benefits", "GET /my/payments",
		"POST /api/v1/events", "POST /api/v1/events (sent again)",
		"GET /api/v1/payroll/cycles", "POST /api/v1/payroll/cycles", "POST /api/v1/payroll/cycles/{id}/approve",
	} {
		r, ok := rows[ep]
		if !ok || r[0] == 0 {
			t.Errorf("%s: not requested", ep)
		}
	}
	for ep, r := range rows {
		if r[1] != 0 {
			t.Errorf("%s: %d errors", ep, r[1])
		}
	}
	for _, want := range []string{"approved true", ", 0 errors;"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(report, " 0 served") {
		t.Error("no visit was served")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Error(err)
	}
}
