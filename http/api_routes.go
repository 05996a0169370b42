package http

import (
	_ "embed"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dost-az/dost"
)

// openAPIDocument is the OpenAPI 3.1 description of every /api/v1 route.
// A test checks it against the route table and validates real responses
// against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// Roles of the API's rows in the route table. Staff are not yet scoped to
// their centres here: a later change narrows registry access by
// User.CentreIDs.
var (
	// registryReaders may read persons, households and their records.
	registryReaders = []dost.Role{dost.RoleOperator, dost.RoleCaseWorker, dost.RoleSupervisor, dost.RoleAdmin, dost.RoleAuditor}
	// registryWriters may change them; supervisors and auditors may not.
	registryWriters = []dost.Role{dost.RoleOperator, dost.RoleCaseWorker, dost.RoleAdmin}
	// administrators manage centres.
	administrators = []dost.Role{dost.RoleAdmin}
)

// apiRoutes returns the JSON API's rows of the route table.
func (s *Server) apiRoutes() []Route {
	return []Route{
		{Pattern: "GET /api/v1/openapi.json", Access: Public, Handler: s.handleOpenAPI},

		{Pattern: "POST /api/v1/session", Access: Public, Handler: s.handleSessionCreate},
		{Pattern: "DELETE /api/v1/session", Access: Public, Handler: s.handleSessionDelete},
		{Pattern: "GET /api/v1/me", Access: SignedIn, Handler: s.handleMe},

		{Pattern: "GET /api/v1/persons", Access: ByRole, Roles: registryReaders, Handler: s.handlePersonList},
		{Pattern: "POST /api/v1/persons", Access: ByRole, Roles: registryWriters, Handler: s.handlePersonCreate},
		{Pattern: "GET /api/v1/persons/{fin}", Access: ByRole, Roles: registryReaders, Handler: s.handlePersonGet},
		{Pattern: "PATCH /api/v1/persons/{fin}", Access: ByRole, Roles: registryWriters, Handler: s.handlePersonUpdate},
		{Pattern: "GET /api/v1/persons/{fin}/insurance", Access: ByRole, Roles: registryReaders, Handler: s.handleInsuranceList},
		{Pattern: "POST /api/v1/persons/{fin}/insurance", Access: ByRole, Roles: registryWriters, Handler: s.handleInsuranceCreate},
		{Pattern: "GET /api/v1/persons/{fin}/incomes", Access: ByRole, Roles: registryReaders, Handler: s.handleIncomeList},
		{Pattern: "POST /api/v1/persons/{fin}/incomes", Access: ByRole, Roles: registryWriters, Handler: s.handleIncomeCreate},
		{Pattern: "GET /api/v1/persons/{fin}/disabilities", Access: ByRole, Roles: registryReaders, Handler: s.handleDisabilityList},
		{Pattern: "POST /api/v1/persons/{fin}/disabilities", Access: ByRole, Roles: registryWriters, Handler: s.handleDisabilityCreate},

		{Pattern: "GET /api/v1/households", Access: ByRole, Roles: registryReaders, Handler: s.handleHouseholdList},
		{Pattern: "POST /api/v1/households", Access: ByRole, Roles: registryWriters, Handler: s.handleHouseholdCreate},
		{Pattern: "GET /api/v1/households/{id}", Access: ByRole, Roles: registryReaders, Handler: s.handleHouseholdGet},
		{Pattern: "POST /api/v1/households/{id}/members", Access: ByRole, Roles: registryWriters, Handler: s.handleHouseholdMemberAdd},
		{Pattern: "DELETE /api/v1/households/{id}/members/{fin}", Access: ByRole, Roles: registryWriters, Handler: s.handleHouseholdMemberRemove},

		{Pattern: "GET /api/v1/services", Access: Public, Handler: s.handleServiceList},
		{Pattern: "GET /api/v1/services/{code}", Access: Public, Handler: s.handleServiceGet},

		{Pattern: "GET /api/v1/centres", Access: Public, Handler: s.handleCentreList},
		{Pattern: "POST /api/v1/centres", Access: ByRole, Roles: administrators, Handler: s.handleCentreCreate},
		{Pattern: "GET /api/v1/centres/{code}", Access: Public, Handler: s.handleCentreGet},
		{Pattern: "PUT /api/v1/centres/{code}", Access: ByRole, Roles: administrators, Handler: s.handleCentreUpdate},

		// Anything else under /api/ is a JSON 404, not the UI's page. (One
		// method-less "/api/" would conflict with the UI's "GET /".)
		{Pattern: "GET /api/", Access: Public, Handler: s.handleAPINotFound},
		{Pattern: "POST /api/", Access: Public, Handler: s.handleAPINotFound},
		{Pattern: "PUT /api/", Access: Public, Handler: s.handleAPINotFound},
		{Pattern: "PATCH /api/", Access: Public, Handler: s.handleAPINotFound},
		{Pattern: "DELETE /api/", Access: Public, Handler: s.handleAPINotFound},
	}
}

// handleOpenAPI handles "GET /api/v1/openapi.json": the API's OpenAPI 3.1
// document.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(openAPIDocument)
}

// handleAPINotFound handles "GET /api/" (and POST, PUT, PATCH, DELETE): every API path or method no other
// route matches.
func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "There is no API endpoint for this method and path."))
}

// pageParams reads offset and limit from a query. limit defaults to def and
// may not exceed maxLimit. Bad values are EINVALID naming the parameter.
func pageParams(q url.Values, def, maxLimit int) (offset, limit int, err error) {
	var v dost.Validation
	offset, limit = 0, def
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			v.Add("offset", "offset.invalid", "Offset must be a whole number, 0 or more.")
		}
		offset = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			v.Add("limit", "limit.invalid", "Limit must be a whole number from 1 to %d.", maxLimit)
		}
		limit = n
	}
	return offset, limit, v.Err("The paging parameters are not valid.")
}

// pathFIN parses the {fin} path value; EINVALID with field "fin".
func pathFIN(r *http.Request) (dost.FIN, error) {
	return dost.ParseFIN(r.PathValue("fin"))
}
