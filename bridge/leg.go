package bridge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// goneGrace is how long a request answered "channel not found" waits for
// the event that says why the channel went, before calling it vanished.
const goneGrace = 2 * time.Second

// errWaitTimeout is await's own timeout, turned into the caller's error.
var errWaitTimeout = errors.New("wait timed out")

// leg is one channel under our control. Its fields below mu are changed by
// the event reader (apply) and by the methods; every change closes and
// replaces changed, which wakes whoever waits on the leg.
type leg struct {
	srv      *Server
	id       string
	key      *ari.Key
	outbound bool
	log      *zap.Logger
	ctx      context.Context
	cancel   context.CancelCauseFunc

	caller, dialed string // inbound only
	call           *call  // the inbound call whose handler owns this leg, if known

	mu        sync.Mutex
	changed   chan struct{}
	digits    []byte
	playbacks map[string]string // our playback id → last state seen ("" before PlaybackStarted)
	state     string            // channel state: Down, Ring, Ringing, Up, Busy...
	ringing   bool              // ringing (or answered) was seen
	alerted   bool              // the network said the phone rings (or is in progress)
	inStasis  bool
	answered  bool        // outbound: Up and in Stasis at least once
	confirmed uint64      // resync generation at which the channel was known to exist; 0: not yet
	hold      *holdPlayer // the hold sound playing now, nil when none
	// bridge is the bridge the channel is in (or being added to), "" when
	// none: a play sent before it has left a destroyed bridge is lost.
	bridge     string
	dialStatus string
	farCause   int               // cause of the last hangup request not made by us
	hangupBy   *ivr.HangupReason // set when we asked for the hangup
	preset     *ivr.DialError    // outcome decided by our own dial timers
	ended      *ivr.HangupError  // set once, when the leg is gone
	timers     []*time.Timer
	memQueue   []memoryWrite // Remember's writes not yet sent
	// lostInRestart: the channel vanished with an Asterisk restart.
	lostInRestart bool
	// unwanted: an originate whose answer never came; the channel must be
	// hung up whenever it shows (cancelOriginate).
	unwanted   bool
	memWriting bool
}

func (s *Server) newLeg(id string, outbound bool) *leg {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &leg{
		srv:       s,
		id:        id,
		key:       ari.NewKey(ari.ChannelKey, id),
		outbound:  outbound,
		log:       s.log.With(zap.String("channel_id", id)),
		ctx:       ctx,
		cancel:    cancel,
		changed:   make(chan struct{}),
		playbacks: map[string]string{},
	}
}

// base lets Connect find the leg behind an ivr.Leg.
func (l *leg) base() *leg { return l }

func (l *leg) ID() string               { return l.id }
func (l *leg) Context() context.Context { return l.ctx }
func (l *leg) notifyLocked()            { close(l.changed); l.changed = make(chan struct{}) }

// confirmLocked records that the channel exists, for resync: only legs
// confirmed before a channel list was taken can be missing from it.
func (l *leg) confirmLocked() {
	if l.confirmed == 0 {
		l.confirmed = l.srv.gen.Add(1)
	}
}

func (l *leg) endedErr() *ivr.HangupError { l.mu.Lock(); defer l.mu.Unlock(); return l.ended }
func (l *leg) isEnded() bool              { return l.endedErr() != nil }

// apply updates the leg from one of its events. It runs on the event
// reader and never blocks.
func (l *leg) apply(e *event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unwanted && e.Type != "ChannelDestroyed" && e.Type != "StasisEnd" {
		l.unwanted = false // once: the hang-up is retried until done
		go l.srv.hangupUnwanted(l)
	}
	if e.Type != "PlaybackStarted" && e.Type != "PlaybackFinished" && l.confirmed == 0 {
		l.confirmLocked()
	}
	switch e.Type {
	case "StasisStart":
		l.inStasis = true
		l.setStateLocked(e.Channel.State)
	case "StasisEnd":
		l.inStasis = false
		l.endLocked(l.farCause, "", false)
	case "ChannelStateChange":
		l.setStateLocked(e.Channel.State)
	case "Dial":
		if e.DialStatus != "" {
			l.dialStatus = e.DialStatus
		}
		if e.DialStatus == "RINGING" || e.DialStatus == "PROGRESS" {
			l.ringing, l.alerted = true, true
		}
	case "ChannelDtmfReceived":
		if len(e.Digit) == 1 && isKey(e.Digit[0]) {
			l.digits = append(l.digits, e.Digit[0])
		}
	case "ChannelHangupRequest":
		// A soft request is ours (cause 32 is a flag, not a cause) or
		// Asterisk tidying up: StasisEnd or ChannelDestroyed follows.
		if !e.Soft {
			l.farCause = e.Cause
			l.endLocked(e.Cause, e.CauseText, false)
		}
	case "ChannelDestroyed":
		l.endLocked(e.Cause, e.CauseText, false)
	case "ChannelEnteredBridge":
		l.bridge = e.Bridge
	case "ChannelLeftBridge":
		if l.bridge == e.Bridge {
			l.bridge = ""
		}
	case "PlaybackStarted", "PlaybackFinished":
		if e.Playback == nil {
			return
		}
		if _, ours := l.playbacks[e.Playback.ID]; ours {
			l.playbacks[e.Playback.ID] = e.Playback.State
		}
	default:
		return
	}
	l.notifyLocked()
}

