// Package web serves regul's HTTP endpoints. ops.go holds the operational
// ones: /healthz (the process answers), /readyz (ARI connected and database
// reachable) and /metrics (Prometheus).
package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether one dependency is usable; nil means ready. A
// *Notice is shown in place of "ok" without making the process unready
// (e.g. a standby controller, lines set aside in quarantine).
type Check func(ctx context.Context) error

// Notice is what a Check says an operator must see although the process is
// ready.
type Notice struct{ Text string }

func (n *Notice) Error() string { return n.Text }

// OpsHandler serves /healthz, /readyz and /metrics.
func OpsHandler(checks map[string]Check, gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		names := make([]string, 0, len(checks))
		for n := range checks {
			names = append(names, n)
		}
		sort.Strings(names)
		status := http.StatusOK
		body := map[string]string{}
		for _, n := range names {
			var notice *Notice
			if err := checks[n](ctx); errors.As(err, &notice) {
				body[n] = notice.Text
			} else if err != nil {
				status = http.StatusServiceUnavailable
				body[n] = err.Error()
			} else {
				body[n] = "ok"
			}
		}
		writeJSON(w, status, body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
