package http_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
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
		case name == "id" && strings.Contains(path, "/users/"):
			return "999999" // no such user: the walk must not revoke or disable the callers
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

// Accesses of routeAccess, spelt as openapi.json's x-dost-access.
const (
	public   = "public"
	signedIn = "signed_in"
	staff    = "staff"
	// readers and writers are the registry's.
	readers = "roles:operator,caseworker,supervisor,admin,auditor"
	writers = "roles:operator,caseworker,admin"
	admins  = "roles:admin"
	// openers open applications and attach documents; handlers review,
	// assign and decide them; docReaders read documents' content;
	// overseers read the deadline counts.
	openers    = "roles:operator,caseworker,supervisor"
	handlers   = "roles:caseworker,supervisor"
	docReaders = "roles:operator,caseworker,supervisor,auditor"
	overseers  = "roles:supervisor,admin,auditor"
	// payrollOfficers prepare, approve, export and correct the payroll;
	// payrollReaders read it (citizens read their own payments).
	payrollOfficers = "roles:payroll"
	payrollReaders  = "roles:payroll,supervisor,admin,auditor"
	// hallOperators work at the hall's counters.
	hallOperators = "roles:operator"
	// citizen is the citizen's own account (the portal).
	citizen = "roles:citizen"
)

// routeAccess is who may call each route, written out by hand and not
// derived from the route table, so that a wrong row in the table shows up
// as a difference here (TestRouteTable) and as a wrong answer in the walk
// (TestRoutes). A new route must be added here.
var routeAccess = map[string]string{
	// The audit trail (api_audit.go).
	"GET /api/v1/audit": "roles:auditor,admin", "GET /audit": "roles:auditor,admin",
	"GET /api/v1/me/views": citizen, "GET /my/viewers": citizen,
	// Webhook subscriptions (api_webhooks.go).
	"GET /api/v1/webhooks": "roles:admin", "POST /api/v1/webhooks": "roles:admin",
	"GET /api/v1/webhooks/{id}": "roles:admin", "DELETE /api/v1/webhooks/{id}": "roles:admin",
	"GET /api/v1/webhooks/{id}/deliveries": "roles:admin",
	// Service by video: the pages (ui_video.go).
	"GET /my/video": citizen, "GET /centres/{code}/video": public, "GET /video/tickets/{id}": public,
	"GET /video/calls/{ticket}": staff, "GET /video/interpretations": staff,
	"GET /hall/counters/{counter}/video": hallOperators, "POST /hall/counters/{counter}/video/call-next": hallOperators,
	// Service by video: the API and the signalling WebSocket (api_video.go, video_ws.go). The
	// call's routes are public: the handler admits the ticket's citizen, its operator and
	// its interpreter, and refuses anyone else (403).
	"POST /api/v1/video/tickets": public, "GET /api/v1/video/calls/{ticket}": public,
	"POST /api/v1/video/calls/{ticket}/consent": public, "POST /api/v1/video/calls/{ticket}/interpretations": public,
	"POST /api/v1/video/calls/{ticket}/hangup": public, "GET /video/calls/{ticket}/ws": public,
	"GET /api/v1/video/interpretations": staff, "POST /api/v1/video/interpretations/{id}/accept": staff,
	// Video set-up, remote check-in and recording (api_video_admin.go).
	"PUT /api/v1/centres/{code}/kind": admins, "GET /api/v1/video/interpreters": admins,
	"POST /api/v1/video/interpreters": admins, "DELETE /api/v1/video/interpreters/{id}": admins,
	"POST /my/appointments/{id}/video": citizen, "POST /api/v1/video/appointments/{id}/check-in": citizen, "POST /api/v1/video/calls/{ticket}/recording": public,

	"GET /healthz": public,
	"GET /readyz":  public,
	"GET /metrics": public,

	"GET /api/v1/openapi.json": public,
	"POST /api/v1/session":     public,
	"DELETE /api/v1/session":   public,
	"GET /api/v1/me":           signedIn,

	// the citizen's account (ui_portal*.go, api_me.go): citizens only
	"GET /api/v1/me/person":                citizen,
	"GET /api/v1/me/awards":                citizen,
	"GET /api/v1/me/payments":              citizen,
	"GET /api/v1/me/applications":          citizen,
	"GET /api/v1/me/applications/{id}":     citizen,
	"GET /api/v1/me/offers":                citizen,
	"GET /api/v1/me/appointments":          citizen,
	"PATCH /api/v1/me/profile":             citizen,
	"GET /my":                              citizen,
	"GET /my/benefits":                     citizen,
	"GET /my/payments":                     citizen,
	"GET /my/applications":                 citizen,
	"GET /my/applications/new":             citizen,
	"POST /my/applications":                citizen,
	"GET /my/applications/{id}":            citizen,
	"POST /my/applications/{id}/actions":   citizen,
	"POST /my/applications/{id}/documents": citizen,
	"GET /my/offers":                       citizen,
	"POST /my/offers/{id}":                 citizen,
	"GET /my/appointments":                 citizen,
	"GET /my/appointments/new":             citizen,
	"POST /my/appointments":                citizen,
	"POST /my/appointments/{id}/cancel":    citizen,
	"GET /my/profile":                      citizen,
	"POST /my/profile":                     citizen,
	// the citizen applies and acts through the API (api_me_applications.go)
	"POST /api/v1/me/applications":                  citizen,
	"POST /api/v1/me/applications/{id}/transitions": citizen,
	// certificates (api_certificates.go, ui_portal_certificates.go, ui_verify_cert.go)
	"GET /api/v1/me/certificates":                 citizen,
	"POST /api/v1/me/certificates":                citizen,
	"GET /api/v1/me/certificates/{id}":            citizen,
	"GET /my/certificates":                        citizen,
	"POST /my/certificates":                       citizen,
	"GET /my/certificates/{id}":                   citizen,
	"GET /api/v1/persons/{fin}/certificates":      "roles:operator,supervisor,caseworker,auditor",
	"POST /api/v1/persons/{fin}/certificates":     "roles:operator,supervisor",
	"GET /api/v1/persons/{fin}/certificates/{id}": "roles:operator,supervisor,caseworker,auditor",
	"GET /verify/certificates":                    public,

	"GET /api/v1/persons":                          readers,
	"POST /api/v1/persons":                         writers,
	"GET /api/v1/persons/{fin}":                    readers,
	"PATCH /api/v1/persons/{fin}":                  writers,
	"GET /api/v1/persons/{fin}/insurance":          readers,
	"POST /api/v1/persons/{fin}/insurance":         writers,
	"GET /api/v1/persons/{fin}/incomes":            readers,
	"POST /api/v1/persons/{fin}/incomes":           writers,
	"GET /api/v1/persons/{fin}/disabilities":       readers,
	"POST /api/v1/persons/{fin}/disabilities":      writers,
	"GET /api/v1/households":                       readers,
	"POST /api/v1/households":                      writers,
	"GET /api/v1/households/{id}":                  readers,
	"POST /api/v1/households/{id}/members":         writers,
	"DELETE /api/v1/households/{id}/members/{fin}": writers,

	"GET /api/v1/services":        public,
	"GET /api/v1/services/{code}": public,
	"GET /api/v1/centres":         public,
	"POST /api/v1/centres":        admins,
	"GET /api/v1/centres/{code}":  public,
	"PUT /api/v1/centres/{code}":  admins,

	"POST /api/v1/applications":                     openers,
	"GET /api/v1/applications":                      staff,
	"GET /api/v1/applications/{id}":                 staff,
	"POST /api/v1/applications/{id}/assign":         handlers,
	"POST /api/v1/applications/{id}/transitions":    handlers,
	"GET /api/v1/applications/{id}/assessment":      handlers,
	"POST /api/v1/applications/{id}/documents":      openers,
	"GET /api/v1/applications/{id}/documents/{doc}": docReaders,
	"GET /api/v1/decisions/{id}":                    staff,
	"GET /api/v1/deadlines":                         overseers,
	"GET /api/v1/awards":                            readers,
	"GET /api/v1/persons/{fin}/awards":              readers,
	"GET /api/v1/households/{id}/awards":            readers,
	"GET /api/v1/notifications":                     "roles:admin,auditor",
	"GET /api/v1/holidays":                          staff,
	"PUT /api/v1/holidays/{date}":                   admins,
	"DELETE /api/v1/holidays/{date}":                admins,

	"POST /api/v1/events":              "roles:registry,admin",
	"GET /api/v1/events/{id}":          "roles:registry,supervisor,admin,auditor",
	"GET /api/v1/persons/{fin}/offers": readers,
	"POST /api/v1/offers/{id}/accept":  openers,
	"POST /api/v1/offers/{id}/decline": openers,

	"GET /api/":    public,
	"POST /api/":   public,
	"PUT /api/":    public,
	"PATCH /api/":  public,
	"DELETE /api/": public,

	"POST /api/v1/calculate":       public,
	"POST /api/v1/trace":           public,
	"GET /api/v1/variables":        public,
	"GET /api/v1/variables/{name}": public,
	"GET /api/v1/parameters":       public,
	"GET /api/v1/parameters/{id}":  public,
	"GET /api/v1/entities":         public,

	"GET /{$}":                    public,
	"GET /static/":                public,
	"GET /services":               public,
	"GET /services/{code}":        public,
	"GET /signin":                 public,
	"POST /signin":                public,
	"POST /signout":               public,
	"GET /signin/oidc":            public,
	"GET /signin/oidc/callback":   public,
	"GET /demo-idp/":              public,
	"POST /demo-idp/":             public,
	"GET /staff":                  staff,
	"GET /persons":                staff,
	"GET /persons/{fin}":          staff,
	"GET /rules/variables":        public,
	"GET /rules/variables/{name}": public,
	"GET /rules/parameters":       public,
	"GET /rules/parameters/{id}":  public,
	"GET /rules/try":              staff,
	"GET /":                       public,

	"POST /persons/{fin}/applications":  openers,
	"GET /applications":                 handlers,
	"GET /applications/{id}":            staff,
	"POST /applications/{id}/actions":   handlers,
	"POST /applications/{id}/assign":    handlers,
	"POST /applications/{id}/documents": openers,
	"GET /applications/{id}/decide":     handlers,
	"POST /applications/{id}/decide":    handlers,
	"GET /applications/{id}/letter.pdf": staff,
	"GET /deadlines":                    overseers,
	"GET /verify":                       public,
	"GET /verify/{code}":                public,
	"GET /verify/{code}/letter.pdf":     public,

	"GET /api/v1/payroll/cycles":                  payrollReaders,
	"GET /api/v1/payroll/awards/{id}/suspensions": "roles:payroll,supervisor,admin,auditor",
	"POST /api/v1/payroll/awards/{id}/resume":     "roles:payroll,caseworker",
	"POST /api/v1/payroll/cycles":                 payrollOfficers,
	"GET /api/v1/payroll/cycles/{id}":             payrollReaders,
	"POST /api/v1/payroll/cycles/{id}/approve":    payrollOfficers,
	"POST /api/v1/payroll/cycles/{id}/reject":     payrollOfficers,
	"GET /api/v1/payroll/cycles/{id}/compare":     payrollReaders,
	"GET /api/v1/payroll/cycles/{id}/files":       payrollReaders,
	"POST /api/v1/payroll/cycles/{id}/export":     payrollOfficers,
	"GET /api/v1/payroll/cycles/{id}/imports":     payrollReaders,
	"POST /api/v1/payroll/cycles/{id}/imports":    payrollOfficers,
	"GET /api/v1/payroll/payments":                payrollReaders + ",citizen",
	"GET /api/v1/payroll/payments/{id}":           payrollReaders + ",citizen",
	"POST /api/v1/payroll/payments/{id}/correct":  payrollOfficers,
	"GET /api/v1/payroll/banks":                   payrollReaders,
	"GET /payroll":                                payrollReaders,
	"POST /payroll/cycles":                        payrollOfficers,
	"GET /payroll/cycles/{id}":                    payrollReaders,
	"POST /payroll/cycles/{id}/approve":           payrollOfficers,
	"POST /payroll/cycles/{id}/reject":            payrollOfficers,
	"POST /payroll/cycles/{id}/export":            payrollOfficers,
	"POST /payroll/cycles/{id}/imports":           payrollOfficers,
	"GET /payroll/payments":                       payrollReaders,
	"GET /payroll/corrections":                    payrollReaders,
	"POST /payroll/payments/{id}/correct":         payrollOfficers,
	// the hall: the kiosk, boards and a visitor's pages are public;
	// operators work at counters; administrators certify them.
	"POST /api/v1/tickets":                       public,
	"GET /api/v1/tickets":                        staff,
	"GET /api/v1/tickets/{id}":                   public,
	"POST /api/v1/tickets/{id}/actions":          staff,
	"POST /api/v1/counters/{counter}/sign-in":    hallOperators,
	"POST /api/v1/counters/{counter}/sign-out":   hallOperators,
	"POST /api/v1/counters/{counter}/call-next":  hallOperators,
	"POST /api/v1/counters/{counter}/call":       hallOperators,
	"GET /api/v1/centres/{code}/slots":           public,
	"GET /api/v1/centres/{code}/estimate":        public,
	"GET /api/v1/centres/{code}/board":           public,
	"GET /api/v1/centres/{code}/board/events":    public,
	"POST /api/v1/appointments":                  public,
	"GET /api/v1/appointments":                   signedIn,
	"GET /api/v1/appointments/{id}":              signedIn,
	"POST /api/v1/appointments/{id}/cancel":      signedIn,
	"POST /api/v1/appointments/check-in":         public,
	"POST /api/v1/appointments/cancel":           public,
	"GET /appointments/cancel":                   public,
	"POST /appointments/cancel":                  public,
	"GET /centres/{code}/book":                   public,
	"POST /centres/{code}/book":                  public,
	"GET /centres/{code}/book/{id}":              public,
	"GET /api/v1/certifications":                 "roles:admin,supervisor,auditor",
	"POST /api/v1/certifications":                admins,
	"POST /api/v1/certifications/{id}/revoke":    admins,
	"POST /api/v1/feedback":                      public,
	"GET /centres/{code}/kiosk":                  public,
	"POST /centres/{code}/kiosk/tickets":         public,
	"POST /centres/{code}/kiosk/check-in":        public,
	"GET /centres/{code}/kiosk/tickets/{id}":     public,
	"GET /centres/{code}/board":                  public,
	"GET /tickets/{id}":                          public,
	"GET /feedback/{id}":                         public,
	"POST /feedback/{id}":                        public,
	"GET /hall":                                  hallOperators,
	"GET /hall/counters/{counter}":               hallOperators,
	"POST /hall/counters/{counter}/sign-in":      hallOperators,
	"POST /hall/counters/{counter}/sign-out":     hallOperators,
	"POST /hall/counters/{counter}/call-next":    hallOperators,
	"POST /hall/counters/{counter}/call":         hallOperators,
	"POST /hall/counters/{counter}/tickets/{id}": hallOperators,
	// Supervisor dashboard: the centre's supervisors (checked by the service) and administrators.
	"GET /api/v1/centres/{code}/kpis": "roles:supervisor,admin",
	"GET /dashboard":                  "roles:supervisor,admin",
	"GET /centres/{code}/dashboard":   "roles:supervisor,admin",
	// Training: administrators manage, overseers read.
	"GET /api/v1/courses":                 staff,
	"POST /api/v1/courses":                admins,
	"GET /api/v1/courses/{id}":            staff,
	"PATCH /api/v1/courses/{id}":          admins,
	"GET /api/v1/completions":             overseers,
	"POST /api/v1/completions":            admins,
	"GET /api/v1/certifications/matrix":   overseers,
	"GET /api/v1/centres/{code}/shortage": overseers,
	"GET /training":                       overseers,
	"GET /training/courses":               overseers,
	"POST /training/courses":              admins,
	"GET /training/courses/{id}":          overseers,
	"POST /training/courses/{id}":         admins,
	"GET /training/completions":           overseers,
	"POST /training/completions":          admins,
	"GET /training/shortage":              overseers,
	// Sessions and passwords (api_sessions.go, ui_account.go).
	"GET /api/v1/sessions":                 signedIn,
	"DELETE /api/v1/sessions":              signedIn,
	"DELETE /api/v1/sessions/{id}":         signedIn,
	"POST /api/v1/session/password":        signedIn,
	"POST /api/v1/users/{id}/revoke":       admins,
	"POST /api/v1/users/{id}/disable":      admins,
	"POST /api/v1/users/{id}/enable":       admins,
	"GET /account/sessions":                signedIn,
	"POST /account/sessions/{id}/revoke":   signedIn,
	"POST /account/sessions/revoke-others": signedIn,
	"GET /account/password":                signedIn,
	"POST /account/password":               signedIn,
}

