package asterisktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Events is one ARI WebSocket: every event it received, kept in order, and
// waits on them. A wait looks from an index on, so an event that came before
// the wait began is never missed.
type Events struct {
	conn    *websocket.Conn
	done    chan struct{}
	closing atomic.Bool

	mu      sync.Mutex
	log     []Event
	changed chan struct{}
	err     error
}

// Listen opens the event WebSocket of app on a (subscribeAll: every
// channel and bridge of the Asterisk, not only the app's).
func (a *ARI) Listen(ctx context.Context, app string, subscribeAll bool) (*Events, error) {
	u, err := url.Parse(a.Base)
	if err != nil {
		return nil, fmt.Errorf("ARI events: %w", err)
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path += "/events"
	q := url.Values{"app": {app}}
	if subscribeAll {
		q.Set("subscribeAll", "true")
	}
	u.RawQuery = q.Encode()
	h := http.Header{}
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth(a.User, a.Pass)
	h.Set("Authorization", req.Header.Get("Authorization"))
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	a.Trace.wsConnect(u.Path, q, a.User)
	conn, resp, err := dialer.DialContext(ctx, u.String(), h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("ARI events %s: %s: %w", app, resp.Status, err)
		}
		return nil, fmt.Errorf("ARI events %s: %w", app, err)
	}
	a.Trace.wsConnected(resp)
	ev := &Events{conn: conn, done: make(chan struct{}), changed: make(chan struct{})}
	go ev.read(a.Trace)
	return ev, nil
}

func (ev *Events) read(tr *Trace) {
	defer close(ev.done)
	for {
		_, data, err := ev.conn.ReadMessage()
		if err != nil {
			tr.wsClosed(ev.closing.Load(), err)
			ev.mu.Lock()
			ev.err = fmt.Errorf("ARI events closed: %w", err)
			close(ev.changed)
			ev.changed = make(chan struct{})
			ev.mu.Unlock()
			return
		}
		var e Event
		if err := json.Unmarshal(data, &e); err != nil {
			continue
		}
		e.Raw, e.Received = data, time.Now()
		tr.event(data)
		ev.mu.Lock()
		ev.log = append(ev.log, e)
		close(ev.changed)
		ev.changed = make(chan struct{})
		ev.mu.Unlock()
	}
}

// Close closes the WebSocket.
func (ev *Events) Close() {
	ev.closing.Store(true)
	_ = ev.conn.Close()
	<-ev.done
}

// Len is how many events came so far: a cursor for Wait.
func (ev *Events) Len() int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return len(ev.log)
}

// All returns a copy of every event so far.
func (ev *Events) All() []Event {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return append([]Event(nil), ev.log...)
}

// Wait returns the first event at index from or later that match accepts,
// and the index after it. It fails when ctx ends or the socket closes.
func (ev *Events) Wait(ctx context.Context, from int, what string, match func(Event) bool) (Event, int, error) {
	for {
		ev.mu.Lock()
		for i := from; i < len(ev.log); i++ {
			if match(ev.log[i]) {
				e := ev.log[i]
				ev.mu.Unlock()
				return e, i + 1, nil
			}
		}
		from = len(ev.log)
		changed, err := ev.changed, ev.err
		ev.mu.Unlock()
		if err != nil {
			return Event{}, from, fmt.Errorf("waiting for %s: %w", what, err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, from, fmt.Errorf("waiting for %s: %w", what, context.Cause(ctx))
		}
	}
}

// Of matches an event type about one channel.
func Of(typ, channelID string) func(Event) bool {
	return func(e Event) bool { return e.Type == typ && e.ChannelID() == channelID }
}
