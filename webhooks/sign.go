package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook request (Standard Webhooks).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts every secret, as in the Standard Webhooks libraries:
// the key is the base64 after it.
const secretPrefix = "whsec_"

// secretBytes is the length of a generated key: 256 bits, HMAC-SHA256's
// block-size-independent strength.
const secretBytes = 32

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock before Verify refuses it (replays).
const DefaultTolerance = 5 * time.Minute

// maxSignatureHeader bounds the signature header Verify reads.
const maxSignatureHeader = 4096

// Errors of Verify.
var (
	ErrMissingHeaders  = errors.New("webhooks: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrBadTimestamp    = errors.New("webhooks: timestamp not a number of seconds")
	ErrTimestampTooOld = errors.New("webhooks: timestamp too old")
	ErrTimestampTooNew = errors.New("webhooks: timestamp too far in the future")
	ErrNoMatchingSign  = errors.New("webhooks: no signature matches")
	ErrBadSecret       = errors.New("webhooks: secret is not whsec_ and base64")
)

// NewSecret returns a new random secret, "whsec_" and the base64 of 32
// random bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails (crypto/rand)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// key returns the HMAC key of secret: the bytes of the base64 after
// "whsec_" (the prefix is optional, as in the specification's libraries).
func key(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(k) == 0 {
		return nil, ErrBadSecret
	}
	return k, nil
}

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 of HMAC-SHA256(key, id + "." + timestamp + "." + body).
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

func mac(k []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, k)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received webhook: the headers h carry an id, a
// timestamp within tolerance of now (DefaultTolerance if 0) and, among the
// space-separated signatures of webhook-signature, a "v1," one that is the
// HMAC of id.timestamp.body under secret (compared in constant time).
// Signatures of other versions are ignored. It returns nil or one of the
// errors above, wrapped. Receivers call it before trusting the body, and
// de-duplicate by webhook-id.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	k, err := key(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	if len(sigs) > maxSignatureHeader {
		return ErrNoMatchingSign
	}
	if len(tsText) > 12 {
		return ErrBadTimestamp
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || sec < 0 {
		return ErrBadTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := time.Unix(sec, 0)
	if now.Sub(ts) > tolerance {
		return fmt.Errorf("%w: %s", ErrTimestampTooOld, ts.UTC().Format(time.RFC3339))
	}
	if ts.Sub(now) > tolerance {
		return fmt.Errorf("%w: %s", ErrTimestampTooNew, ts.UTC().Format(time.RFC3339))
	}
	want := mac(k, id, tsText, body)
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatchingSign
}
