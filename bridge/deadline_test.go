package bridge

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Every REST request has a deadline, also when Asterisk has sent the
// headers and stalls in the body, and a request answered in time leaves
// nothing watched behind.
func TestRequestDeadlines(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/silent":
			<-release
		case "/stalls":
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("{"))
			w.(http.Flusher).Flush()
			<-release
		default:
			_, _ = w.Write([]byte("{}"))
		}
	}))
	defer srv.Close()
	defer close(release)
	deadlines := newRequestDeadlines(50 * time.Millisecond)
	client := http.Client{Transport: abandonable{rt: http.DefaultTransport, dead: new(atomic.Bool), deadlines: deadlines}}

	if _, err := client.Get(srv.URL + "/silent"); !errors.Is(err, errRequestTimeout) {
		t.Fatalf("silent Asterisk: %v, want errRequestTimeout", err)
	}
	resp, err := client.Get(srv.URL + "/stalls")
	if err != nil {
		t.Fatalf("headers in time: %v", err)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("a body that stalls was read to its end")
	}
	resp.Body.Close()
	resp, err = client.Get(srv.URL + "/fine")
	if err != nil {
		t.Fatalf("answered request: %v", err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	deadlines.mu.Lock()
	left := len(deadlines.inflight)
	deadlines.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d requests still watched after their answers were read", left)
	}
}
