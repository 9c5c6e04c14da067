package bridge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// pingInterval keeps the events WebSocket honest: a peer that vanished
// without closing TCP is noticed after missedPongs intervals.
const (
	pingInterval = 15 * time.Second
	missedPongs  = 3
)

// ErrUnauthorized says ARI refused the credentials: retrying cannot help.
var ErrUnauthorized = errors.New("ARI refused the username or password (401)")

// link is the events WebSocket: it connects, reads every message into
// onMessage, notices drops and reconnects with backoff, and tracks whether
// it is up and since when.
type link struct {
	url       string // with ?app=, no credentials
	header    http.Header
	dialer    websocket.Dialer
	log       *zap.Logger
	min, max  time.Duration
	onMessage func([]byte) // from the reader goroutine; must not block
	onUp      func()       // after every reconnection (not the first connection)
	onChange  func(up bool, since time.Time)

	mu         sync.Mutex
	up         bool
	since      time.Time
	conn       *websocket.Conn
	reconnects int64
}

func newLink(o *Options, onMessage func([]byte), onUp func()) *link {
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.Username+":"+o.Password)))
	return &link{
		url:       o.eventsURL(),
		header:    h,
		dialer:    websocket.Dialer{HandshakeTimeout: o.RequestTimeout, Proxy: http.ProxyFromEnvironment},
		log:       o.Logger,
		min:       o.ReconnectMin,
		max:       o.ReconnectMax,
		onMessage: onMessage,
		onUp:      onUp,
		onChange:  o.OnLinkChange,
		since:     time.Now(),
	}
}

// dial makes one connection attempt.
func (l *link) dial(ctx context.Context) (*websocket.Conn, error) {
	conn, resp, err := l.dialer.DialContext(ctx, l.url, l.header)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return nil, ErrUnauthorized
			}
			return nil, fmt.Errorf("WebSocket handshake answered %s", resp.Status)
		}
		return nil, err
	}
	return conn, nil
}

// connectFirst retries until connected, ctx ends or credentials are refused.
func (l *link) connectFirst(ctx context.Context) (*websocket.Conn, error) {
	wait := l.min
	for {
		conn, err := l.dial(ctx)
		if err == nil {
			return conn, nil
		}
		if errors.Is(err, ErrUnauthorized) {
			return nil, fmt.Errorf("connect to ARI events %s: %w", l.url, err)
		}
		l.log.Debug("ARI events connection failed, retrying", zap.String("url", l.url), zap.Error(err), zap.Duration("in", wait))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("connect to ARI events %s: gave up after %v: %w (last error: %v)", l.url, context.Cause(ctx), ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, l.max)
	}
}

// run reads conn, then keeps reconnecting, until ctx ends.
func (l *link) run(ctx context.Context, conn *websocket.Conn) {
	for {
		l.setConn(conn)
		err := l.read(ctx, conn)
		l.setConn(nil)
		conn.Close()
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("ARI events WebSocket lost, reconnecting", zap.String("url", l.url), zap.Error(err))
		conn = l.reconnect(ctx)
		if conn == nil {
			return
		}
		l.mu.Lock()
		l.reconnects++
		l.mu.Unlock()
		l.log.Info("ARI events WebSocket back", zap.String("url", l.url))
		l.setConn(conn) // up before resync, so requests made by resync are not refused as "link down"
		go l.onUp()
	}
}

// reconnect waits before each attempt, the first included: an Asterisk
// that just dropped us is often restarting.
func (l *link) reconnect(ctx context.Context) *websocket.Conn {
	wait := l.min
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		conn, err := l.dial(ctx)
		if err == nil {
			return conn
		}
		wait = min(2*wait, l.max)
		l.log.Warn("ARI events reconnection failed", zap.String("url", l.url), zap.Error(err), zap.Duration("retry_in", wait))
	}
}

// read hands every message to onMessage until the connection fails.
func (l *link) read(ctx context.Context, conn *websocket.Conn) error {
	deadline := func() { _ = conn.SetReadDeadline(time.Now().Add(missedPongs * pingInterval)) }
	deadline()
	conn.SetPongHandler(func(string) error { deadline(); return nil })
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				// Unblock ReadMessage at shutdown.
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				conn.Close()
				return
			case <-t.C:
				_ = conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(pingInterval))
			}
		}
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		deadline()
		l.onMessage(data)
	}
}

func (l *link) setConn(conn *websocket.Conn) {
	l.mu.Lock()
	up := conn != nil
	changed := up != l.up
	l.conn = conn
	if changed {
		l.up = up
		l.since = time.Now()
	}
	since := l.since
	l.mu.Unlock()
	if changed && l.onChange != nil {
		l.onChange(up, since)
	}
}

// state says whether the events WebSocket is up, and since when.
func (l *link) state() (up bool, since time.Time, reconnects int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up, l.since, l.reconnects
}

// drop closes the current connection as a network failure would; run
// reconnects. Tests use it to exercise resync.
func (l *link) drop() {
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}
