package http_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

var wildcard = regexp.MustCompile(`\{([^}]*)\}`)

// routePath turns a route pattern's path into a request path, filling the
// wildcards with seeded records.
func routePath(ts *dosttest.TestServer, path string) string {
	f := ts.Fixtures
	return wildcard.ReplaceAllStringFunc(path, func(w string) string {
		switch name := strings.Trim(w, "{}."); {
		case name == "$":
			return ""
		case name == "fin":
			return string(f.Head.FIN)
		case name == "id":
			return strconv.FormatInt(f.Household.ID, 10)
		case name == "code" && strings.Contains(path, "/centres/"):
			return f.Centre.Code
		case name == "code":
			return f.Service.Code
		}
		return "x"
	})
}

// TestRoutes walks every route of the table, API and UI, as every role and
// as nobody, and checks that the answer agrees with the route's access:
// allowed callers are neither refused nor sent to sign in; nobody is told
// 401 by the API and redirected to /signin by the UI; a signed-in user
// without the role gets 403.
func TestRoutes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		routes := ts.Server.Routes()
		if len(routes) < 30 {
			t.Fatalf("only %d routes", len(routes))
		}
		roles := append([]dost.Role{nobody}, dosttest.Roles...)
		for _, rt := range routes {
			method, path, ok := strings.Cut(rt.Pattern, " ")
			if !ok || strings.Contains(method, "/") {
				method, path = "GET", rt.Pattern
			}
			target := routePath(ts, path)
			api := strings.HasPrefix(path, "/api/")
			for _, role := range roles {
				name := string(role)
				if role == nobody {
					name = "nobody"
				}
				t.Run(rt.Pattern+"/"+name, func(t *testing.T) {
					var u *dost.User
					var body io.Reader
					if method != "GET" && method != "HEAD" && method != "DELETE" {
						body = strings.NewReader("{}")
					}
					req, err := http.NewRequest(method, ts.URL+target, body)
					if err != nil {
						t.Fatal(err)
					}
					if body != nil {
						if api {
							req.Header.Set("Content-Type", "application/json")
						} else {
							req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						}
					}
					if role != nobody {
						u = ts.Fixtures.Users[role]
						req.Header.Set("Authorization", "Bearer "+ts.Token(role))
					}
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					data, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					validateResponse(t, req, resp.StatusCode, resp.Header, data)
					toSignIn := resp.StatusCode >= 300 && resp.StatusCode < 400 &&
						strings.HasPrefix(resp.Header.Get("Location"), "/signin")
					switch {
					case rt.Allows(u):
						if resp.StatusCode == 401 || resp.StatusCode == 403 || toSignIn {
							t.Errorf("%s %s as %s: got %d (Location %q), want access", method, target, name, resp.StatusCode, resp.Header.Get("Location"))
						}
					case u == nil && api:
						if resp.StatusCode != 401 {
							t.Errorf("%s %s as nobody: got %d, want 401", method, target, resp.StatusCode)
						}
					case u == nil:
						if resp.StatusCode != http.StatusSeeOther || !toSignIn {
							t.Errorf("%s %s as nobody: got %d (Location %q), want 303 to /signin", method, target, resp.StatusCode, resp.Header.Get("Location"))
						}
					default:
						if resp.StatusCode != 403 {
							t.Errorf("%s %s as %s: got %d, want 403", method, target, name, resp.StatusCode)
						}
					}
				})
			}
		}
	})
}

// TestRouteAllows checks the access levels themselves.
func TestRouteAllows(t *testing.T) {
	user := func(roles ...dost.Role) *dost.User { return &dost.User{ID: 1, Roles: roles} }
	for _, tc := range []struct {
		name  string
		route dosthttp.Route
		user  *dost.User
		want  bool
	}{
		{"PublicNobody", dosthttp.Route{Access: dosthttp.Public}, nil, true},
		{"SignedInNobody", dosthttp.Route{Access: dosthttp.SignedIn}, nil, false},
		{"SignedInCitizen", dosthttp.Route{Access: dosthttp.SignedIn}, user(dost.RoleCitizen), true},
		{"StaffCitizen", dosthttp.Route{Access: dosthttp.Staff}, user(dost.RoleCitizen), false},
		{"StaffAuditor", dosthttp.Route{Access: dosthttp.Staff}, user(dost.RoleAuditor), true},
		{"ByRoleOther", dosthttp.Route{Access: dosthttp.ByRole, Roles: []dost.Role{dost.RoleAdmin}}, user(dost.RoleOperator), false},
		{"ByRoleOne", dosthttp.Route{Access: dosthttp.ByRole, Roles: []dost.Role{dost.RoleAdmin}}, user(dost.RoleOperator, dost.RoleAdmin), true},
		{"ByRoleNobody", dosthttp.Route{Access: dosthttp.ByRole, Roles: []dost.Role{dost.RoleAdmin}}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.route.Allows(tc.user); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
