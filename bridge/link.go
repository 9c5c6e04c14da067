package bridge

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// ErrUnauthorized says ARI refused the username or password: retrying
// cannot help.
var ErrUnauthorized = errors.New("ARI refused the username or password (401)")

// errLinkClosed is what the dial hook answers ari/v5 once the server is
// closed, so that its listen loop stops redialling.
var errLinkClosed = errors.New("bridge: ARI link closed")

// What the dial hook does when ari/v5 (re)dials the events WebSocket.
const (
	dialAllow  int32 = iota
	dialRefuse       // Close ran: fail the dial, ari/v5's loop then sees its context ended
	dialPark         // Open failed: hold ari/v5's loop for good (see parkDials)
)

// link is the state of the events WebSocket that ari/v5's native client
// keeps up. ari/v5 says nothing about it, so it is inferred:
//   - ari/v5 dials through our net.Dialer, whose Control hook runs at every
//     attempt: a (re)dial means the previous connection is gone, so the link
//     is down, and the watcher is woken;
//   - the watcher polls GET /applications/{app} until Asterisk lists the
//     application again (404 while no WebSocket of it is connected): up.
//
// ari/v5's Client.Connected() is never read: ari/v5 writes it from its
// listen goroutine without synchronisation.
type link struct {
	url      string // the events URL with ?app=, no credentials
	log      *zap.Logger
	onChange func(up bool, since time.Time)
	testHook func() error // Options.dialHook, for tests

	policy  atomic.Int32
	dialing chan struct{} // one pending wake-up for the watcher

	notifyMu   sync.Mutex
	mu         sync.Mutex
	attempts   uint64 // dials made by ari/v5
	up         bool
	everUp     bool
	since      time.Time
	reconnects int64
}

func newLink(o *Options) *link {
	return &link{
		url:      o.eventsURL(),
		log:      o.Logger,
		onChange: o.OnLinkChange,
		testHook: o.dialHook,
		dialing:  make(chan struct{}, 1),
		since:    time.Now(),
	}
}

// onDial is the net.Dialer Control hook of ari/v5's WebSocket dials. It
// runs on ari/v5's listen goroutine, before the TCP connection is made.
func (l *link) onDial(_, _ string, _ syscall.RawConn) error {
	switch l.policy.Load() {
	case dialRefuse:
		return errLinkClosed
	case dialPark:
		parkDials()
	}
	l.redialling()
	select {
	case l.dialing <- struct{}{}:
	default: // the watcher has a wake-up pending already
	}
	if l.testHook != nil {
		return l.testHook()
	}
	return nil
}

// parkDials holds ari/v5's listen goroutine for good after Open failed.
// ari/v5 v5.3.1 gives no race-free way to stop that loop before its
// Connect returned (the cancel function and the bus are written by Connect
// with no synchronisation), and left alone it would redial every second
// forever. Parked, it costs one goroutine and one unconnected socket until
// the process exits, which is what a failed Open leads to.
func parkDials() { select {} }

// redialling records a dial attempt: the previous connection, if any, is gone.
func (l *link) redialling() {
	l.mu.Lock()
	l.attempts++
	l.mu.Unlock()
	l.set(false, 0, false)
}

// attempt is the number of dials so far: take it before checking that the
// application is registered, and hand it to upIf.
func (l *link) attempt() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.attempts
}

// upIf marks the link up unless ari/v5 dialled again since attempt was
// taken (the registration seen may then be the connection just lost). It
// reports whether the link went from down to up.
func (l *link) upIf(attempt uint64) bool { return l.set(true, attempt, true) }

// down marks the link down for good (Close).
func (l *link) down() { l.set(false, 0, false) }

func (l *link) set(up bool, attempt uint64, check bool) bool {
	// notifyMu keeps the reports in the order of the changes; mu alone
	// would not, and holding it during onChange would deadlock an onChange
	// that reads Stats.
	l.notifyMu.Lock()
	defer l.notifyMu.Unlock()
	l.mu.Lock()
	if up == l.up || (check && attempt != l.attempts) {
		l.mu.Unlock()
		return false
	}
	l.up = up
	l.since = time.Now()
	if up {
		if l.everUp {
			l.reconnects++
		}
		l.everUp = true
	}
	since := l.since
	l.mu.Unlock()
	switch {
	case up:
		l.log.Info("ARI events WebSocket up", zap.String("url", l.url))
	case l.policy.Load() == dialRefuse: // our own Close: nothing is wrong
		l.log.Info("ARI events WebSocket closed", zap.String("url", l.url))
	default:
		l.log.Warn("ARI events WebSocket down", zap.String("url", l.url))
	}
	if l.onChange != nil {
		l.onChange(up, since)
	}
	return true
}

// state says whether the events WebSocket is up, since when, and how many
// times it came back.
func (l *link) state() (up bool, since time.Time, reconnects int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up, l.since, l.reconnects
}
