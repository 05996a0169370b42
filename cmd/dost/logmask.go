package main

import (
	"log/slog"
	"reflect"
	"regexp"
	"strings"
)

// Log masking: the last line of defence behind the code's own masking
// (http's access log masks FINs and letter codes in paths and queries).
// Every string and error written to dost's logs goes through maskLogText,
// which hides what looks like a FIN or an IBAN. Names cannot be told from
// other words; the code must never log them (the end-to-end tests scan the
// logs for the names of every person they stored: internal/dosttest
// LogLeaks).

// logIBAN matches an Azerbaijani IBAN in full.
var logIBAN = regexp.MustCompile(`\bAZ[0-9]{2}[A-Z]{4}[0-9A-Z]{20}\b`)

// logFIN matches what looks like a FIN: 7 upper-case letters and digits
// standing alone, with at least one digit and one letter (checked in
// maskLogText), as every FIN has.
var logFIN = regexp.MustCompile(`\b[0-9A-Z]{7}\b`)

// maskLogText returns s with IBANs shown as their first 8 and last 4
// characters and FINs as their first and last (dost.FIN.Masked).
func maskLogText(s string) string {
	if len(s) < 7 {
		return s
	}
	s = logIBAN.ReplaceAllStringFunc(s, func(iban string) string {
		return iban[:8] + strings.Repeat("*", len(iban)-12) + iban[len(iban)-4:]
	})
	return logFIN.ReplaceAllStringFunc(s, func(w string) string {
		if !strings.ContainsAny(w, "0123456789") || !strings.ContainsAny(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			return w
		}
		return w[:1] + "*****" + w[6:]
	})
}

// maskLogAttr is the slog.HandlerOptions.ReplaceAttr of dost's loggers: it
// masks string values and errors (maskLogText). Groups are walked by slog
// itself.
func maskLogAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) >= 7 {
			a.Value = slog.StringValue(maskLogText(s))
		}
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(maskLogText(v.Error()))
		case []byte:
			a.Value = slog.StringValue(maskLogText(string(v)))
		case interface{ String() string }:
			a.Value = slog.StringValue(maskLogText(v.String()))
		default:
			// Named string types (dost.FIN, dost.Role, …).
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
				a.Value = slog.StringValue(maskLogText(rv.String()))
			}
		}
	}
	return a
}
