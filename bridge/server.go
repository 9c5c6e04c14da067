package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// ErrShutdown is the cause of the handlers' context when Shutdown stops
// the calls in progress.
var ErrShutdown = errors.New("bridge: hard shutdown")

// Handler runs one inbound call. ctx ends only at a hard shutdown (not when
// the GP hangs up: the specialist may still be keying the outcome; the
// leg's own Context says that). When the handler returns, the bridge hangs
// up the call's legs still up, on a fresh context.
type Handler func(ctx context.Context, call ivr.InboundCall)

// Server is the ARI application: it receives inbound calls, dials and
// connects legs (it is the ivr.Switch), and keeps the link to Asterisk.
type Server struct {
	opts      Options
	log       *zap.Logger
	ari       *native.Client
	transport *http.Transport
	link      *link
	sub       ari.Subscription // the one subscription to ari/v5's bus

	linkCancel context.CancelFunc
	readerDone chan struct{} // closed when the subscription ended
	watchDone  chan struct{}
	sweeping   sync.WaitGroup
	closeOnce  sync.Once
	hardCtx    context.Context
	hardCancel context.CancelCauseFunc

	gen         atomic.Uint64 // resync generations (see leg.confirmed)
	received    atomic.Uint64
	malformed   atomic.Uint64
	unrouted    atomic.Uint64
	backlogFull atomic.Uint64
	resyncs     atomic.Uint64 // resyncs after events may have been dropped
	resyncing   atomic.Bool   // such a resync is running
	resyncAgain atomic.Bool   // and another is due once it ends
	// The hold sound (hold.go) and the playbacks Asterisk never started.
	holdFailures     atomic.Uint64
	holdProblem      atomic.Pointer[string]
	playbacksRetried atomic.Uint64
	playbacksLost    atomic.Uint64
	abandoned        atomic.Bool // see Abandon
	// asteriskStarted is Asterisk\'s startup time when last asked.
	asteriskStarted atomic.Pointer[time.Time]
	callsTotal      atomic.Uint64
	calls           sync.WaitGroup

	mu          sync.Mutex
	legs        map[string]*leg // by channel id: where events go
	dials       map[string]*leg // by dial key (= channel id): idempotent Dial
	bridges     map[string]*connection
	incoming    []*leg // inbound legs not yet handed to the handler
	incomingSig chan struct{}
	handler     Handler
	adopter     AdoptHandler
	linkCtx     context.Context // ends with Close
	draining    bool
	drainStart  chan struct{} // closed when draining begins
}

var _ ivr.Switch = (*Server)(nil)

// Open connects to ARI through ari/v5's native client: it starts the
// client's events WebSocket and waits, until ctx ends or ConnectTimeout
// passes, for it to connect and for Asterisk to list the application. A
// refused password fails at once with ErrUnauthorized. ari/v5 then keeps
// the WebSocket up by itself; the server follows it (see link) until Close.
func Open(ctx context.Context, opts Options) (*Server, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("ARI options: %w", err)
	}
	s := &Server{
		opts:        opts,
		log:         opts.Logger.With(zap.String("ari_app", opts.Application)),
		legs:        map[string]*leg{},
		dials:       map[string]*leg{},
		bridges:     map[string]*connection{},
		incomingSig: make(chan struct{}, 1),
		readerDone:  make(chan struct{}),
		watchDone:   make(chan struct{}),
		drainStart:  make(chan struct{}),
	}
	s.link = newLink(&s.opts)
	client, transport, err := newClient(&s.opts, s.link.onDial, &s.abandoned)
	if err != nil {
		return nil, err
	}
	s.ari, s.transport = client, transport
	s.hardCtx, s.hardCancel = context.WithCancelCause(context.Background())

	cctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	abandon := make(chan struct{})
	if err := s.start(cctx, s.connectClient(abandon)); err != nil {
		if s.sub == nil {
			// ari/v5's Connect has not returned: its loop cannot be
			// stopped without a race (see parkDials).
			s.link.policy.Store(dialPark)
		} else {
			s.stopClient()
			<-s.readerDone
		}
		close(abandon)
		s.hardCancel(err)
		transport.CloseIdleConnections()
		return nil, err
	}
	lctx, lcancel := context.WithCancel(context.Background())
	s.linkCancel = lcancel
	go s.watch(lctx)
	s.linkCtx = lctx
	if !opts.Adopt {
		s.sweeping.Add(1)
		go func() {
			defer s.sweeping.Done()
			s.settle(lctx, nil)
		}()
	}
	s.asteriskRestarted() // notes Asterisk's startup time, for the resyncs
	s.log.Info("ARI connected", zap.String("url", redact(opts.URL)), zap.String("events", s.link.url))
	return s, nil
}

// dispatch applies one event from ari/v5's bus. It runs on the reader
// goroutine and never blocks: REST work it causes runs elsewhere.
func (s *Server) dispatch(ae ari.Event) {
	s.received.Add(1)
	if ae == nil {
		// ari/v5 sends the result of a failed decode, which may be nil.
		s.malformed.Add(1)
		s.log.Warn("ARI event skipped: ari/v5 could not decode it")
		return
	}
	e := fromARI(ae)
	id := e.channelID()
	s.mu.Lock()
	l := s.legs[id]
	s.mu.Unlock()
	switch {
	case l != nil:
		l.apply(e)
	case e.Type == "StasisStart" && e.Channel != nil:
		s.stasisStart(e)
	default:
		s.unrouted.Add(1)
	}
}

