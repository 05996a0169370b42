package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dost-az/dost"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ContentSecurityPolicy is sent with every response. Scripts and styles come
// only from our own origin, never inline; nothing may frame our pages.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// RequestIDHeader carries the request id: taken from the request when it is
// well formed (a proxy's id), else made up; always echoed in the response.
const RequestIDHeader = "X-Request-ID"

// middleware wraps the mux, outermost first: request id, access log and
// metrics, panic recovery, security headers, cross-origin (CSRF) protection.
// Authentication, authorisation and rate limits are per route (authorize).
func (s *Server) middleware(h http.Handler) http.Handler {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "Cross-origin request refused."))
	}))
	h = csrf.Handler(h)
	h = securityHeaders(h, s.SecureCookies)
	return s.observe(h)
}

// requestInfo is what the middleware and the route wrapper learn about a
// request, shared through its context so the access log can report it.
type requestInfo struct {
	id      string
	pattern string // the route pattern, set by authorize
	userID  atomic.Int64
}

type requestInfoKey struct{}

// requestInfoFrom returns the request's info, or an empty one outside the
// middleware.
func requestInfoFrom(r *http.Request) *requestInfo {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// ID returns the request id, or "-".
func (i *requestInfo) ID() string {
	if i.id == "" {
		return "-"
	}
	return i.id
}

// Pattern returns the matched route pattern, or "" if none matched.
func (i *requestInfo) Pattern(r *http.Request) string {
	if i.pattern != "" {
		return i.pattern
	}
	return r.Pattern
}

// requestIDs makes request ids: a random prefix per process and a counter,
// unique without a system call per request.
var requestIDs = struct {
	prefix string // with its "-"
	n      atomic.Uint64
}{prefix: randomHex(4) + "-"}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newRequestID() string {
	var buf [32]byte // one allocation: the string
	return string(strconv.AppendUint(append(buf[:0], requestIDs.prefix...), requestIDs.n.Add(1), 36))
}

// validRequestID accepts a client's or proxy's id if it is short and tame.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter records the status and size of a response. It unwraps for
// http.ResponseController and flushes for server-sent events.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush implements http.Flusher.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id, recovers panics into a 500, logs one
// access line and records the request's metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: r.Header.Get(RequestIDHeader)}
		if !validRequestID(info.id) {
			info.id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, info.id)
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		sw := &statusWriter{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err := fmt.Errorf("panic: %v", v)
				if sw.status == 0 {
					s.Error(sw, r, err)
				} else {
					s.logger().Error("panic after response started", "request_id", info.id, "err", err)
				}
			}
			s.logRequest(r, info, sw, time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// logRequest writes the access log line and updates the metrics. Neither
// carries a FIN, a name or an IBAN: paths are masked and query values
// dropped except for harmless parameters.
func (s *Server) logRequest(r *http.Request, info *requestInfo, sw *statusWriter, d time.Duration) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	pattern := info.Pattern(r)
	route := pattern
	if route == "" {
		route = "unmatched"
	}
	if s.metrics != nil {
		code := strconv.Itoa(status)
		s.metrics.requests.WithLabelValues(route, code).Inc()
		s.metrics.duration.WithLabelValues(route, code).Observe(d.Seconds())
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	logger := s.logger()
	if !logger.Enabled(r.Context(), level) {
		return // no line to format (DOST_LOG_LEVEL=warn and a request that went well)
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("route", pattern),
		slog.String("path", maskPath(r.URL.Path, pattern)),
		slog.Int("status", status),
		slog.Int64("bytes", sw.bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("request_id", info.id),
		slog.String("remote", remoteIP(r)),
	}
	if r.URL.RawQuery != "" {
		attrs = append(attrs, slog.String("query", maskQuery(r.URL.RawQuery)))
	}
	if id := info.userID.Load(); id != 0 {
		attrs = append(attrs, slog.Int64("user_id", id))
	}
	logger.LogAttrs(r.Context(), level, "http request", attrs...)
}

// maskPath hides FINs and letter codes in a request path: the segments
// matched by a {fin} wildcard of the route pattern, any other segment
// shaped like a FIN (7 digits and capital letters, at least one digit),
// and the letter code of /verify/{code} (whoever holds it may read the
// letter), of which the first 4 characters are kept.
func maskPath(path, pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // drop a host
	}
	segs := strings.Split(path, "/")
	pats := strings.Split(pattern, "/")
	changed := false
	for i, seg := range segs {
		finWildcard := i < len(pats) && strings.HasPrefix(pats[i], "{") && strings.Contains(strings.ToLower(pats[i]), "fin")
		// By the path, not the pattern: a request no route matched
		// (/verify/<code>/x) shows no code either.
		if i == 2 && segs[1] == "verify" && seg != "" {
			segs[i] = maskLetterCode(seg)
			changed = true
		} else if finWildcard || looksLikeFIN(seg) {
			segs[i] = dost.FIN(seg).Masked()
			changed = true
		}
	}
	if !changed {
		return path
	}
	return strings.Join(segs, "/")
}

// maskLetterCode keeps the first 4 characters of a letter code and the
// dashes that group it, and replaces every other character by *:
// "FDE9-1176-K4NH-ASDY" → "FDE9-****-****-****".
func maskLetterCode(code string) string {
	var b strings.Builder
	for i, r := range []rune(code) {
		if i < 4 || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// looksLikeFIN reports whether s could be a FIN typed in any case.
func looksLikeFIN(s string) bool {
	if len(s) != dost.FINLength {
		return false
	}
	digit := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return digit
}

// loggedQueryParams are the query parameters whose values may be logged;
// the values of all others (fin, q, name, birth_date, …) are replaced by *.
var loggedQueryParams = map[string]bool{
	"offset": true, "limit": true, "category": true, "channel": true, "mode": true,
	"centre": true, "service": true, "lang": true, "page": true,
}

func maskQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "*"
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			if loggedQueryParams[k] {
				b.WriteString(url.QueryEscape(v))
			} else {
				b.WriteByte('*')
			}
		}
	}
	return b.String()
}

// remoteIP returns the client's address as the server sees it. Behind a
// proxy or load balancer that is the proxy's address: the rate limits then
// apply to all clients of the proxy together, and the proxy should limit.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler, tls bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if tls {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// metrics are the Prometheus metrics of one Server, in its own registry so
// that several servers (in tests) do not collide.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  http.Handler // serves the registry to Prometheus
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dost_http_requests_total",
			Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dost_http_request_duration_seconds",
			Help:    "HTTP request duration by route pattern and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "status"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m
}

