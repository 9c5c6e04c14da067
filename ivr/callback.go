package ivr

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// A callback through the line: a specialist texted about a GP's callback
// request taps their link (or calls the line and types their code at the
// RPPS prompt). The request is already claimed for this call. The line
// rings the specialist (not with the code: they are on the line), who hears
// whom they call back and presses 1; then the GP, with the regulation
// number as caller ID, who hears who calls back and for what, and presses
// 1; they are bridged and the specialist keys the outcome as in any call.
// The GP not reached (no answer, busy, no key: a voicemail), the
// specialist is told and may try again, MaxTries times in all; the request
// then stays open.

// CallbackCodeLen is the length of a callback code typed at the RPPS prompt
// (an RPPS has 11 or 12 keys).
const CallbackCodeLen = 8

// CallbackCall is a claimed callback request to place.
type CallbackCall struct {
	CallID         string // the call the request was claimed for ("" draws one: the claim must then follow)
	RequestCallID  string // the call whose callback request this answers
	DID            string // the territory's regulation number: presented to both, resolves the territory
	SpecialtyID    int64
	GPRPPS         string
	GPFirst        string
	GPLast         string
	GPPhone        string // E.164, where the GP is rung
	SpecialistRPPS string
	// SpecialistPhone is rung first (the link path); with a code the
	// specialist is the caller and it is the number they call from.
	SpecialistPhone string
}

// Callbacks finds the callback request a code typed on the line names.
type Callbacks interface {
	// ClaimByCode claims, for call callID, the open callback request whose
	// code this is in the territory. ErrNoCallback when the code names no
	// request that may be called back now (unknown, expired, done, or
	// another callback of it under way); other errors are failures.
	ClaimByCode(ctx context.Context, territoryID int64, code, callID string, now time.Time) (CallbackCall, error)
}

// ErrNoCallback: the code typed names no callback to place now.
var ErrNoCallback = errors.New("no callback request to place for this code")

// CallBack places a claimed callback through the line and always ends it:
// every leg hung up, one CallEnded recorded, the claim released by it when
// the GP was not reached.
func (s *Script) CallBack(ctx context.Context, req CallbackCall) {
	c := s.beginCallback(ctx, req)
	defer s.finish(c)
	err := s.callBack(c, req, nil)
	if err != nil && !c.bridged && c.ctx.Err() != nil && !errors.As(err, new(*endCall)) {
		// Stopped by our side (a hard shutdown): no GP leg tells it.
		c.log.Warn("callback stopped before the GP was put through", zap.Error(err))
		err = end(callevent.ResultInterrupted, "callback stopped by our side")
	}
	c.result = s.resultOf(c, err)
}

func (s *Script) beginCallback(ctx context.Context, req CallbackCall) *call {
	id := req.CallID
	if id == "" {
		id = newCallID()
	}
	c := &call{id: id, gp: noGPYet{id: id}, did: req.DID, serverCtx: ctx, started: s.clock.Now(), callbackOf: req.RequestCallID}
	if ref, err := callevent.NewReference(s.random); err == nil {
		c.ref = ref
	}
	c.log = s.log.With(zap.String("call_id", id), zap.String("did", c.did), zap.String("callback_of", req.RequestCallID))
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	stop := func() { c.cancel(fmt.Errorf("call stopped: %w", context.Cause(ctx))) }
	c.stopLink = context.AfterFunc(ctx, stop)
	if ctx.Err() != nil {
		stop()
	}
	c.log.Info("callback through the line started")
	s.running.add(c.id)
	s.record(c, callevent.Event{Kind: callevent.CallStarted, DID: c.did, Reference: c.ref})
	return c
}

// takeCallback says a code typed at the RPPS prompt claimed a callback.
type takeCallback struct{ call CallbackCall }

func (*takeCallback) Error() string { return "callback code typed" }

// callbackOnLine turns the call into the callback its caller's code
// claimed: the specialist is on the line, the GP is rung.
func (s *Script) callbackOnLine(c *call, req CallbackCall) error {
	c.callbackOf = req.RequestCallID
	c.log = c.log.With(zap.String("callback_of", req.RequestCallID))
	c.log.Info("callback code typed: calling the GP back")
	if req.SpecialistPhone == "" {
		req.SpecialistPhone = c.caller
	}
	c.legs = append(c.legs, c.gp) // hung up at the end like any specialist's
	return s.callBack(c, req, onLine{c.gp})
}

