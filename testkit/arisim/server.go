// Package arisim emulates Asterisk's ARI (REST + events WebSocket) with
// scripted phones, so an ARI application can be tested, demonstrated and
// load-tested through its real client library. It knows nothing of the
// application it serves.
package arisim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// Options configure a Server. Zero values take the defaults shown.
type Options struct {
	Username, Password string      // "ari" / "ari"
	Clock              clock.Clock // NewScaledClock(1): real time; its timers must fire one at a time (clock.go)
	Logger             *zap.Logger // zap.NewNop()
	Language           string      // "fr"
	EntityID           string      // asterisk_id, "02:fc:00:00:00:01"
	// DefaultSoundDuration is the length of a prompt not in SoundDurations (2s).
	DefaultSoundDuration time.Duration
	SoundDurations       map[string]time.Duration // by media URI, e.g. "sound:hello-world"
	MissingSounds        map[string]bool          // URIs that fail (PlaybackFinished state "failed")
	FailedSoundDelay     time.Duration            // 2ms
	// PJSIPNotLoaded reproduces the reference Asterisk, which had no PJSIP:
	// PJSIP/... originates get 500 "Allocation failed". By default they
	// reach the scenario's scripted endpoints.
	PJSIPNotLoaded bool
	// LocalStasisApp is the app that Local/<x>@incoming enters (reference dialplan).
	LocalStasisApp string // "regline"
	// QueueSize bounds each WebSocket's outgoing queue; a client that lets it
	// fill is disconnected rather than stalling the emulator (1024).
	QueueSize int
	// Epoch seeds channel ids (<epoch>.<n>), default the clock's Unix time.
	Epoch int64
	// BridgeLeaveDelay is how long after DELETE /bridges/{id} its channels
	// get ChannelLeftBridge (50ms). Meanwhile a play sent to one of them is
	// answered 201 and lost: no PlaybackStarted, GET /playbacks/{id} 404,
	// as a real Asterisk 22 does with a play queued in a dying bridge.
	BridgeLeaveDelay time.Duration
	// NoMOHClasses reproduces an Asterisk whose moh folder was empty at
	// start: res_musiconhold has no class, a MOH start is answered 204 and
	// the caller hears nothing.
	NoMOHClasses bool
	// OnRequest, when set, is called for every REST request once its
	// parameters are read, before it is applied, with the emulator's time:
	// load benchmarks see there when a controller's request arrived (an
	// originate, a bridge's channels). param reads a query or body field.
	OnRequest func(at time.Time, method, path string, param func(string) string)
}

