package http_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	dosthttp "github.com/dost-az/dost/http"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// openAPI is the API document loaded once for all tests.
var openAPI struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadOpenAPI returns the API document (http/openapi.json) and a router
// over it.
func loadOpenAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	openAPI.once.Do(func() {
		data, err := os.ReadFile("openapi.json")
		if err != nil {
			openAPI.err = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(data)
		if err != nil {
			openAPI.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			openAPI.err = err
			return
		}
		openAPI.doc = doc
		openAPI.router, openAPI.err = legacy.NewRouter(doc)
	})
	if openAPI.err != nil {
		t.Fatalf("load openapi.json: %v", openAPI.err)
	}
	return openAPI.doc, openAPI.router
}

// validateResponse checks an API response against the document: the
// operation must be documented, and the status, content type and body must
// match it. Unknown API paths may only answer 404.
func validateResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return
	}
	_, router := loadOpenAPI(t)
	route, params, err := router.FindRoute(req)
	if err != nil {
		if status != http.StatusNotFound {
			t.Errorf("%s %s: undocumented operation answered %d", req.Method, req.URL.Path, status)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		t.Errorf("%s %s: response %d does not match openapi.json: %v\nbody: %.500s", req.Method, req.URL.Path, status, err, body)
	}
}

// validateRequest checks an API request against the document: its
// operation, parameters and body.
func validateRequest(t testing.TB, req *http.Request) {
	t.Helper()
	_, router := loadOpenAPI(t)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		t.Errorf("%s %s: request does not match openapi.json: %v", req.Method, req.URL.Path, err)
	}
}

func TestOpenAPI_Valid(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if got, want := doc.OpenAPI, "3.1.0"; got != want {
		t.Errorf("openapi version: got %q, want %q", got, want)
	}
	for _, name := range []string{"Person", "Household", "Service", "Centre", "Problem", "User", "InsurancePeriod", "IncomeRecord", "DisabilityAssessment"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
}

// accessOf is a route's access as openapi.json's x-dost-access says it.
func accessOf(rt dosthttp.Route) string {
	switch rt.Access {
	case dosthttp.Public:
		return "public"
	case dosthttp.SignedIn:
		return "signed_in"
	case dosthttp.Staff:
		return "staff"
	}
	var roles []string
	for _, r := range rt.Roles {
		roles = append(roles, string(r))
	}
	return "roles:" + strings.Join(roles, ",")
}

// TestOpenAPI_MatchesRoutes fails when a documented operation is missing
// from the route table or an API route is missing from the document, or
// when they disagree about who may call it.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	documented := map[string]string{} // "GET /api/v1/persons/{fin}" → access
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			access, _ := op.Extensions["x-dost-access"].(string)
			documented[method+" "+path] = access
		}
	}
	routed := map[string]bool{}
	for _, rt := range dosthttp.NewServer().Routes() {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || !strings.HasPrefix(path, "/api/") || path == "/api/" {
			continue // not an API route, or the API's catch-all 404
		}
		routed[rt.Pattern] = true
		access, ok := documented[method+" "+path]
		if !ok {
			t.Errorf("route %q is not in openapi.json", rt.Pattern)
			continue
		}
		if got, want := access, accessOf(rt); got != want {
			t.Errorf("%s: openapi.json x-dost-access: got %q, want %q (the route table)", rt.Pattern, got, want)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("openapi.json documents %q, which no route serves", op)
		}
	}
	if len(routed) < 20 {
		t.Errorf("only %d API routes found; the walk is broken", len(routed))
	}
}

// TestOpenAPI_Served checks that the document is served as embedded.
func TestOpenAPI_Served(t *testing.T) {
	s := dosthttp.NewServer()
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	want, _ := os.ReadFile("openapi.json")
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Errorf("GET /api/v1/openapi.json: got %d and %d bytes, want 200 and the %d bytes of openapi.json", rec.Code, rec.Body.Len(), len(want))
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("content type: got %q, want application/json", got)
	}
}

// TestOpenAPI_CatchesDrift proves the validation can fail: a person
// without its FIN and a problem with an unknown code are rejected.
func TestOpenAPI_CatchesDrift(t *testing.T) {
	_, router := loadOpenAPI(t)
	for _, tc := range []struct {
		name, path string
		status     int
		ctype      string
		body       string
	}{
		{"PersonWithoutFIN", "/api/v1/persons/1AB2CD3", 200, "application/json", `{"id":1}`},
		{"UnknownProblemCode", "/api/v1/persons/1AB2CD3", 404, "application/problem+json",
			`{"type":"x","title":"x","status":404,"detail":"x","instance":"x","code":"gone","errors":[]}`},
		{"UndocumentedStatus", "/api/v1/persons/1AB2CD3", 418, "application/problem+json", `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
				Status:                 tc.status,
				Header:                 http.Header{"Content-Type": {tc.ctype}},
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			}
			in.SetBodyBytes([]byte(tc.body))
			if err := openapi3filter.ValidateResponse(context.Background(), in); err == nil {
				t.Errorf("ValidateResponse accepted %s", tc.body)
			}
		})
	}
}