// callBack is the callback, top to bottom; onLine is the specialist's leg
// when they called in (nil: ring them).
func (s *Script) callBack(c *call, req CallbackCall, spLeg OutboundLeg) error {
	if err := s.callbackContext(c, req); err != nil {
		return err
	}
	sp, err := s.reachCallbackSpecialist(c, req, spLeg)
	if err != nil {
		return err
	}
	gp, err := s.reachCallbackGP(c, req, sp)
	if err != nil {
		return err
	}
	s.gpIs(c, gp, req.GPPhone)
	return s.converse(c, sp)
}

// callbackContext finds the territory and specialty again and records
// who the call is for, as an inbound call would have.
func (s *Script) callbackContext(c *call, req CallbackCall) error {
	ctx, cancel := s.lookup(c)
	terr, err := s.roster.TerritoryByDID(ctx, req.DID)
	cancel()
	if err != nil {
		return fmt.Errorf("callback: territory of %s: %w", req.DID, err)
	}
	c.territory = terr
	if c.territory.RingTimeout <= 0 {
		c.territory.RingTimeout = s.opt.DefaultRingTimeout
	}
	for _, sp := range terr.Specialties {
		if sp.ID == req.SpecialtyID {
			c.specialty = sp
		}
	}
	if c.specialty.ID == 0 {
		return fmt.Errorf("callback: specialty %d is no longer offered in %s", req.SpecialtyID, terr.Slug)
	}
	c.requerant = oncall.Enrolment{Practitioner: oncall.Practitioner{RPPS: req.GPRPPS, FirstName: req.GPFirst, LastName: req.GPLast}}
	if _, linkPath := c.gp.(noGPYet); linkPath { // the code path recorded it when the call came in
		s.record(c, callevent.Event{Kind: callevent.TerritoryResolved, TerritoryID: terr.ID, Reference: c.ref})
	}
	s.record(c, callevent.Event{Kind: callevent.Identified, RPPS: req.GPRPPS, Name: fullName(req.GPFirst, req.GPLast)})
	s.record(c, callevent.Event{Kind: callevent.SpecialtyChosen, SpecialtyID: c.specialty.ID, Specialty: c.specialty.Slug})
	s.record(c, callevent.Event{Kind: callevent.CallbackStarted, Origin: req.RequestCallID, RPPS: req.SpecialistRPPS})
	return nil
}

// reachCallbackSpecialist rings the specialist (unless on the line) and has
// them confirm with 1 whom they call back.
func (s *Script) reachCallbackSpecialist(c *call, req CallbackCall, leg OutboundLeg) (*specialist, error) {
	c.attempts = 1
	c.huntStarted = s.clock.Now()
	c.callbackSpecialist = req.SpecialistRPPS
	cand := oncall.Candidate{RPPS: req.SpecialistRPPS}
	s.record(c, callevent.Event{Kind: callevent.AttemptStarted, Attempt: 1, RPPS: req.SpecialistRPPS, Phone: req.SpecialistPhone})
	if leg == nil {
		c.tried = append(c.tried, req.SpecialistPhone)
		l, err := s.sw.Dial(c.ctx, DialRequest{Key: c.id + "-1", Phone: req.SpecialistPhone, CallerID: c.did,
			RingTimeout: c.territory.RingTimeout, EarlyTimeout: s.opt.EarlyTimeout})
		if err == nil {
			c.legs = append(c.legs, l)
			err = l.WaitAnswer(c.ctx, func() { s.record(c, callevent.Event{Kind: callevent.AttemptRinging, Attempt: 1}) })
		}
		if err != nil {
			res, cause := unanswered(c.ctx, err)
			c.log.Info("specialist did not answer their callback", zap.String("result", string(res)), zap.Error(err))
			s.attemptEnded(c, 1, res, cause)
			return nil, s.stoppedOr(c, end(callevent.ResultAbandoned, "specialist did not answer their callback"))
		}
		leg = l
		s.record(c, callevent.Event{Kind: callevent.AttemptAnswered, Attempt: 1})
	}
	leg.Remember(memCall, c.id)
	res, err := s.confirmCallback(c, leg)
	if res != callevent.AttemptAccepted {
		c.log.Info("callback not confirmed", zap.String("result", string(res)), zap.Error(err))
		s.attemptEnded(c, 1, res, 0)
		return nil, s.stoppedOr(c, end(callevent.ResultAbandoned, "specialist did not confirm the callback"))
	}
	s.attemptEnded(c, 1, res, 0)
	if _, called := leg.(onLine); called {
		leg.Remember(memGP, memCallbackSpecialist+req.SpecialistRPPS)
	} else {
		leg.Remember(memAccepted, memCallbackSpecialist+req.SpecialistRPPS) // the phone: since the originate
	}
	return &specialist{leg: leg, cand: cand, phone: req.SpecialistPhone, attempt: 1}, nil
}

