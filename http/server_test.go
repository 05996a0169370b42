package http

import (
	"testing"
)

// TestServerTimeouts checks that Open bounds how long a client may take to
// send a request, so slow senders cannot pin connections.
func TestServerTimeouts(t *testing.T) {
	s := NewServer()
	s.Addr = "127.0.0.1:0"
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.server.ReadHeaderTimeout; got <= 0 {
		t.Errorf("ReadHeaderTimeout: got %v, want > 0", got)
	}
	if got := s.server.ReadTimeout; got != ReadTimeout || got <= 0 {
		t.Errorf("ReadTimeout: got %v, want %v", got, ReadTimeout)
	}
}
