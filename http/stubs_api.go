package http

import (
	"encoding/json"
	"net/http"

	"github.com/dost-az/dost"
)

// FRAME PLACEHOLDERS — the API helper replaces this file.

func (s *Server) systemRoutes() []Route { return nil }
func (s *Server) apiRoutes() []Route    { return nil }

func (s *Server) middleware(h http.Handler) http.Handler { return h }

// Error writes err: problem+json for API requests, an error page for the UI.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(500)
	json.NewEncoder(w).Encode(map[string]string{"code": dost.ErrorCode(err)})
}
