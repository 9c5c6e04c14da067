package bridge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/CyCoreSystems/ari/v5"
)

// The event filter asks Asterisk for the routed types only, every one of
// which ari/v5 can decode (an unknown type would crash ari/v5's reader).
func TestFilterEventsRequest(t *testing.T) {
	type request struct {
		method, path, user, pass string
		allowed                  []string
	}
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Allowed []struct{ Type string } `json:"allowed"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		req := request{method: r.Method, path: r.URL.Path}
		req.user, req.pass, _ = r.BasicAuth()
		for _, a := range body.Allowed {
			req.allowed = append(req.allowed, a.Type)
		}
		got <- req
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	s := newOfflineServer()
	s.opts.URL, s.opts.Application, s.opts.Username, s.opts.Password = srv.URL+"/ari", "regul", "ari", "pw"
	s.opts.RequestTimeout = waitLimit
	s.filterEvents(context.Background())
	r := receive(t, got, "the filter request")
	if r.method != http.MethodPut || r.path != "/ari/applications/regul/eventFilter" || r.user != "ari" || r.pass != "pw" {
		t.Fatalf("request %+v", r)
	}
	if !slices.Equal(r.allowed, routedEvents) {
		t.Fatalf("allowed %v, want %v", r.allowed, routedEvents)
	}
	for _, typ := range routedEvents {
		if e, err := ari.DecodeEvent([]byte(`{"type":"` + typ + `"}`)); e == nil {
			t.Errorf("ari/v5 cannot decode %s: %v", typ, err)
		}
	}
}
