package ivr

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/roster/oncall"
)

// call is one call's state, owned by the goroutine running Serve.
type call struct {
	id string
	// ref is the reference drawn for the call (calllog/reference.go); the
	// applier stores it, or another when it is taken in the territory.
	ref string
	gp  InboundCall
	log *zap.Logger
	// did and caller are read once: the GP leg is then used by the hold
	// loop's goroutine too, and the script asks it nothing else meanwhile.
	did, caller string
	// ctx is the call's work: cancelled, with the GP leg's *HangupError as
	// cause, when the GP hangs up, and when the server stops the call.
	ctx      context.Context
	cancel   context.CancelCauseFunc
	stopLink func() bool // unlinks ctx from the server's context
	// serverCtx is Serve's context: it stops the specialist's outcome keying
	// too, which outlives the GP's leg.
	serverCtx context.Context
	started   time.Time
	// huntStarted is when the first specialist's phone was dialled: time
	// to specialist runs from it to the bridge (calllog.Record has the
	// same definition, and so do the statistics).
	huntStarted time.Time

	mu  sync.Mutex // guards seq: events are numbered without gaps
	seq int

	territory oncall.Territory
	// callerLock answers the caller-number lock check started before the
	// welcome (see startCallerCheck).
	callerLock <-chan bool
	requerant  oncall.Enrolment
	specialty  oncall.Specialty
	attempts   int
	tried      []string // phones dialled, in order (attempt n is tried[n-1] when not adopted)
	legs       []Leg    // every specialist leg dialled, hung up again at the end
	bridged    bool
	gpHungUp   bool // a LegHungUp for the GP was recorded
	result     callevent.Result

	// callbackOf is, for a callback through the line, the call whose
	// callback request it answers (see callback.go); callbackSpecialist
	// is who calls back.
	callbackOf, callbackSpecialist string
}

// endCall ends the call with a result, once the caller has been told why.
type endCall struct {
	result callevent.Result
	reason string
}

func (e *endCall) Error() string { return fmt.Sprintf("call ends %s (%s)", e.result, e.reason) }

func end(result callevent.Result, reason string) error {
	return &endCall{result: result, reason: reason}
}

// Serve runs one call from the GP's arrival to the end, and always ends it:
// every leg hung up and exactly one CallEnded recorded, whatever happens
// (a panic in a step included). Cancelling ctx stops the call.
func (s *Script) Serve(ctx context.Context, gp InboundCall) {
	c := s.begin(ctx, gp)
	defer s.finish(c)
	c.result = s.resultOf(c, s.run(c))
}

// run is the call, top to bottom.
func (s *Script) run(c *call) error {
	if err := s.resolveTerritory(c); err != nil {
		return err
	}
	if err := s.answer(c); err != nil {
		return err
	}
	if err := s.checkOpen(c); err != nil {
		return err
	}
	s.startCallerCheck(c)
	if err := s.welcome(c); err != nil {
		return err
	}
	return s.fromIdentification(c)
}

// fromIdentification is the call from the GP's identification on; a call
// adopted after a restart may take it up at any of these steps. What each
// step learnt is remembered on the GP's channel for that.
func (s *Script) fromIdentification(c *call) error {
	if err := s.identify(c); err != nil {
		var cb *takeCallback
		if errors.As(err, &cb) {
			return s.callbackOnLine(c, cb.call)
		}
		return err
	}
	c.gp.Remember(memGP, c.requerant.RPPS)
	return s.fromMenu(c)
}

func (s *Script) fromMenu(c *call) error {
	if err := s.chooseSpecialty(c); err != nil {
		return err
	}
	return s.fromHunt(c) // the hunt remembers the specialty on the channel
}

func (s *Script) fromHunt(c *call) error {
	spec, err := s.hunt(c)
	if err != nil {
		return err
	}
	return s.converse(c, spec)
}

func (s *Script) begin(ctx context.Context, gp InboundCall) *call {
	id := newCallID()
	c := &call{
		id:        id,
		gp:        gp,
		did:       gp.DialedNumber(),
		caller:    gp.CallerNumber(),
		serverCtx: ctx,
		started:   s.clock.Now(),
	}
	if ref, err := callevent.NewReference(s.random); err == nil {
		c.ref = ref
	} // else the applier derives one from the call id
	c.log = s.log.With(zap.String("call_id", id), zap.String("did", c.did),
		zap.String("caller", maskNumber(c.caller)), zap.String("leg", gp.ID()))
	c.ctx, c.cancel = context.WithCancelCause(gp.Context())
	stop := func() { c.cancel(fmt.Errorf("call stopped: %w", context.Cause(ctx))) }
	c.stopLink = context.AfterFunc(ctx, stop)
	if ctx.Err() != nil {
		stop() // now, not in AfterFunc's goroutine: no step starts on a stopped call
	}
	c.log.Info("call started")
	s.running.add(id)
	gp.Remember(memCall, id)
	s.record(c, callevent.Event{Kind: callevent.CallStarted, DID: c.did, Caller: c.caller, Reference: c.ref})
	return c
}

