package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// MaxBodyBytes is the largest JSON request body the API reads.
const MaxBodyBytes = 1 << 20

// codeRateLimited is the problem code of a request refused by a rate
// limiter. It is an HTTP concern (429), not a domain error code.
const codeRateLimited = "rate_limited"

// codeUnavailable is the problem code of a request that failed because the
// database is unavailable for now (unreachable, its disk full; see
// Server.Unavailable): 503 with Retry-After. Like codeRateLimited it is an
// HTTP concern, not a domain error code.
const codeUnavailable = "unavailable"

// statusOf maps dost error codes to HTTP statuses. This table is the one
// place where that happens.
//
// Every EINVALID error is 400 Bad Request, whether the body was malformed or
// a field failed validation: clients tell the two apart by the errors list,
// which names the fields, not by the status.
var statusOf = map[string]int{
	dost.EINVALID:      http.StatusBadRequest,
	dost.ENOTFOUND:     http.StatusNotFound,
	dost.ECONFLICT:     http.StatusConflict,
	dost.EUNAUTHORIZED: http.StatusUnauthorized,
	dost.EFORBIDDEN:    http.StatusForbidden,
	dost.EINTERNAL:     http.StatusInternalServerError,
	codeRateLimited:    http.StatusTooManyRequests,
	codeUnavailable:    http.StatusServiceUnavailable,
}

// ErrorStatus returns the HTTP status for err's dost error code.
func ErrorStatus(err error) int {
	if s, ok := statusOf[dost.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details document with dost's extensions:
// a stable Code (a dost error code) and per-field Errors.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail"`
	Instance string            `json:"instance"`
	Code     string            `json:"code"`
	Errors   []dost.FieldError `json:"errors"`
}

// ProblemType returns the type URI of problems with a dost error code. The
// URIs are relative references resolved against the API, stable like the
// codes.
func ProblemType(code string) string { return "/problems/" + strings.ReplaceAll(code, "_", "-") }

// Error writes err to the client: an RFC 9457 application/problem+json
// document for API requests (paths under /api/), an error page for the UI.
// Internal errors are logged with the request's method, path and id and
// shown only as "Internal error.".
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := dost.ErrorCode(err)
	status := ErrorStatus(err)
	info := requestInfoFrom(r)
	if code == dost.EINTERNAL && s.Unavailable != nil && s.Unavailable(err) {
		s.logger().LogAttrs(r.Context(), slog.LevelError, "database unavailable",
			slog.String("method", r.Method),
			slog.String("path", maskPath(r.URL.Path, info.Pattern(r))),
			slog.String("request_id", info.ID()),
			slog.String("err", err.Error()),
		)
		w.Header().Set("Retry-After", "5")
		err, code, status = errUnavailable, codeUnavailable, http.StatusServiceUnavailable
	}
	if code == dost.EINTERNAL {
		s.logger().LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("method", r.Method),
			slog.String("path", maskPath(r.URL.Path, info.Pattern(r))),
			slog.String("request_id", info.ID()),
			slog.String("err", err.Error()),
		)
	}
	if !isAPI(r) {
		s.errorPage(w, r, status, code, dost.ErrorMessage(err))
		return
	}
	p := Problem{
		Type:   ProblemType(code),
		Title:  http.StatusText(status),
		Status: status,
		Detail: dost.ErrorMessage(err),
		// The instance names this occurrence by its request id, which the
		// logs carry too; not by the path, which may hold a FIN.
		Instance: "urn:dost:request:" + info.ID(),
		Code:     code,
		Errors:   dost.ErrorFields(err),
	}
	if p.Errors == nil {
		p.Errors = []dost.FieldError{}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// errRateLimited is the error of a request refused by a rate limiter.
var errRateLimited = &dost.Error{Code: codeRateLimited, Message: "Too many requests; try again later."}

// errUnavailable is the error shown for a request that failed because the
// database is unavailable for now; the cause is only logged.
var errUnavailable = &dost.Error{Code: codeUnavailable, Message: "The service is temporarily unavailable (its database cannot be reached or is full); try again later."}

// writeJSON writes v as a JSON response with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Page is one page of a list: the items, the total count of matches and
// the offset and limit that selected the page.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// newPage returns a Page, never with a null items list.
func newPage[T any](items []T, total, offset, limit int) Page[T] {
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, Total: total, Offset: offset, Limit: limit}
}

// decodeJSON reads r's body as one JSON value into v strictly: at most
// MaxBodyBytes, a JSON content type, no unknown fields, nothing after the
// value. Any problem is an EINVALID *dost.Error naming the field where it
// can.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return dost.Errorf(dost.EINVALID, "The request body must be JSON (Content-Type: application/json).")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return dost.Errorf(dost.EINVALID, "The request body is larger than %d bytes.", MaxBodyBytes)
		}
		return dost.Errorf(dost.EINVALID, "The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return dost.Errorf(dost.EINVALID, "The request body is empty; a JSON object is expected.")
	}
	if err := strictUnmarshal(body, v); err != nil {
		return jsonError(body, v, err)
	}
	return nil
}

// strictUnmarshal decodes exactly one JSON value without unknown fields.
func strictUnmarshal(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailingData
	}
	return nil
}

var errTrailingData = errors.New("trailing data after the JSON value")

// jsonError turns a decoding error into an EINVALID *dost.Error with the
// offending field where it can be found.
func jsonError(body []byte, v any, err error) error {
	invalid := func(field, code, msg string) error {
		if field == "" {
			return dost.Errorf(dost.EINVALID, "%s", msg)
		}
		return &dost.Error{Code: dost.EINVALID, Message: msg,
			Fields: []dost.FieldError{{Field: field, Code: code, Message: msg}}}
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errTrailingData):
		return invalid("", "", "The request body is not valid JSON.")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return invalid("", "", "The request body must be a JSON "+jsonKind(reflect.TypeOf(v))+".")
		}
		return invalid(field, "type.invalid", "Field "+field+" must be a JSON "+jsonKind(typ.Type)+".")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return invalid(name, "field.unknown", "Unknown field "+strconv.Quote(name)+".")
	}
	// A value's own UnmarshalText failed (a date, a month, an amount);
	// the error does not say which field, so find it by decoding the
	// top-level fields one at a time.
	msg := "A value in the request body is not valid."
	var de *dost.Error
	if errors.As(err, &de) {
		msg = de.Message
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		t := reflect.TypeOf(v)
		for name, raw := range obj {
			one, _ := json.Marshal(map[string]json.RawMessage{name: raw})
			if json.Unmarshal(one, reflect.New(t.Elem()).Interface()) != nil {
				return invalid(name, "value.invalid", msg)
			}
		}
	}
	return invalid("", "", msg)
}

// jsonKind names the JSON kind that decodes into t.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "value"
	}
	if t.Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()) ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()) {
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "value"
}
