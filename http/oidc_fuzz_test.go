package http

import (
	"strings"
	"testing"
	"time"
)

// FuzzOIDCState feeds the state cookie decoder what a browser may send:
// it must never panic, and must accept nothing but what encodeOIDCState
// sealed with the same key and not yet expired.
func FuzzOIDCState(f *testing.F) {
	key := make([]byte, 32)
	now := time.Unix(1_800_000_000, 0)
	sealed := oidcState{State: "s", Nonce: "n", Verifier: "v", Next: "/my", Expires: now.Unix() + 60}
	good, err := encodeOIDCState(key, sealed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add(good[:len(good)-1])
	f.Add(strings.Repeat("A", 100))
	f.Add("!!notbase64")
	f.Fuzz(func(t *testing.T, value string) {
		st, err := decodeOIDCState(key, value, now)
		if err != nil {
			if st != nil {
				t.Fatal("a state with an error")
			}
			return
		}
		// Only what was sealed opens (each fuzz worker seals its own
		// copy of the seed, with another GCM nonce).
		if *st != sealed {
			t.Fatalf("accepted a cookie it did not seal: %q → %+v", value, st)
		}
	})
}

// TestOIDCStateCookie checks the seal: round trip, expiry, another key,
// a foreign return path.
func TestOIDCStateCookie(t *testing.T) {
	key, other := make([]byte, 32), make([]byte, 32)
	other[0] = 1
	now := time.Unix(1_800_000_000, 0)
	st := oidcState{State: "s", Nonce: "n", Verifier: "v", Next: "/my?x=1", Expires: now.Unix() + 60}
	v, err := encodeOIDCState(key, st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeOIDCState(key, v, now)
	if err != nil || *got != st {
		t.Fatalf("round trip: got %+v, %v", got, err)
	}
	if _, err := decodeOIDCState(key, v, now.Add(time.Minute)); err == nil {
		t.Error("an expired state was accepted")
	}
	if _, err := decodeOIDCState(other, v, now); err == nil {
		t.Error("a state sealed with another key was accepted")
	}
	st.Next = "//evil.example"
	v, _ = encodeOIDCState(key, st)
	if _, err := decodeOIDCState(key, v, now); err == nil {
		t.Error("a foreign return path was accepted")
	}
	if strings.Contains(v, "evil") {
		t.Error("the state cookie is readable")
	}
}
