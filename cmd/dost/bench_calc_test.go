package main_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	main "github.com/dost-az/dost/cmd/dost"
)

// TestBenchCalc runs "dost bench calc" briefly: the family it posts must be
// a situation the calculator accepts (the command fails on the first
// request otherwise), and every timed request must succeed.
func TestBenchCalc(t *testing.T) {
	var out, logs bytes.Buffer
	err := main.Run(context.Background(), []string{"bench", "calc", "--duration", "300ms", "--connections", "2"}, &out, &logs)
	if err != nil {
		t.Fatalf("bench calc: %v\n%s", err, logs.String())
	}
	if !regexp.MustCompile(`calc: POST /api/v1/calculate, .*: [1-9][0-9]* requests, .* errors 0\n`).MatchString(out.String()) {
		t.Errorf("output: got %q, want the run's line with some requests and no errors", out.String())
	}
}
