package server

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/sluice-gw/sluice/pkg/account"
	"github.com/sluice-gw/sluice/pkg/budget"
)

// defaultUsageBy is how GET /admin/usage groups without ?by=.
var defaultUsageBy = []string{"tenant", "key", "model", "period"}

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
	mux.HandleFunc("GET /admin/usage", s.adminOnly(s.usage))
	if h := s.tel.Handler(); h != nil {
		// Metrics carry no secrets and are scraped without a token, like
		// the health endpoints.
		mux.Handle("GET /metrics", h)
	}
	return mux
}

// adminOnly lets through requests that carry the configured admin token
// (server.admin_token_env) as a bearer token. Without a token configured
// the admin endpoints do not exist.
func (s *Server) adminOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := s.store.Load().Server.AdminToken
		if token == "" {
			http.Error(w, "admin endpoints are off: set server.admin_token_env", http.StatusNotFound)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sluice-admin"`)
			http.Error(w, "missing or wrong admin token", http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

// usage answers GET /admin/usage?by=tenant,model&since=2026-11-01: the
// usage summed by the dimensions asked for; every replica's when they
// share a Redis, this replica's recent records otherwise.
func (s *Server) usage(w http.ResponseWriter, r *http.Request) {
	by := defaultUsageBy
	if v := r.URL.Query().Get("by"); v != "" {
		by = strings.Split(v, ",")
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := parseSince(v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		since = t
	}
	var rep *account.Report
	var err error
	if shared := s.stages.account.Shared(); shared != nil && s.stages.sharesState() {
		// Every replica writes to the shared Redis: report the deployment.
		var rows []budget.UsageRow
		var n int64
		rows, n, err = shared.Rows(r.Context(), by, since)
		if err == nil {
			rep = account.NewReport(by, since, rows)
			rep.Records, rep.Scope = int(n), "cluster"
			rep.Dropped = shared.Dropped()
		}
	} else {
		rep, err = s.stages.account.Usage().Report(by, since)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
}

// parseSince reads an RFC 3339 time or a UTC date.
func parseSince(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("since: want an RFC 3339 time or a date such as 2026-11-01, got %q", v)
}