// normAccess returns an access with its roles sorted, so that the order
// a row lists them in does not matter.
func normAccess(a string) string {
	roles, ok := strings.CutPrefix(a, "roles:")
	if !ok {
		return a
	}
	rs := strings.Split(roles, ",")
	slices.Sort(rs)
	return "roles:" + strings.Join(rs, ",")
}

// accessAllows reports whether an access of routeAccess admits u (nil:
// nobody signed in).
func accessAllows(access string, u *dost.User) bool {
	switch access {
	case public:
		return true
	case signedIn:
		return u != nil
	case staff:
		access = "roles:operator,caseworker,supervisor,admin,auditor,payroll"
	}
	roles, ok := strings.CutPrefix(access, "roles:")
	if !ok || u == nil {
		return false
	}
	for _, r := range strings.Split(roles, ",") {
		if u.HasRole(dost.Role(r)) {
			return true
		}
	}
	return false
}

// TestRouteTable compares the route table with routeAccess: every route
// must be there with the same access, and every entry must be a route.
func TestRouteTable(t *testing.T) {
	routed := map[string]bool{}
	for _, rt := range dosthttp.NewServer().Routes() {
		routed[rt.Pattern] = true
		got := accessOf(rt)
		want, ok := routeAccess[rt.Pattern]
		switch {
		case !ok:
			t.Errorf("route %q is not in routeAccess: if %q is who may call it, add\n\t%q: %q,\nto routeAccess in http/routes_test.go",
				rt.Pattern, got, rt.Pattern, got)
		case normAccess(got) != normAccess(want):
			t.Errorf("route %q: got access %q, want %q", rt.Pattern, got, want)
		}
	}
	for pattern := range routeAccess {
		if !routed[pattern] {
			t.Errorf("routeAccess lists %q, which is not in the route table", pattern)
		}
	}
}

// TestRoutes walks every route of the table, API and UI, as every role and
// as nobody, and checks that the answer agrees with the route's access in
// routeAccess (the table's own when a route is missing there, which
// TestRouteTable reports):
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
					allowed := rt.Allows(u)
					if access, ok := routeAccess[rt.Pattern]; ok {
						allowed = accessAllows(access, u)
					}
					switch {
					case allowed:
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
