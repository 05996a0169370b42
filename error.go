// Package dost holds the domain of dost, the software of a network of one-stop
// social-protection centres: persons and households in the registry, the
// service catalogue, centres, staff and the services that store and use them.
//
// The package imports only the standard library. Adapters (sqlstore, http,
// …) implement the service interfaces declared here; cmd/dost wires them.
package dost

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. They are stable: the HTTP API returns them in problem+json
// documents and clients may switch on them.
const (
	EINVALID      = "invalid"      // the input is wrong; Fields say where
	ENOTFOUND     = "not_found"    // the record does not exist
	ECONFLICT     = "conflict"     // the record exists or changed meanwhile
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // credentials valid, permission missing
	EINTERNAL     = "internal"     // a fault of ours; never shown in detail
)

// Error is the one error type of the domain. Message is safe to show to the
// user; internal errors carry their cause in a wrapped error instead.
type Error struct {
	Code    string
	Message string
	// Fields names each invalid input field. Field codes double as keys of
	// the message catalogue (e.g. "fin.invalid").
	Fields []FieldError
}

// FieldError is one problem with one input field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dost error: code=%s message=%s", e.Code, e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the *Error in err's chain, or a
// generic message for internal errors so that their details never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field errors of the *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field errors; its Err method turns them into one
// EINVALID *Error, or nil when there were none.
type Validation struct {
	Fields []FieldError
}

// Add records a problem with field. code is a message-catalogue key.
func (v *Validation) Add(field, code, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// FieldErr returns an EINVALID *Error with one field error, whose message
// is also the error's message. code is a message-catalogue key.
func FieldErr(field, code, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: msg, Fields: []FieldError{{Field: field, Code: code, Message: msg}}}
}

// Err returns nil when no field was added, else an EINVALID *Error.
func (v *Validation) Err(message string) error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: message, Fields: v.Fields}
}
