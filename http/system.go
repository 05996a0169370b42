package http

import (
	"net/http"
	"strings"
)

// systemRoutes returns the probes and metrics rows of the route table.
//
// All three are Public and not rate limited: load balancers and Prometheus
// call them without credentials. /metrics carries only route patterns,
// statuses and runtime figures, never a FIN or a name; still, expose it only
// to the internal network (block it at the load balancer).
func (s *Server) systemRoutes() []Route {
	return []Route{
		{Pattern: "GET /healthz", Access: Public, Handler: s.handleHealthz},
		{Pattern: "GET /readyz", Access: Public, Handler: s.handleReadyz},
		{Pattern: "GET /metrics", Access: Public, Handler: s.handleMetrics},
	}
}

// handleHealthz handles "GET /healthz": the process is up. It always
// answers 200 ok.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// handleReadyz handles "GET /readyz": 200 ok when Ready reports the
// database reachable and migrated, else 503 with a fixed reason, "database
// not migrated" or "database unreachable". The probe is public, so the
// error itself (a driver's may name the host, user and database) is only
// logged.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			reason := "database unreachable"
			// Ready (sqlstore's CheckMigrated) carries no error code; its
			// documented message says "not migrated".
			if strings.Contains(err.Error(), "not migrated") {
				reason = "database not migrated"
			}
			s.logger().Warn("not ready", "reason", reason, "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + reason + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}

// handleMetrics handles "GET /metrics": Prometheus metrics of this node.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handler.ServeHTTP(w, r)
}
