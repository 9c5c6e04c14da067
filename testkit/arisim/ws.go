package arisim

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// wsConn is one events WebSocket. Events are queued without blocking the
// emulator; a client that lets its queue fill is disconnected.
type wsConn struct {
	app  string
	all  bool
	ws   *websocket.Conn
	out  chan []byte
	once sync.Once
	quit chan struct{}
	s    *Server
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

const badRequestPage = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>Invalid application provided in URL.</p>\r\n<hr />\r\n<address>Asterisk Server</address>\r\n</body></html>\r\n"

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	app := q.Get("app")
	if app == "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(badRequestPage))
		return
	}
	if s.refused(w) {
		return
	}
	// Register before the handshake completes so that an event caused by a
	// request the client sends right after its handshake is not missed.
	c := &wsConn{app: app, all: q.Get("subscribeAll") == "true", out: make(chan []byte, s.opts.QueueSize), quit: make(chan struct{}), s: s}
	s.mu.Lock()
	s.conns[c] = true
	s.apps[app]++
	s.appAll[app] = c.all
	close(s.connected)
	s.connected = make(chan struct{})
	s.mu.Unlock()
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.mu.Lock()
		c.dropLocked()
		s.mu.Unlock()
		return // the upgrader already answered
	}
	c.ws = ws
	s.log.Debug("websocket connected", zap.String("app", app), zap.Bool("subscribe_all", c.all))
	go c.writeLoop()
	c.readLoop()
}

func (c *wsConn) send(b []byte) {
	select {
	case c.out <- b:
	default:
		c.s.log.Warn("websocket client too slow, disconnecting", zap.String("app", c.app))
		c.dropLocked()
	}
}

// dropLocked unregisters c; the caller holds s.mu.
func (c *wsConn) dropLocked() {
	if !c.s.conns[c] {
		return
	}
	delete(c.s.conns, c)
	c.s.apps[c.app]--
	close(c.s.connected) // wake WaitConnected/WaitDisconnected
	c.s.connected = make(chan struct{})
	if c.s.apps[c.app] <= 0 {
		delete(c.s.apps, c.app)
		delete(c.s.filters, c.app) // the application is gone, with its filter
	}
	c.once.Do(func() { close(c.quit) })
}

func (c *wsConn) readLoop() {
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			break
		}
	}
	c.s.mu.Lock()
	c.dropLocked()
	c.s.mu.Unlock()
	_ = c.ws.Close()
}

func (c *wsConn) writeLoop() {
	defer c.ws.Close()
	for {
		select {
		case <-c.quit:
			// Abrupt close, as when Asterisk goes away: no close frame.
			return
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.s.mu.Lock()
				c.dropLocked()
				c.s.mu.Unlock()
				return
			}
		}
	}
}

// DropWebSockets closes every events WebSocket at once (TCP close, no close
// frame). Channels and bridges stay as they are; nothing is replayed when the
// client reconnects, as with Asterisk.
func (s *Server) DropWebSockets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.dropLocked()
	}
}

// Connected reports how many WebSockets app has open.
func (s *Server) Connected(app string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apps[app]
}

// WaitConnected blocks until app has an events WebSocket registered, or ctx
// ends (its cause is returned). Events emitted from then on reach that
// WebSocket.
func (s *Server) WaitConnected(ctx context.Context, app string) error {
	for {
		s.mu.Lock()
		n, changed := s.apps[app], s.connected
		s.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// WaitDisconnected waits until app has no WebSocket left, without polling.
func (s *Server) WaitDisconnected(ctx context.Context, app string) error {
	for {
		s.mu.Lock()
		n, changed := s.apps[app], s.connected
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
