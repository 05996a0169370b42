package main

import (
	"io"
	"testing"
)

// TestRatingSMSNeedsBaseURL: without --base-url no rating SMS is made (its
// link would name this host); with it, the hall's is.
func TestRatingSMSNeedsBaseURL(t *testing.T) {
	m := NewMain(io.Discard, io.Discard)
	if m.ratingSMS(nil) != nil {
		t.Error("without --base-url: got a rating SMS hook, want none")
	}
	m.BaseURL = "https://dost.example.az"
	if m.ratingSMS(nil) == nil {
		t.Error("with --base-url: got no rating SMS hook")
	}
}