// confirmCallback tells the specialist whom they call back; 1 goes on.
func (s *Script) confirmCallback(c *call, leg OutboundLeg) (callevent.AttemptResult, error) {
	leg.FlushDigits()
	ask := []string{
		s.prompts.media(pWhisperLine), "sound:" + TerritorySound(c.territory.Slug),
		s.prompts.media(pCallbackFor), "sound:" + NameSound(c.requerant.RPPS),
		s.prompts.media(pWhisperAsks), "sound:" + SpecialtySound(c.territory.Slug, c.specialty.Slug),
		s.prompts.media(pCallbackPress),
	}
	for try := 1; try <= s.opt.MaxTries; try++ {
		if err := leg.Play(c.ctx, true, ask...); err != nil {
			return callevent.AttemptDeclined, err
		}
		key, ok, err := readChoice(c.ctx, leg, s.opt.AcceptTimeout)
		switch {
		case err != nil:
			return callevent.AttemptDeclined, err
		case !ok:
			return callevent.AttemptVoicemail, nil
		case key == '1':
			return callevent.AttemptAccepted, nil
		}
		leg.FlushDigits()
		ask = []string{s.prompts.media(pChoiceInvalid), s.prompts.media(pCallbackPress)}
	}
	return callevent.AttemptDeclined, nil
}

// reachCallbackGP rings the GP, MaxTries times at most, each time the
// specialist asks; the specialist holds meanwhile.
func (s *Script) reachCallbackGP(c *call, req CallbackCall, sp *specialist) (OutboundLeg, error) {
	ctx, cancel := context.WithCancelCause(sp.leg.Context())
	defer cancel(context.Canceled)
	defer context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })()
	for try := 1; try <= s.opt.MaxTries; try++ {
		n := 1 + try
		if err := sp.leg.Play(ctx, false, s.prompts.media(pCallbackCalling)); err != nil {
			return nil, s.specialistGone(c, sp, err)
		}
		if err := sp.leg.StartHold(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("hold for the specialist not started", zap.Error(err))
		}
		s.record(c, callevent.Event{Kind: callevent.CallbackGPDialled, Attempt: n, Phone: req.GPPhone})
		log := c.log.With(zap.Int("gp_try", try), zap.String("phone", maskNumber(req.GPPhone)))
		leg, res, cause := s.ringCallbackGP(c, ctx, n, req.GPPhone)
		stopCtx, stopCancel := context.WithTimeout(context.Background(), s.opt.CleanupTimeout)
		_ = sp.leg.StopHold(stopCtx)
		stopCancel()
		if ctx.Err() != nil {
			if leg != nil {
				s.hangupLeg(c, leg)
			}
			s.record(c, callevent.Event{Kind: callevent.CallbackGPEnded, Attempt: n, AttemptRes: callevent.AttemptCancelled})
			return nil, s.specialistGone(c, sp, context.Cause(ctx))
		}
		s.record(c, callevent.Event{Kind: callevent.CallbackGPEnded, Attempt: n, AttemptRes: res, Cause: cause})
		if res == callevent.AttemptAccepted {
			log.Info("GP reached: bridging")
			// For a controller adopting the call (see resumeCallback).
			leg.Remember(memAccepted, memCallbackGP+req.GPRPPS) // the phone: since the originate
			return leg, nil
		}
		log.Info("GP not reached", zap.String("result", string(res)))
		if leg != nil {
			s.hangupLeg(c, leg)
		}
		if try == s.opt.MaxTries {
			break
		}
		sp.leg.FlushDigits()
		if err := sp.leg.Play(ctx, true, s.prompts.media(pCallbackGPUnreached), s.prompts.media(pCallbackRetry)); err != nil {
			return nil, s.specialistGone(c, sp, err)
		}
		key, ok, err := readChoice(ctx, sp.leg, s.opt.AcceptTimeout)
		if err != nil {
			return nil, s.specialistGone(c, sp, err)
		}
		if !ok || key != '1' {
			break
		}
	}
	s.tellSpecialist(c, sp.leg, pCallbackStaysOpen)
	return nil, end(callevent.ResultCallback, "GP not reached: the callback request stays open")
}