func (l *leg) setStateLocked(state string) {
	if state == "" {
		return
	}
	l.state = state
	if state == "Ringing" || state == "Up" {
		l.ringing = true
	}
	if state == "Ringing" {
		l.alerted = true
	}
	if l.outbound && state == "Up" && l.inStasis {
		l.answered = true
	}
}

func isKey(d byte) bool { return d >= '0' && d <= '9' || d == '*' || d == '#' }

// endLocked marks the leg gone (once) and cancels its context with why.
func (l *leg) endLocked(cause int, text string, vanished bool) {
	if l.ended != nil {
		return
	}
	if l.hangupBy != nil && (cause == causeUnknown || cause == softHangupExplicitBit) {
		cause = reasonCause(*l.hangupBy)
	}
	if cause == softHangupExplicitBit {
		cause = causeNormalClearing
	}
	if text == "" {
		text = causeText(cause)
	}
	l.ended = &ivr.HangupError{LegID: l.id, Cause: cause, CauseText: text, Vanished: vanished,
		ByUs: l.hangupBy != nil, Restarted: l.lostInRestart}
	for _, t := range l.timers {
		t.Stop()
	}
	l.cancel(l.ended)
	l.notifyLocked()
	l.log.Debug("leg ended", zap.Int("cause", cause), zap.String("cause_txt", text), zap.Bool("vanished", vanished))
	l.srv.legEnded(l)
}

func (l *leg) end(cause int, text string, vanished bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endLocked(cause, text, vanished)
}

// await waits until cond (called with l.mu held) holds, ctx ends (its
// cause is returned) or timeout fires (errWaitTimeout). A nil timeout
// channel means no timeout. cond is checked first, so a condition already
// met wins over a cancelled ctx.
func (l *leg) await(ctx context.Context, timeout <-chan time.Time, cond func() bool) error {
	for {
		l.mu.Lock()
		ok, changed := cond(), l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-timeout:
			return errWaitTimeout
		}
	}
}

// gone handles a request answered "channel not found": the events saying
// why usually follow at once; past goneGrace the leg is called vanished.
func (l *leg) gone(ctx context.Context) error {
	t := time.NewTimer(goneGrace)
	defer t.Stop()
	if err := l.await(ctx, t.C, func() bool { return l.ended != nil }); errors.Is(err, errWaitTimeout) {
		l.end(causeUnknown, "channel not found", true)
	} else if err != nil {
		return err
	}
	return l.endedErr()
}

// failed turns an ARI request error into the error a method returns.
func (l *leg) failed(ctx context.Context, op string, err error) error {
	switch statusOf(err) {
	case 404, 409, 422: // channel not found, or no longer in our application
		return l.gone(ctx)
	}
	return requestError(op+" "+l.id, err)
}

func (l *leg) Answer(ctx context.Context) error {
	if e := l.endedErr(); e != nil {
		return e
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := l.srv.ari.Channel().Answer(l.key); err != nil {
		return l.failed(ctx, "answer channel", err)
	}
	l.mu.Lock()
	l.setStateLocked("Up")
	l.notifyLocked()
	l.mu.Unlock()
	return nil
}

func (l *leg) ReadDigit(ctx context.Context, timeout time.Duration) (byte, error) {
	t := time.NewTimer(max(timeout, 0))
	defer t.Stop()
	err := l.await(ctx, t.C, func() bool { return len(l.digits) > 0 || l.ended != nil })
	l.mu.Lock()
	defer l.mu.Unlock()
	// Digits typed before a hangup are still handed out: the specialist's
	// outcome key must not be lost because they hung up right after it.
	if len(l.digits) > 0 {
		d := l.digits[0]
		l.digits = l.digits[1:]
		return d, nil
	}
	switch {
	case l.ended != nil:
		return 0, l.ended
	case errors.Is(err, errWaitTimeout):
		return 0, ivr.ErrDigitTimeout
	}
	return 0, err
}

func (l *leg) FlushDigits() {
	l.mu.Lock()
	l.digits = nil
	l.mu.Unlock()
}

// Hangup ends the leg with reason. A leg already gone is no error. The
// leg counts as ended as soon as Asterisk accepted the request, so it works
// the same while the events WebSocket is down.
func (l *leg) Hangup(ctx context.Context, reason ivr.HangupReason) error {
	l.mu.Lock()
	if l.ended != nil {
		l.mu.Unlock()
		return nil
	}
	if l.hangupBy == nil {
		l.hangupBy = &reason
	}
	l.mu.Unlock()
	err := l.srv.mustHappen(ctx, "hang up channel "+l.id, func() error { return l.srv.ari.Channel().Hangup(l.key, ariReason(reason)) })
	if err != nil {
		return requestError("hang up channel "+l.id, err)
	}
	l.end(reasonCause(reason), "", false)
	return nil
}