func (o *Options) defaults() {
	if o.Username == "" {
		o.Username, o.Password = "ari", "ari"
	}
	if o.Clock == nil {
		o.Clock = NewScaledClock(1)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Language == "" {
		o.Language = "fr"
	}
	if o.EntityID == "" {
		o.EntityID = "02:fc:00:00:00:01"
	}
	if o.DefaultSoundDuration == 0 {
		o.DefaultSoundDuration = 2 * time.Second
	}
	if o.SoundDurations == nil {
		o.SoundDurations = map[string]time.Duration{"sound:hello-world": 1088 * time.Millisecond, "sound:beep": 442 * time.Millisecond}
	}
	if o.MissingSounds == nil {
		o.MissingSounds = map[string]bool{"sound:this-sound-does-not-exist": true}
	}
	if o.FailedSoundDelay == 0 {
		o.FailedSoundDelay = 2 * time.Millisecond
	}
	if o.LocalStasisApp == "" {
		o.LocalStasisApp = "regline"
	}
	if o.QueueSize == 0 {
		o.QueueSize = 1024
	}
	if o.BridgeLeaveDelay == 0 {
		o.BridgeLeaveDelay = 50 * time.Millisecond
	}
}

// Server is one emulated Asterisk. All state sits behind one mutex; events are
// queued to each WebSocket under that mutex, so every client sees them in the
// order they happened.
type Server struct {
	opts  Options
	clock clock.Clock
	log   *zap.Logger

	mu        sync.Mutex
	epoch     int64
	idSeq     int
	localSeq  int
	trunkSeq  int
	bridgeSeq int
	channels  map[string]*channel
	bridges   map[string]*bridge
	playbacks map[string]*playback
	apps      map[string]int  // connected WebSockets per app
	appAll    map[string]bool // the app's last WebSocket had subscribeAll
	globals   map[string]string
	filters   map[string]*eventFilter
	conns     map[*wsConn]bool
	faults    faults
	live      map[*phone]bool
	endpoints map[string]*endpoint
	reports   []*PhoneReport
	unknown   []Step
	idle      chan struct{} // closed when no scenario phone is live
	connected chan struct{} // closed and replaced whenever an events WebSocket registers or drops
	pending   int           // scheduled scenario phones not yet finished
	marks     chan string   // Mark steps reached, for tests to act at an exact point

	httpSrv  *http.Server
	listener net.Listener
	started  time.Time
}

// Marks delivers the value of every Mark step a phone reaches, in order, so
// that a test can act (stop the controller, say) at an exact point of a
// call. Unread marks beyond 64 are dropped.
func (s *Server) Marks() <-chan string { return s.marks }

// New builds a server; call Start to listen.
func New(opts Options) *Server {
	opts.defaults()
	s := &Server{opts: opts, clock: opts.Clock, log: opts.Logger,
		channels: map[string]*channel{}, bridges: map[string]*bridge{}, playbacks: map[string]*playback{},
		apps: map[string]int{}, globals: map[string]string{}, appAll: map[string]bool{}, filters: map[string]*eventFilter{}, conns: map[*wsConn]bool{}, live: map[*phone]bool{}, endpoints: map[string]*endpoint{},
		connected: make(chan struct{}), marks: make(chan string, 64)}
	s.faults.failOriginate = -1
	s.epoch = opts.Epoch
	if s.epoch == 0 {
		s.epoch = s.clock.Now().Unix()
	}
	s.started = s.clock.Now()
	return s
}

// Start listens on addr ("127.0.0.1:0" for a free port) and serves until Close.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("arisim listen on %s: %w", addr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("arisim serve", zap.Error(err))
		}
	}()
	return nil
}

// Addr is the listening address, e.g. 127.0.0.1:41234.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL is the REST base, e.g. http://127.0.0.1:41234/ari.
func (s *Server) URL() string { return "http://" + s.Addr() + "/ari" }

// WebsocketURL is the events URL without query.
func (s *Server) WebsocketURL() string { return "ws://" + s.Addr() + "/ari/events" }

// Close stops serving at once, as when Asterisk stops: the listener, every
// WebSocket and every HTTP connection are closed, requests in progress
// included. (A graceful Shutdown would wait on connections a client has
// opened but not used yet, for seconds.)
func (s *Server) Close() error {
	s.DropWebSockets()
	if s.httpSrv == nil {
		return nil
	}
	if err := s.httpSrv.Close(); err != nil {
		return fmt.Errorf("arisim close: %w", err)
	}
	return nil
}

// locked wraps a timer callback so it runs under the server lock.
func (s *Server) locked(f func()) func() {
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		f()
	}
}

// emit sends e to every connection of the apps in subs, and to every
// subscribeAll connection. The caller holds s.mu.
func (s *Server) emit(subs map[string]bool, _ any, e obj) {
	var cache map[string][]byte
	typ := eventType(e)
	for c := range s.conns {
		if !c.all && !subs[c.app] {
			continue
		}
		if !s.filters[c.app].passes(typ) {
			continue
		}
		b, ok := cache[c.app]
		if !ok {
			full := append(append(obj{}, e...), kv{"asterisk_id", s.opts.EntityID}, kv{"application", c.app})
			b, _ = full.MarshalJSON()
			if cache == nil {
				cache = map[string][]byte{}
			}
			cache[c.app] = b
		}
		c.send(b)
	}
}