// ringCallbackGP is one try: dial, answer, hear who calls back, press 1.
func (s *Script) ringCallbackGP(c *call, ctx context.Context, n int, phone string) (OutboundLeg, callevent.AttemptResult, int) {
	leg, err := s.sw.Dial(ctx, DialRequest{Key: c.id + "-" + strconv.Itoa(n), Phone: phone, CallerID: c.did,
		RingTimeout: c.territory.RingTimeout, EarlyTimeout: s.opt.EarlyTimeout})
	if err != nil {
		res, cause := unanswered(ctx, err)
		return nil, res, cause
	}
	c.legs = append(c.legs, leg)
	if err := leg.WaitAnswer(ctx, nil); err != nil {
		res, cause := unanswered(ctx, err)
		return leg, res, cause
	}
	leg.FlushDigits()
	ask := []string{
		s.prompts.media(pWhisperLine), "sound:" + TerritorySound(c.territory.Slug),
		s.prompts.media(pWhisperDoctor), "sound:" + NameSound(c.tried1RPPS()),
		s.prompts.media(pCallbackCallsYou), "sound:" + SpecialtySound(c.territory.Slug, c.specialty.Slug),
		s.prompts.media(pCallbackGPPress),
	}
	for try := 1; try <= s.opt.MaxTries; try++ {
		if err := leg.Play(ctx, true, ask...); err != nil {
			return leg, callevent.AttemptDeclined, 0
		}
		key, ok, err := readChoice(ctx, leg, s.opt.AcceptTimeout)
		switch {
		case err != nil:
			return leg, callevent.AttemptDeclined, 0
		case !ok:
			return leg, callevent.AttemptVoicemail, 0
		case key == '1':
			return leg, callevent.AttemptAccepted, 0
		}
		leg.FlushDigits()
		ask = []string{s.prompts.media(pChoiceInvalid), s.prompts.media(pCallbackGPPress)}
	}
	return leg, callevent.AttemptDeclined, 0
}

// specialistGone ends a callback whose specialist hung up (or whose call
// is being stopped) before the GP was put through.
func (s *Script) specialistGone(c *call, sp *specialist, err error) error {
	if sp.leg.Context().Err() == nil && c.ctx.Err() != nil {
		return fmt.Errorf("callback: %w", context.Cause(c.ctx)) // stopped by us
	}
	c.log.Info("specialist left their callback before the GP was put through", zap.Error(err))
	s.record(c, callevent.Event{Kind: callevent.LegHungUp, Party: "specialist"})
	return end(callevent.ResultAbandoned, "specialist left their callback")
}

// stoppedOr is the call's own stop when it is being stopped, else err.
func (s *Script) stoppedOr(c *call, err error) error {
	if c.ctx.Err() != nil {
		return fmt.Errorf("callback: %w", context.Cause(c.ctx))
	}
	return err
}

// gpIs makes the GP's answered leg the call's main leg: from now on the
// call is a conversation like any other (its context is the GP's).
func (s *Script) gpIs(c *call, leg OutboundLeg, phone string) {
	c.gp = dialledGP{OutboundLeg: leg, did: c.did, number: phone}
	c.stopLink()
	c.cancel(context.Canceled)
	c.ctx, c.cancel = context.WithCancelCause(leg.Context())
	ctx := c.serverCtx
	stop := func() { c.cancel(fmt.Errorf("call stopped: %w", context.Cause(ctx))) }
	c.stopLink = context.AfterFunc(ctx, stop)
	if ctx.Err() != nil {
		stop()
	}
}

// tried1RPPS is the specialist calling back (attempt 1's).
func (c *call) tried1RPPS() string { return c.callbackSpecialist }

// What a callback remembers on its channels: the specialist's leg
// (memAccepted when rung, memGP on their own inbound leg when they typed a
// code) and the GP's (memAccepted), each value prefixed so that a
// controller adopting the call tells a callback from a call of the chain.
const (
	memCallbackSpecialist = "cb:"
	memCallbackGP         = "gp:"
)

