package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// The attack suite sends what an attacker would to every route of the
// route table (so a route added later is attacked too): cross-site form
// posts, forged and expired credentials, oversize bodies, SQL and template
// injection in every text field the API documents and every form a page
// shows, another citizen's ids in the citizen's URLs, and path traversal.
// Each must get its refusal and change nothing (the audit trail, which
// records refusals, aside).

// injections are the texts put into every field: SQL, template and
// script injection.
var injections = []string{
	`x'); DROP TABLE persons; --`,
	`' OR '1'='1`,
	`{{.}}{{template "layout" .}}${7*7}`,
	`<script>alert('dost')</script>`,
}

// rawScript is the injected script as it would appear if a page printed it
// unescaped.
const rawScript = `<script>alert('dost')</script>`

// routeParts splits a route pattern into method and path ("GET" when the
// pattern has no method).
func routeParts(rt dosthttp.Route) (method, path string) {
	method, path, ok := strings.Cut(rt.Pattern, " ")
	if !ok || strings.Contains(method, "/") {
		return "GET", rt.Pattern
	}
	return method, path
}

// writes reports whether method changes state.
func writes(method string) bool {
	return method != "GET" && method != "HEAD" && method != "OPTIONS"
}

// allowedRole returns a role the route admits ("" for a public route, ok
// false when no seeded role may call it).
func allowedRole(ts *dosttest.TestServer, rt dosthttp.Route) (dost.Role, bool) {
	if rt.Access == dosthttp.Public {
		return "", true
	}
	for _, r := range []dost.Role{dost.RoleAdmin, dost.RoleOperator, dost.RoleCaseWorker, dost.RoleSupervisor,
		dost.RolePayroll, dost.RoleAuditor, dost.RoleCitizen, dost.RoleRegistry} {
		if rt.Allows(ts.Fixtures.Users[r]) {
			return r, true
		}
	}
	return "", false
}

