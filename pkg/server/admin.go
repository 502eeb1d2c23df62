package server

import (
	"fmt"
	"net/http"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func (s *Server) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	// Liveness: the process is up and serving HTTP.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "ok")
	})
	// Readiness: a config is loaded and the server is not draining.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		resp, err := s.health.Check(r.Context(), &healthpb.HealthCheckRequest{})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING || s.store.Load() == nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = fmt.Fprintf(w, "ready config=%s\n", s.store.Load().Version)
	})
	return mux
}
