package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// nobody is the role of a request without credentials.
const nobody dost.Role = ""

// result is an API answer as a test sees it.
type result struct {
	Status  int
	Header  http.Header
	Body    []byte
	Problem dosthttp.Problem // decoded when the body is problem+json
}

// decode unmarshals the body into v.
func (r *result) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// call sends a request to ts as role with a bearer token (none for nobody)
// and checks the response against openapi.json. body is sent as is when it
// is a string, as JSON otherwise, and not at all when nil.
func call(t testing.TB, ts *dosttest.TestServer, role dost.Role, method, path string, body any) *result {
	t.Helper()
	var hdr http.Header
	if role != nobody {
		hdr = http.Header{"Authorization": {"Bearer " + ts.Token(role)}}
	}
	return send(t, ts, http.DefaultClient, hdr, method, path, body)
}

// send is call with a client and headers of the caller's choosing.
func send(t testing.TB, ts *dosttest.TestServer, c *http.Client, hdr http.Header, method, path string, body any) *result {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &result{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		r.decode(t, &r.Problem)
	}
	validateResponse(t, req, resp.StatusCode, resp.Header, data)
	return r
}

// apiCase is one row of a table-driven API test.
type apiCase struct {
	name   string
	role   dost.Role
	method string
	path   string
	body   any

	status int
	// contains and excludes are strings the body must and must not hold.
	contains, excludes []string
	// code and field are the problem's code and first field error, if set.
	code, field string
	// check runs after the request, e.g. to verify side effects.
	check func(t *testing.T, r *result)
}

// run runs the cases in order as subtests: later cases may rely on the
// side effects of earlier ones.
func run(t *testing.T, ts *dosttest.TestServer, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, ts, tc.role, tc.method, tc.path, tc.body)
			if r.Status != tc.status {
				t.Fatalf("%s %s: got status %d, want %d; body %s", tc.method, tc.path, r.Status, tc.status, r.Body)
			}
			for _, s := range tc.contains {
				if !bytes.Contains(r.Body, []byte(s)) {
					t.Errorf("body lacks %q: %s", s, r.Body)
				}
			}
			for _, s := range tc.excludes {
				if bytes.Contains(r.Body, []byte(s)) {
					t.Errorf("body holds %q: %s", s, r.Body)
				}
			}
			if tc.code != "" && r.Problem.Code != tc.code {
				t.Errorf("problem code: got %q, want %q", r.Problem.Code, tc.code)
			}
			if tc.field != "" {
				if len(r.Problem.Errors) == 0 {
					t.Errorf("problem has no field errors, want field %q: %s", tc.field, r.Body)
				} else if got := r.Problem.Errors[0].Field; got != tc.field {
					t.Errorf("problem field: got %q, want %q: %s", got, tc.field, r.Body)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// forEachDialect runs fn as a subtest per database dialect, each with a
// fresh test server.
func forEachDialect(t *testing.T, fn func(t *testing.T, ts *dosttest.TestServer)) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			fn(t, dosttest.NewServer(t, d))
		})
	}
}

// linkStaff links the seeded staff accounts to persons of their own, in no
// household, created here: casework lets only a staff member linked to
// their person in the registry decide (so that nobody decides their own or
// a household member's application).
func linkStaff(t *testing.T, ts *dosttest.TestServer) {
	t.Helper()
	ctx := context.Background()
	for i, role := range dost.StaffRoles {
		u := ts.Fixtures.Users[role]
		if u == nil || u.PersonID != nil {
			continue
		}
		p := &dost.Person{FIN: dost.FIN(fmt.Sprintf("9STF%03d", i)), FirstName: "Staff", LastName: string(role),
			BirthDate: dost.MustDate("1980-01-01"), Sex: dost.SexFemale, Region: "Baku", District: "Nizami", Address: "Street 9"}
		if err := ts.Persons.CreatePerson(ctx, p); err != nil {
			t.Fatalf("person of %s: %v", role, err)
		}
		linked, err := ts.Users.UpdateUser(ctx, u.ID, dost.UserUpdate{PersonID: &p.ID})
		if err != nil {
			t.Fatalf("link %s: %v", role, err)
		}
		*u = *linked
	}
}