// RateLimit is a token bucket per client IP: Burst requests at once, then
// Rate requests per second. The zero RateLimit does not limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Default rate limits (see Server.SignInLimit and Server.PublicLimit):
// sign-in allows 10 attempts at once, then one every 6 seconds per IP (on
// top of the per-account lock-out); public endpoints allow bursts of 200,
// then 50 requests per second per IP.
var (
	DefaultSignInLimit = RateLimit{Rate: 1.0 / 6, Burst: 10}
	DefaultPublicLimit = RateLimit{Rate: 50, Burst: 200}
)

// rateLimiter keeps token buckets in memory, per node: with several nodes
// a client gets each node's allowance. Idle buckets are swept as requests
// come, so no goroutine is needed.
type rateLimiter struct {
	limit RateLimit
	now   func() time.Time

	mu        sync.Mutex // guards buckets and lastSweep
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(l RateLimit, now func() time.Time) *rateLimiter {
	if l.Rate <= 0 || l.Burst <= 0 {
		return nil
	}
	return &rateLimiter{limit: l, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket, reporting false (and how long to
// wait) when it is empty. A nil limiter allows everything.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	full := float64(l.limit.Burst)
	if now.Sub(l.lastSweep) > time.Minute {
		// A bucket idle long enough to have refilled is the same as none.
		refill := time.Duration(full / l.limit.Rate * float64(time.Second))
		for k, b := range l.buckets {
			if now.Sub(b.last) > refill {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: full, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(full, b.tokens+now.Sub(b.last).Seconds()*l.limit.Rate)
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.limit.Rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}