// fingerprint counts the rows of every table but the audit trail's, the
// sessions' and the job queue's: what an attack must leave as it was.
func fingerprint(t *testing.T, ts *dosttest.TestServer) string {
	t.Helper()
	db := ts.DB.WriterDB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if ts.DB.Dialect() != "sqlite" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "audit") && !strings.HasPrefix(name, "river") && name != "sessions" && name != "goose_db_version" {
			tables = append(tables, name)
		}
	}
	rows.Close()
	var b strings.Builder
	for _, name := range tables {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM "` + name + `"`).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", name, err)
		}
		fmt.Fprintf(&b, "%s=%d ", name, n)
	}
	return b.String()
}

// unchanged fails the test if the database's fingerprint moved from before.
func unchanged(t *testing.T, ts *dosttest.TestServer, before string) {
	t.Helper()
	if after := fingerprint(t, ts); after != before {
		t.Errorf("the attacks changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

// do sends a request and returns the status and body.
func do(t *testing.T, c *http.Client, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// noRedirects is a signed-out client that shows redirects.
var noRedirects = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestAttack_CrossSiteForms: a form posted from another site, with the
// victim's session cookie, is refused on every route that changes
// anything, and nothing changes.
func TestAttack_CrossSiteForms(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	before := fingerprint(t, ts)
	n := 0
	for _, rt := range ts.Server.Routes() {
		method, path := routeParts(rt)
		role, ok := allowedRole(ts, rt)
		if !writes(method) || !ok {
			continue
		}
		c := noRedirects
		if role != "" {
			c = ts.Client(role)
		}
		req, _ := http.NewRequest(method, ts.URL+routePath(ts, path), strings.NewReader("reason=x&fin=1AB2CD3"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if status, body := do(t, c, req); status != http.StatusForbidden {
			t.Errorf("%s as %q from another site: got %d %.200s, want 403", rt.Pattern, role, status, body)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d routes that write", n)
	}
	unchanged(t, ts, before)
}

// TestAttack_ForgedCredentials: a forged bearer token, a forged session
// cookie, an expired token and a revoked user's token are refused on every
// route that is not public.
func TestAttack_ForgedCredentials(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	ctx := context.Background()
	clock := dosttest.ClockOf(t, ts.DB)
	// An operator's token that expires in an hour, the clock then moved
	// on; and a disabled user's.
	op := ts.Fixtures.Users[dost.RoleOperator]
	_, expiring, err := ts.Users.CreateAPIToken(ctx, op.ID, "short", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	gone := &dost.User{Username: "gone", Name: "Gone Operator", Email: "gone@dost.test", Roles: []dost.Role{dost.RoleOperator}}
	goneToken := ts.AddUser(gone)
	if _, err := ts.DB.WriterDB().ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE id = $1`, gone.ID); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, ts)
	now := clock.Now()
	clock.Advance(2 * time.Hour)
	defer clock.Set(now)

	forged := "dost_" + strings.Repeat("A", 43)
	creds := []struct {
		name string
		set  func(*http.Request)
	}{
		{"ForgedToken", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+forged) }},
		{"MalformedToken", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ../../etc/passwd") }},
		{"ExpiredToken", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+expiring) }},
		{"DisabledUsersToken", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+goneToken) }},
		{"ForgedCookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "dost_session", Value: forged}) }},
	}
	n := 0
	for _, rt := range ts.Server.Routes() {
		if rt.Access == dosthttp.Public {
			continue
		}
		method, path := routeParts(rt)
		api := strings.HasPrefix(path, "/api/")
		for _, cr := range creds {
			var body io.Reader
			if writes(method) {
				body = strings.NewReader("{}")
			}
			req, _ := http.NewRequest(method, ts.URL+routePath(ts, path), body)
			req.Header.Set("Content-Type", "application/json")
			cr.set(req)
			status, b := do(t, noRedirects, req)
			switch {
			case status == http.StatusUnauthorized:
			case !api && status == http.StatusSeeOther:
			default:
				t.Errorf("%s with %s: got %d %.200s, want 401 (or a redirect to sign in)", rt.Pattern, cr.name, status, b)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d attempts", n)
	}
	unchanged(t, ts, before)
}

// TestAttack_OversizeBodies: a body larger than the route reads is refused
// with a clear error on every route that takes one, and nothing changes.
func TestAttack_OversizeBodies(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	before := fingerprint(t, ts)
	jsonBody := []byte(`{"note":"` + strings.Repeat("a", 2<<20) + `"}`)
	// Pages parse forms up to 10 MB (net/http): beyond it.
	formBody := []byte("reason=" + strings.Repeat("a", 11<<20))
	for _, rt := range ts.Server.Routes() {
		method, path := routeParts(rt)
		role, ok := allowedRole(ts, rt)
		if !writes(method) || !ok || method == "DELETE" {
			continue
		}
		api := strings.HasPrefix(path, "/api/")
		body, ct := formBody, "application/x-www-form-urlencoded"
		if api {
			body, ct = jsonBody, "application/json"
		}
		if strings.Contains(path, "/imports") && api {
			// A bank report may be gigabytes: 2 MB of it is read, and
			// refused for what it is.
			body, ct = bytes.Repeat([]byte("<x>"), 1<<20), "application/xml"
		}
		req, _ := http.NewRequest(method, ts.URL+routePath(ts, path), bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if role != "" {
			req.Header.Set("Authorization", "Bearer "+ts.Token(role))
		}
		status, b := do(t, noRedirects, req)
		// Every API route reads its body; a page may not (signing out).
		if status >= 500 || (api && status < 400) {
			t.Errorf("%s as %q with %d bytes: got %d %.200s, want a 4xx refusal", rt.Pattern, role, len(body), status, b)
		}
		if api && status >= 400 && !bytes.Contains(b, []byte(`"code"`)) {
			t.Errorf("%s: the refusal is not problem+json: %.200s", rt.Pattern, b)
		}
	}
	unchanged(t, ts, before)
	// The server still answers.
	if status, _ := do(t, noRedirects, mustRequest(t, "GET", ts.URL+"/healthz")); status != 200 {
		t.Fatalf("healthz after the attacks: %d", status)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// sampler builds JSON bodies from the API's schemas: every field a value
// the API takes (by its name or format), but for the one field at the path
// inject names, which gets the text.
type sampler struct {
	valid  map[string]string // property name → a valid value
	inject string            // the property to put text in ("" none)
	text   string
	// fields collects the string properties seen, to inject one by one.
	fields map[string]bool
}

func (sp *sampler) sample(name string, s *openapi3.Schema, depth int) any {
	if s == nil || depth > 4 {
		return nil
	}
	for _, all := range [][]*openapi3.SchemaRef{s.AllOf, s.OneOf, s.AnyOf} {
		if len(all) > 0 && all[0].Value != nil {
			return sp.sample(name, all[0].Value, depth+1)
		}
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		out := map[string]any{}
		for prop, p := range s.Properties {
			out[prop] = sp.sample(prop, p.Value, depth+1)
		}
		return out
	case s.Type.Is("array"):
		if s.Items == nil {
			return []any{}
		}
		return []any{sp.sample(name, s.Items.Value, depth+1)}
	case s.Type.Is("integer"):
		return 1
	case s.Type.Is("number"):
		return 1.5
	case s.Type.Is("boolean"):
		return false
	}
	sp.fields[name] = true
	if name == sp.inject {
		return sp.text
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if v, ok := sp.valid[name]; ok {
		return v
	}
	switch s.Format {
	case "date":
		return "2026-11-20"
	case "date-time":
		return "2026-11-20T10:00:00+04:00"
	case "email":
		return "someone@dost.test"
	}
	return "A plain note."
}

// TestAttack_Injection puts SQL, template and script injections into every
// text field of every JSON body the API documents (as a role the route
// admits), into the query of every API read, and into every text field of
// every form the pages show; nothing may fail on the server (5xx), the
// registry must still be there, and no page may print the script
// unescaped afterwards.
func TestAttack_Injection(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	doc, _ := loadOpenAPI(t)
	routes := ts.Server.Routes()
	var persons int
	if err := ts.DB.WriterDB().QueryRow(`SELECT count(*) FROM persons`).Scan(&persons); err != nil {
		t.Fatal(err)
	}
	serverError := func(what string, status int, body []byte) {
		t.Helper()
		if status >= 500 {
			t.Errorf("%s: got %d %.300s", what, status, body)
		}
	}

	f := ts.Fixtures
	valid := map[string]string{
		"fin": string(f.Child.FIN), "service_code": f.Service.Code, "service": f.Service.Code, "centre": f.Centre.Code,
		"centre_code": f.Centre.Code, "period": "2026-11", "phone": "+994501234567", "email": "someone@dost.test",
		"iban": "AZ21NABZ00000000137010001944", "lang": "en", "language": "en", "username": "attack-user",
		"password": "a long passphrase 2026", "reason": "A plain reason.", "programme": "child_birth",
	}
	t.Run("APIBodies", func(t *testing.T) {
		n, stored := 0, 0
		for _, rt := range routes {
			method, path := routeParts(rt)
			role, ok := allowedRole(ts, rt)
			if !strings.HasPrefix(path, "/api/") || !writes(method) || !ok {
				continue
			}
			item := doc.Paths.Find(path)
			if item == nil || ownSession(path) {
				continue
			}
			op := item.GetOperation(method)
			if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil {
				continue
			}
			// Each text field in turn gets each injection, the others valid.
			sp := &sampler{valid: valid, fields: map[string]bool{}}
			sp.sample("", mt.Schema.Value, 0)
			var bodies [][]byte
			for field := range sp.fields {
				for _, text := range injections {
					sp.inject, sp.text = field, text
					body, _ := json.Marshal(sp.sample("", mt.Schema.Value, 0))
					bodies = append(bodies, body)
				}
			}
			for _, body := range bodies {
				req, _ := http.NewRequest(method, ts.URL+routePath(ts, path), bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "attack-"+strconv.Itoa(n))
				if role != "" {
					req.Header.Set("Authorization", "Bearer "+ts.Token(role))
				}
				status, b := do(t, noRedirects, req)
				serverError(rt.Pattern+" "+string(body), status, b)
				if status < 300 {
					stored++
				}
				n++
			}
		}
		if n < 40 {
			t.Fatalf("only %d bodies sent", n)
		}
		t.Logf("%d bodies sent, %d taken", n, stored)
	})

	t.Run("APIQueries", func(t *testing.T) {
		for _, rt := range routes {
			method, path := routeParts(rt)
			role, ok := allowedRole(ts, rt)
			if !strings.HasPrefix(path, "/api/") || method != "GET" || !ok {
				continue
			}
			for _, text := range injections {
				q := url.Values{}
				for _, name := range []string{"q", "fin", "status", "service", "centre", "from", "to", "programme", "bank", "cycle", "limit", "offset", "sort"} {
					q.Set(name, text)
				}
				req := mustRequest(t, "GET", ts.URL+routePath(ts, path)+"?"+q.Encode())
				if role != "" {
					req.Header.Set("Authorization", "Bearer "+ts.Token(role))
				}
				status, b := do(t, noRedirects, req)
				serverError(rt.Pattern+"?"+text, status, b)
			}
		}
	})

	t.Run("PageForms", func(t *testing.T) {
		n, taken := 0, 0
		for _, rt := range routes {
			method, path := routeParts(rt)
			role, ok := allowedRole(ts, rt)
			if strings.HasPrefix(path, "/api/") || method != "GET" || !ok || strings.Contains(path, "/static/") ||
				strings.HasSuffix(path, "/events") || strings.HasSuffix(path, ".pdf") || strings.HasSuffix(path, ".csv") ||
				strings.HasSuffix(path, ".xlsx") {
				continue
			}
			c := noRedirects
			if role != "" {
				c = ts.Client(role)
			}
			page := ts.URL + routePath(ts, path)
			status, body := do(t, c, mustRequest(t, "GET", page))
			if status != 200 || !bytes.Contains(body, []byte("<form")) {
				continue
			}
			for _, f := range pageForms(t, body) {
				// A form that asks for a password (sign-in, a change of
				// one) counts wrong ones against the account: not an
				// injection's place.
				if f.method != "post" || slices.ContainsFunc(f.inputs, func(in formInput) bool { return in.kind == "password" }) {
					continue
				}
				target, err := url.Parse(page)
				if err != nil {
					t.Fatal(err)
				}
				if f.action != "" {
					if target, err = target.Parse(f.action); err != nil {
						continue
					}
				}
				if target.Host != strings.TrimPrefix(ts.URL, "http://") || ownSession(target.Path) {
					continue
				}
				for _, text := range injections[:2] {
					vals := url.Values{}
					for _, in := range f.inputs {
						switch in.kind {
						case "hidden", "submit", "radio", "checkbox":
							vals.Set(in.name, in.value)
						case "file":
						default:
							vals.Set(in.name, text)
						}
					}
					req, _ := http.NewRequest("POST", target.String(), strings.NewReader(vals.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					status, b := do(t, c, req)
					serverError(fmt.Sprintf("form %s on %s as %q", target.Path, rt.Pattern, role), status, b)
					if status < 400 {
						taken++
					}
					n++
				}
			}
		}
		if n < 10 {
			t.Fatalf("only %d forms posted", n)
		}
		t.Logf("%d forms posted, %d taken", n, taken)
	})

	var after int
	if err := ts.DB.WriterDB().QueryRow(`SELECT count(*) FROM persons`).Scan(&after); err != nil {
		t.Fatalf("the registry after the injections: %v", err)
	}
	if after < persons {
		t.Errorf("persons: %d before, %d after", persons, after)
	}

	t.Run("PagesEscape", func(t *testing.T) {
		for _, rt := range routes {
			method, path := routeParts(rt)
			if method != "GET" || strings.Contains(path, "/static/") || strings.HasSuffix(path, "/events") {
				continue
			}
			for _, role := range append([]dost.Role{""}, dosttest.Roles...) {
				if role != "" && !rt.Allows(ts.Fixtures.Users[role]) {
					continue
				}
				c := noRedirects
				if role != "" {
					c = ts.Client(role)
				}
				status, body := do(t, c, mustRequest(t, "GET", ts.URL+routePath(ts, path)))
				serverError(rt.Pattern+" after the injections", status, body)
				if bytes.Contains(body, []byte(rawScript)) {
					t.Errorf("%s as %q prints the injected script unescaped", rt.Pattern, role)
				}
				break
			}
		}
	})
}

// ownSession reports whether path acts on the caller's own sign-in (sign
// out, end sessions, change the password): the shared test clients would
// be signed out or locked by their own attack.
func ownSession(path string) bool {
	return path == "/signout" || strings.HasPrefix(path, "/account/") || strings.HasPrefix(path, "/api/v1/session")
}

// TestAttack_OtherCitizensIDs: a citizen who puts another citizen's FIN or
// record ids into a URL the citizen may call sees nothing of that citizen.
func TestAttack_OtherCitizensIDs(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	ctx := context.Background()
	f := ts.Fixtures
	other := newBaby(t, ts, "5OT6HR7")
	other.LastName = "Başqasıyeva"
	app, _, err := ts.Casework.SubmitApplication(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), &dost.NewApplication{
		FIN: other.FIN, ServiceCode: birthService, Channel: dost.ApplicationAtCentre, IdempotencyKey: "other-citizen",
		Documents: []dost.NewDocument{{Code: "birth_certificate", Presented: true}, {Code: "id_card", Presented: true}}})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(app.ID, 10)
	c := ts.Client(dost.RoleCitizen)
	n := 0
	for _, rt := range ts.Server.Routes() {
		method, path := routeParts(rt)
		if rt.Access == dosthttp.Public || !rt.Allows(f.Users[dost.RoleCitizen]) || !strings.Contains(path, "{") {
			continue
		}
		target := wildcard.ReplaceAllStringFunc(path, func(w string) string {
			switch name := strings.Trim(w, "{}."); name {
			case "$":
				return ""
			case "fin":
				return string(other.FIN)
			}
			return id
		})
		var body io.Reader
		if writes(method) {
			body = strings.NewReader(`{"reason":"mine now"}`)
		}
		req, _ := http.NewRequest(method, ts.URL+target, body)
		req.Header.Set("Content-Type", "application/json")
		status, b := do(t, c, req)
		if status < 300 && (bytes.Contains(b, []byte(other.FIN)) || bytes.Contains(b, []byte("Aliyeva"))) {
			t.Errorf("%s %s as another citizen: got %d with that citizen's record: %.300s", method, target, status, b)
		}
		n++
	}
	got, err := ts.Casework.FindApplicationByID(dost.NewContextWithUser(ctx, f.Users[dost.RoleOperator]), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.Status {
		t.Errorf("another citizen moved the application from %s to %s", app.Status, got.Status)
	}
	if n == 0 {
		t.Skip("no citizen route takes an id yet")
	}
}

// TestAttack_PathTraversal: document downloads and static files refuse a
// path that climbs out of their directory.
func TestAttack_PathTraversal(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	for _, p := range []string{
		"/api/v1/applications/1/documents/..%2F..%2F..%2Fetc%2Fpasswd",
		"/api/v1/applications/1/documents/%2e%2e%2f%2e%2e%2fgo.mod",
		"/api/v1/applications/..%2F1/documents/1",
		"/static/..%2F..%2Fgo.mod",
		"/static/../../go.mod",
		"/static/%2e%2e/%2e%2e/etc/passwd",
	} {
		for _, role := range []dost.Role{"", dost.RoleOperator, dost.RoleAuditor} {
			req := mustRequest(t, "GET", ts.URL+p)
			if role != "" {
				req.Header.Set("Authorization", "Bearer "+ts.Token(role))
			}
			status, b := do(t, noRedirects, req)
			if status == 200 || status >= 500 || bytes.Contains(b, []byte("root:")) || bytes.Contains(b, []byte("module github.com")) {
				t.Errorf("GET %s as %q: got %d %.200s", p, role, status, b)
			}
		}
	}
}

// pageForm is a form of a page: its method, action and fields.
type pageForm struct {
	method, action string
	inputs         []formInput
}

type formInput struct{ kind, name, value string }

var (
	formRe     = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	fieldRe    = regexp.MustCompile(`(?s)<(input|textarea|select)\b([^>]*)>(.*?</select>)?`)
	attrRe     = regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)
	firstOptRe = regexp.MustCompile(`<option\b[^>]*value="([^"]*)"`)
)

// pageForms returns the forms of an HTML page (dost's own markup: quoted
// attributes), each field with its type, name and value.
func pageForms(t *testing.T, page []byte) []pageForm {
	t.Helper()
	attrs := func(s string) map[string]string {
		m := map[string]string{}
		for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
			m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
		}
		return m
	}
	var out []pageForm
	for _, fm := range formRe.FindAllSubmatch(page, -1) {
		fa := attrs(string(fm[1]))
		f := pageForm{method: strings.ToLower(fa["method"]), action: fa["action"]}
		for _, in := range fieldRe.FindAllSubmatch(fm[2], -1) {
			a := attrs(string(in[2]))
			if a["name"] == "" {
				continue
			}
			kind := strings.ToLower(a["type"])
			switch string(in[1]) {
			case "textarea":
				kind = "textarea"
			case "select":
				kind = "hidden" // a choice: its first option, as given
				if o := firstOptRe.FindSubmatch(in[3]); o != nil {
					a["value"] = html.UnescapeString(string(o[1]))
				}
			}
			if kind == "" {
				kind = "text"
			}
			f.inputs = append(f.inputs, formInput{kind: kind, name: a["name"], value: a["value"]})
		}
		out = append(out, f)
	}
	return out
}