// Serve hands every inbound call to handler in its own goroutine until
// ctx ends; then it takes no new call (they go back to the dialplan),
// lets the calls in progress finish, and returns. Shutdown ends them
// sooner.
func (s *Server) Serve(ctx context.Context, handler Handler) error {
	s.mu.Lock()
	if s.handler != nil {
		s.mu.Unlock()
		return errors.New("bridge: Serve called twice")
	}
	s.handler = handler
	adopter := s.adopter
	s.mu.Unlock()
	if s.opts.Adopt {
		s.sweeping.Add(1)
		go func() {
			defer s.sweeping.Done()
			s.settle(s.linkCtx, adopter)
		}()
	}
	for {
		s.startIncoming()
		select {
		case <-s.incomingSig:
			continue
		case <-ctx.Done():
		}
		break
	}
	s.startDraining()
	s.startIncoming()
	s.log.Info("draining calls in progress", zap.Int("legs", s.legCount()))
	done := make(chan struct{})
	go func() { s.calls.Wait(); close(done) }()
	select {
	case <-done:
	case <-s.hardCtx.Done():
		t := time.NewTimer(s.opts.CleanupTimeout)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			s.log.Error("calls still running after the hard shutdown", zap.Int("legs", s.legCount()))
		}
	}
	return nil
}

func (s *Server) startIncoming() {
	s.mu.Lock()
	batch := s.incoming
	s.incoming = nil
	s.mu.Unlock()
	for _, l := range batch {
		c := &call{in: l}
		l.call = c
		go s.runCall(c)
	}
}

func (s *Server) runCall(c *call) {
	defer s.calls.Done()
	defer s.cleanup(c)
	defer func() {
		if r := recover(); r != nil {
			c.in.log.Error("call handler panicked", zap.Any("panic", r), zap.StackSkip("stack", 1))
		}
	}()
	c.in.log.Debug("inbound call", zap.String("did", c.in.dialed)) // the script logs "call started" at info
	s.handler(s.hardCtx, inboundCall{c.in})
}

// cleanup hangs up what the handler left up, on a context of its own: the
// handler's may be cancelled.
func (s *Server) cleanup(c *call) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CleanupTimeout)
	defer cancel()
	for _, l := range append(c.outboundLegs(), c.in) {
		if l == nil {
			continue // an adopted call whose GP was gone
		}
		if err := l.Hangup(ctx, ivr.HangupNormal); err != nil {
			l.log.Warn("hang up after the call", zap.Error(err))
		}
	}
	if c.in != nil {
		s.forget(c.in)
	}
}

// Shutdown hangs up every call in progress now, waits for their handlers
// (until ctx ends) and closes the link.
func (s *Server) Shutdown(ctx context.Context) error {
	s.hardCancel(ErrShutdown)
	s.startDraining()
	s.mu.Lock()
	queued := s.incoming // calls Serve never started (or Serve never ran)
	s.incoming = nil
	legs := make([]*leg, 0, len(s.legs))
	for _, l := range s.legs {
		legs = append(legs, l)
	}
	s.mu.Unlock()
	for _, l := range legs {
		if err := l.Hangup(ctx, ivr.HangupNormal); err != nil {
			l.log.Warn("hang up at shutdown", zap.Error(err))
		}
	}
	for _, l := range queued {
		s.forget(l)
		s.calls.Done()
	}
	done := make(chan struct{})
	go func() { s.calls.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("shutdown: calls still running with %d legs: %w", s.legCount(), context.Cause(ctx))
	}
	s.Close()
	return err
}

// Abandon stops talking to Asterisk at once, as a crash of the process
// would: no hang-up, no further request (each fails), the link closed.
// The calls stay in Asterisk for the next controller to adopt. It is how
// tests stand in for a kill -9.
func (s *Server) Abandon() {
	s.abandoned.Store(true)
	s.Close()
}

// Close stops the link to Asterisk. Calls still up are left to Asterisk.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.linkCancel()
		<-s.watchDone
		s.sweeping.Wait()
		s.stopClient()
		<-s.readerDone
		s.link.down()
		s.transport.CloseIdleConnections()
		s.log.Info("ARI link closed")
	})
}

func (s *Server) startDraining() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.draining {
		s.draining = true
		close(s.drainStart)
	}
}

// Draining says the server takes no new calls (Serve's context ended or
// Shutdown began): /readyz should then say not ready.
func (s *Server) Draining() bool {
	select {
	case <-s.drainStart:
		return true
	default:
		return false
	}
}

// legEnded runs when a leg ends (l.mu held): a dialled leg keeps answering
// Dial for its key a while, then is forgotten.
func (s *Server) legEnded(l *leg) {
	if l.outbound {
		time.AfterFunc(s.opts.DialKeyRetention, func() { s.forget(l) })
	}
}
