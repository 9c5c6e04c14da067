package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestOpsEndpoints(t *testing.T) {
	ariUp := false
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "regul_calls_in_progress", Help: "calls"})
	reg.MustRegister(g)
	g.Set(3)
	srv := httptest.NewServer(OpsHandler(map[string]Check{
		"ari": func(context.Context) error {
			if !ariUp {
				return errors.New("websocket disconnected")
			}
			return nil
		},
		"database": func(context.Context) error { return nil },
	}, reg))
	defer srv.Close()

	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "websocket disconnected") {
		t.Fatalf("/readyz with ARI down = %d %s", code, body)
	}
	ariUp = true
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("/readyz = %d", code)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "regul_calls_in_progress 3") {
		t.Fatalf("/metrics lacks the gauge: %s", body)
	}
	if code, _ := get("/nope"); code != 404 {
		t.Fatalf("unknown path = %d", code)
	}
}
