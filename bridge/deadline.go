package bridge

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// errRequestTimeout is a REST request Asterisk did not answer in time.
var errRequestTimeout = errors.New("no answer from Asterisk in time")

// requestDeadlines bounds every REST request, body included, to a timeout
// with one ticker for all the requests in flight. http.Client.Timeout does
// the same with a timer, a context and their bookkeeping per request: a
// fifth of what the controller allocated per call. The ticker runs only
// while requests are in flight; a deadline is kept to within a twentieth
// of the timeout.
type requestDeadlines struct {
	timeout time.Duration

	mu       sync.Mutex
	inflight map[*inflight]struct{}
	watching bool
}

type inflight struct {
	deadline time.Time
	cancel   context.CancelCauseFunc
}

func newRequestDeadlines(timeout time.Duration) *requestDeadlines {
	return &requestDeadlines{timeout: timeout, inflight: map[*inflight]struct{}{}}
}

// start gives r its deadline; done (idempotent) ends the watch once the
// answer has been read.
func (d *requestDeadlines) start(r *http.Request) (*http.Request, func()) {
	ctx, cancel := context.WithCancelCause(r.Context())
	f := &inflight{deadline: time.Now().Add(d.timeout), cancel: cancel}
	d.mu.Lock()
	d.inflight[f] = struct{}{}
	if !d.watching {
		d.watching = true
		go d.watch()
	}
	d.mu.Unlock()
	return r.WithContext(ctx), func() {
		d.mu.Lock()
		delete(d.inflight, f)
		d.mu.Unlock()
		cancel(nil)
	}
}

func (d *requestDeadlines) watch() {
	tick := time.NewTicker(max(d.timeout/20, time.Millisecond))
	defer tick.Stop()
	for now := range tick.C {
		d.mu.Lock()
		for f := range d.inflight {
			if now.After(f.deadline) {
				f.cancel(errRequestTimeout)
				delete(d.inflight, f)
			}
		}
		if len(d.inflight) == 0 {
			d.watching = false
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
	}
}
