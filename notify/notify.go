// Package notify delivers the outbox's notifications: senders implementing
// dost.Sender for a log (development and tests), e-mail over SMTP and SMS
// through an HTTP gateway, and the retry schedule the delivery worker
// follows. What the messages say is the casework service's business.
package notify

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"
)

// ErrPermanent marks a send error that retrying cannot fix (a refused
// recipient, a rejected request): the outbox should mark the notification
// failed at once. Test with errors.Is; any other error is worth a retry.
var ErrPermanent = errors.New("permanent failure")

// MaxAttempts is how many times the outbox tries to send a notification
// before giving up; with Backoff's delays the last try comes 2½ to 5 hours
// after the first.
const MaxAttempts = 12

// Backoff bounds.
const (
	backoffBase = 30 * time.Second
	backoffCap  = time.Hour
)

// Backoff returns how long to wait before the next try after attempt
// failed tries (1 for the first): 30 s doubled each time, capped at 1 h,
// and jittered to a random duration between half of that and all of it,
// so that notifications failing together do not retry together. It is
// safe for concurrent use.
func Backoff(attempt int) time.Duration {
	d := backoffCap
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 8 { // 30 s << 7 = 64 min, past the cap
		d = min(backoffBase<<(attempt-1), backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}

// MaskRecipient hides most of a phone number or e-mail address, the only
// form of them that may appear in logs or be shown to staff who do not
// handle the person's case: "+994*******67" (the country code and the last
// 2 digits), "a***@example.az" (the first letter and the domain).
func MaskRecipient(to string) string {
	if local, domain, ok := strings.Cut(to, "@"); ok {
		if local == "" {
			return "***@" + domain
		}
		r := []rune(local)
		return string(r[0]) + "***@" + domain
	}
	r := []rune(to)
	keep := 0
	if len(r) > 0 && r[0] == '+' {
		keep = min(4, len(r)) // the country code, e.g. +994
	}
	if len(r)-keep <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep-2) + string(r[len(r)-2:])
}

// Patterns of Redact: e-mail addresses, and runs of 7 or more digits
// (phone numbers, with or without a leading +).
var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*`)
	phonePattern = regexp.MustCompile(`\+?[0-9]{7,}`)
)

// Redact masks, with MaskRecipient, every e-mail address and every run of
// 7 or more digits in s, such as an error text of an SMTP server or an SMS
// gateway that quotes the recipient, so that s may be logged or stored.
// Redact of its own result changes nothing. It is safe for concurrent use.
func Redact(s string) string {
	s = emailPattern.ReplaceAllStringFunc(s, MaskRecipient)
	return phonePattern.ReplaceAllStringFunc(s, MaskRecipient)
}
