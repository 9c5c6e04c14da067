package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/CyCoreSystems/ari/v5/client/native"
	"golang.org/x/net/websocket"
)

// newClient is ari/v5's native client, not connected yet, set up for
// regul: an http.Client whose requests have a deadline, and a WebSocket config
// whose dialer reports every (re)dial to onDial.
//
// ari/v5 v5.3.1 declares RequestTimeout but never uses it, and keeps its
// http.Client in an unexported field whose zero value waits forever on a
// silent Asterisk and keeps only two idle connections (a thousand calls
// would open and close a connection per request). The field is set through
// reflection; the version is pinned, and a missing field fails Open loudly.
func newClient(o *Options, onDial func(network, address string, c syscall.RawConn) error, dead *atomic.Bool) (*native.Client, *http.Transport, error) {
	eventsURL, origin := o.eventsURL(), o.origin()
	// Every option is set: New reads ARI_* environment variables for
	// those left empty.
	c := native.New(&native.Options{
		Application:     o.Application,
		URL:             o.URL,
		WebsocketURL:    eventsURL,
		WebsocketOrigin: origin,
		Username:        o.Username,
		Password:        o.Password,
	})
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: o.RequestTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	rt := abandonable{rt: tr, dead: dead, sent: o.OnOriginateSent, deadlines: newRequestDeadlines(o.RequestTimeout)}
	if err := setHTTPClient(c, http.Client{Transport: rt}); err != nil {
		return nil, nil, err
	}
	if _, err := clientCancel(c); err != nil {
		return nil, nil, err
	}
	// Built here rather than by Connect, which would build the same minus
	// the dialer. ari/v5 sends no WebSocket pings: TCP keepalive is what
	// notices an Asterisk that vanished without closing the connection.
	ws, err := websocket.NewConfig(eventsURL, origin)
	if err != nil {
		return nil, nil, fmt.Errorf("ARI events URL %s: %w", eventsURL, err)
	}
	ws.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.Username+":"+o.Password)))
	ws.Dialer = &net.Dialer{
		Timeout:         o.RequestTimeout,
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3},
		Control:         onDial,
	}
	c.WSConfig = ws
	return c, tr, nil
}

// clientCancel returns the function that ends ari/v5's listen loop, read
// from the client's unexported cancel field. Client.Close would call it
// too, but Close also writes the client's connected flag, which the listen
// goroutine writes without synchronisation: a data race on every Close.
// Read only after Connect returned (Connect writes the field), it is
// race-free. Before Connect it checks that the field is there.
func clientCancel(c *native.Client) (context.CancelFunc, error) {
	f := reflect.ValueOf(c).Elem().FieldByName("cancel")
	if !f.IsValid() || f.Type() != reflect.TypeOf(context.CancelFunc(nil)) {
		return nil, errors.New("ari/v5 native.Client has no cancel field of type context.CancelFunc: is github.com/CyCoreSystems/ari/v5 still v5.3.1?")
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(context.CancelFunc), nil
}

func setHTTPClient(c *native.Client, hc http.Client) error {
	f := reflect.ValueOf(c).Elem().FieldByName("httpClient")
	if !f.IsValid() || f.Type() != reflect.TypeOf(hc) {
		return errors.New("ari/v5 native.Client has no httpClient field of type http.Client: is github.com/CyCoreSystems/ari/v5 still v5.3.1?")
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(hc))
	return nil
}

// statusOf is the HTTP status of a failed ARI request, 0 when the request
// did not get an answer (network error, timeout).
//
// ari/v5 wraps some errors (the Data getters') in a type that exposes its
// cause through Cause() but not Unwrap(), so errors.As alone misses them.
func statusOf(err error) int {
	for err != nil {
		if re, ok := err.(native.RequestError); ok {
			return re.Code()
		}
		next := errors.Unwrap(err)
		if next == nil {
			if c, ok := err.(interface{ Cause() error }); ok {
				next = c.Cause()
			}
		}
		err = next
	}
	return 0
}

// RequestError is an ARI request that failed, with the answer's status
// (0 when Asterisk did not answer).
type RequestError struct {
	Op     string // "answer channel 1795421593.45"
	Status int
	Err    error
}

func (e *RequestError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("ARI %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("ARI %s: status %d: %v", e.Op, e.Status, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

func requestError(op string, err error) *RequestError {
	return &RequestError{Op: op, Status: statusOf(err), Err: err}
}

// abandonable fails every request once the server was abandoned (see
// Server.Abandon): a controller that crashed sends nothing more. It also
// bounds each request to Options.RequestTimeout.
type abandonable struct {
	rt        http.RoundTripper
	dead      *atomic.Bool
	sent      func(channelID string, at time.Time) // Options.OnOriginateSent
	deadlines *requestDeadlines
}

var errAbandoned = errors.New("bridge: abandoned (as after a crash)")

func (a abandonable) RoundTrip(r *http.Request) (*http.Response, error) {
	if a.dead.Load() {
		return nil, errAbandoned
	}
	if a.sent != nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/channels") {
		r = traceOriginate(r, a.sent)
	}
	r, done := a.deadlines.start(r)
	resp, err := a.rt.RoundTrip(r)
	if err != nil {
		if errors.Is(context.Cause(r.Context()), errRequestTimeout) {
			err = fmt.Errorf("%w (%s): %w", errRequestTimeout, a.deadlines.timeout, err)
		}
		done()
		return nil, err
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		done()
		return resp, nil
	}
	resp.Body = drainOnClose{resp.Body, done}
	return resp, nil
}

// drainOnClose reads what is left of a small response body before closing
// it: ari/v5 closes bodies it did not read (a request whose answer it
// ignores), which makes net/http drop the connection and dial a new one
// for the next request.
// Closing it also ends the request's deadline.
type drainOnClose struct {
	io.ReadCloser
	done func()
}

func (d drainOnClose) Close() error {
	_, _ = io.Copy(io.Discard, io.LimitReader(d.ReadCloser, 64<<10))
	err := d.ReadCloser.Close()
	d.done()
	return err
}

// traceOriginate calls sent when the originate request r has been written
// to the connection: where the request leaves the controller.
func traceOriginate(r *http.Request, sent func(string, time.Time)) *http.Request {
	var req struct {
		ChannelID string `json:"channelId"`
	}
	if r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			_ = json.NewDecoder(body).Decode(&req)
			body.Close()
		}
	}
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			sent(req.ChannelID, time.Now())
		}
	}}
	return r.WithContext(httptrace.WithClientTrace(r.Context(), trace))
}