// resumeCallback takes up an adopted callback through the line (handled is
// false for any other call). Bridged, the conversation goes on and the
// outcome is keyed as in any call; not yet put through, it cannot be taken
// up where it was: the specialist is told the request stays open, and the
// call's end releases the request's claim.
func (s *Script) resumeCallback(c *call, a Adoption) (handled bool, err error) {
	var gp *AdoptedLeg
	var sp *specialist
	var rest []AdoptedLeg
	for i, l := range a.Specialists {
		acc := l.Memory[memAccepted]
		switch {
		case strings.HasPrefix(acc, memCallbackGP) && gp == nil:
			gp = &a.Specialists[i]
		case strings.HasPrefix(acc, memCallbackSpecialist) && sp == nil:
			sp = &specialist{leg: l.Leg, attempt: l.Attempt, phone: l.Memory[memPhone],
				cand: oncall.Candidate{RPPS: strings.TrimPrefix(acc, memCallbackSpecialist)}}
		default:
			rest = append(rest, l)
		}
	}
	if rpps, ok := strings.CutPrefix(a.Memory[memGP], memCallbackSpecialist); ok && a.GP != nil && sp == nil {
		sp = &specialist{leg: onLine{a.GP}, attempt: 1, cand: oncall.Candidate{RPPS: rpps}}
	}
	if sp == nil && gp == nil {
		return false, nil
	}
	c.callbackOf = a.CallID // a flag here: no new callback request from this call
	for _, l := range rest {
		c.legs = append(c.legs, l.Leg)
		s.hangupLeg(c, l.Leg)
	}
	if sp != nil {
		c.legs = append(c.legs, sp.leg)
	}
	if sp != nil && a.Connection != nil && (gp == nil || gp.Leg.Context().Err() != nil) {
		// They were put through and the GP left while no controller
		// watched: the specialist keys the outcome of their conversation.
		if gp != nil {
			c.legs = append(c.legs, gp.Leg)
		}
		if _, called := sp.leg.(onLine); called {
			c.gp = goneLeg{id: a.CallID}
		}
		c.bridged = true
		s.closeBridge(c, a.Connection)
		s.record(c, callevent.Event{Kind: callevent.LegHungUp, Party: "gp"})
		c.gpHungUp = true
		s.keyOutcome(c, sp)
		return true, nil
	}
	if gp == nil || sp == nil || a.Connection == nil {
		if gp != nil {
			c.legs = append(c.legs, gp.Leg)
		}
		if a.Connection != nil {
			s.closeBridge(c, a.Connection)
		}
		if sp != nil && sp.leg.Context().Err() == nil {
			s.tellSpecialist(c, sp.leg, pCallbackStaysOpen)
		}
		return true, end(callevent.ResultInterrupted, "callback adopted before the GP was put through")
	}
	s.gpIs(c, gp.Leg, gp.Memory[memPhone])
	c.bridged = true
	c.log.Info("callback adopted: the conversation goes on")
	return true, s.conversation(c, sp, a.Connection)
}

// switchLeg is the Switch's own leg under the wrappers of a callback: the
// Switch mixes only the legs it made.
func switchLeg(l Leg) Leg {
	switch w := l.(type) {
	case onLine:
		return w.InboundCall
	case dialledGP:
		return w.OutboundLeg
	}
	return l
}

// onLine is a specialist who called the line in, used as a dialled leg.
type onLine struct{ InboundCall }

func (onLine) WaitAnswer(context.Context, func()) error { return nil }

// dialledGP is the GP's leg of a callback, used as the call's main leg.
type dialledGP struct {
	OutboundLeg
	did, number string
}

func (g dialledGP) CallerNumber() string { return g.number }
func (g dialledGP) DialedNumber() string { return g.did }

// noGPYet stands for the GP's leg of a callback before the GP is rung:
// never hung up, nothing to play to.
type noGPYet struct{ id string }

func (g noGPYet) ID() string                                  { return g.id + "-gp-not-rung" }
func (g noGPYet) Context() context.Context                    { return context.Background() }
func (g noGPYet) Answer(context.Context) error                { return nil }
func (g noGPYet) Play(context.Context, bool, ...string) error { return nil }
func (g noGPYet) FlushDigits()                                {}
func (g noGPYet) StartHold(context.Context) error             { return nil }
func (g noGPYet) StopHold(context.Context) error              { return nil }
func (g noGPYet) Hangup(context.Context, HangupReason) error  { return nil }
func (g noGPYet) Remember(string, string)                     {}
func (g noGPYet) CallerNumber() string                        { return "" }
func (g noGPYet) DialedNumber() string                        { return "" }
func (g noGPYet) ReadDigit(ctx context.Context, _ time.Duration) (byte, error) {
	<-ctx.Done()
	return 0, context.Cause(ctx)
}
