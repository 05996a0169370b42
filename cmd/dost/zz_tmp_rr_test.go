package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestTmpRulesRun(t *testing.T) {
	a := os.Getenv("RR_ARGS")
	if a == "" {
		t.Skip()
	}
	if err := runRulesRun(context.Background(), strings.Fields(a), os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}