// finish runs once, deferred, on a fresh context: it apologises when our side
// failed, hangs up every leg and writes the final event.
func (s *Script) finish(c *call) {
	defer s.running.remove(c.id)
	if r := recover(); r != nil {
		c.log.Error("call script panicked", zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
		c.result = callevent.ResultFailed
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.CleanupTimeout)
	defer cancel()
	if c.result == callevent.ResultFailed && c.gp.Context().Err() == nil {
		if err := c.gp.Play(ctx, false, s.prompts.media(pTechnicalError)); err != nil {
			c.log.Warn("apology not played", zap.Error(err))
		}
	}
	for _, l := range c.legs {
		if err := l.Hangup(ctx, HangupNormal); err != nil {
			c.log.Warn("hang up specialist leg", zap.String("leg", l.ID()), zap.Error(err))
		}
	}
	if err := c.gp.Hangup(ctx, HangupNormal); err != nil {
		c.log.Warn("hang up GP leg", zap.Error(err))
	}
	c.stopLink()
	c.cancel(context.Canceled)
	ev := callevent.Event{Kind: callevent.CallEnded, Result: c.result}
	if c.result == callevent.ResultUnknownDID {
		ev.DID = c.did
	}
	s.record(c, ev)
	s.metrics.CallEnded(c.result)
	c.log.Info("call ended", zap.String("result", string(c.result)),
		zap.Duration("duration", s.clock.Now().Sub(c.started)))
}

// resultOf turns how run returned into the call's result.
func (s *Script) resultOf(c *call, err error) callevent.Result {
	var e *endCall
	switch {
	case err == nil || c.bridged:
		return callevent.ResultBridged
	case errors.As(err, &e):
		return e.result
	case s.cutByUs(c):
		// Asterisk restarted, or a hard shutdown: the GP did not hang up.
		c.log.Warn("call cut by our side", zap.NamedError("cause", context.Cause(c.gp.Context())))
		s.registerCallback(c)
		return callevent.ResultInterrupted
	case s.gpGone(c):
		s.noteGPHangup(c)
		return callevent.ResultAbandoned
	default:
		c.log.Error("call failed", zap.Error(err))
		return callevent.ResultFailed
	}
}

// cutByUs reports whether the GP's leg ended by our side: lost with an
// Asterisk restart, or hung up by us before the call was decided.
func (s *Script) cutByUs(c *call) bool {
	var he *HangupError
	return errors.As(context.Cause(c.gp.Context()), &he) && (he.Restarted || he.ByUs)
}

// gpGone reports whether the GP has hung up.
func (s *Script) gpGone(c *call) bool {
	return errors.Is(context.Cause(c.gp.Context()), ErrHangup)
}

// noteGPHangup records the GP's hangup once.
func (s *Script) noteGPHangup(c *call) {
	if c.gpHungUp {
		return
	}
	c.gpHungUp = true
	ev := callevent.Event{Kind: callevent.LegHungUp, Party: "gp"}
	var he *HangupError
	if errors.As(context.Cause(c.gp.Context()), &he) {
		ev.Cause = he.Cause
	}
	c.log.Info("GP hung up", zap.Int("cause", ev.Cause))
	s.record(c, ev)
}

// record stamps and hands an event to the recorder.
func (s *Script) record(c *call, ev callevent.Event) {
	c.mu.Lock()
	c.seq++
	ev.CallID, ev.Seq, ev.At = c.id, c.seq, s.clock.Now()
	c.mu.Unlock()
	if err := s.rec.Record(ev); err != nil {
		c.log.Error("event not recorded", zap.String("kind", string(ev.Kind)), zap.Int("seq", ev.Seq), zap.Error(err))
	}
}

// say plays a final message and ignores a hangup: the result is decided.
func (s *Script) say(c *call, ids ...string) {
	media := make([]string, len(ids))
	for i, id := range ids {
		media[i] = s.prompts.media(id)
	}
	s.sayMedia(c, media...)
}

func (s *Script) sayMedia(c *call, media ...string) {
	if err := c.gp.Play(c.ctx, false, media...); err != nil && !s.gpGone(c) {
		c.log.Warn("final message not played", zap.Error(err))
	}
}

// lookup bounds a Roster call. The bound is on wall time, not on the
// injected clock: it guards against a slow machine (a PIN check costs an
// argon2id hash and database round trips), and an accelerated clock (the
// demo, end-to-end tests) would make it expire in the middle of one.
func (s *Script) lookup(c *call) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(c.ctx, s.opt.LookupTimeout, errLookupTimeout)
}

var errLookupTimeout = errors.New("roster lookup timed out")

// withClockTimeout is context.WithTimeout on the injected clock.
func withClockTimeout(parent context.Context, clk clock.Clock, d time.Duration, cause error) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	t := clk.AfterFunc(d, func() { cancel(cause) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

func newCallID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}
