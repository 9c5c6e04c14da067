package ivr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// errHuntTimeout ends the hunt once the territory's hunt timeout is spent.
var errHuntTimeout = errors.New("hunt timeout reached")

// specialist is the leg that accepted the call.
type specialist struct {
	leg     OutboundLeg
	cand    oncall.Candidate
	phone   string
	attempt int
}

// hunt rings the on-duty chain, one phone at a time, while the GP waits on
// hold, until someone accepts. Ringing is bounded by the territory's hunt
// timeout; a specialist who has answered is let finish the whisper.
func (s *Script) hunt(c *call) (*specialist, error) {
	ctx, cancel := s.lookup(c)
	chain, err := s.roster.OnDuty(ctx, c.territory.ID, c.specialty.ID, s.clock.Now())
	cancel()
	if err != nil && !errors.Is(err, oncall.ErrNobodyOnDuty) {
		return nil, fmt.Errorf("on duty for %s: %w", c.specialty.Slug, err)
	}
	if len(chain) == 0 {
		c.gp.Remember(memSpecialty, strconv.FormatInt(c.specialty.ID, 10))
		c.log.Warn("nobody on duty")
		s.record(c, callevent.Event{Kind: callevent.NobodyOnDuty, SpecialtyID: c.specialty.ID})
		return nil, s.callback(c)
	}

	// The first phone rings while the GP hears that we are searching: the
	// message must not delay the specialist by its length, nor must the
	// requests that start the music and write what an adoption reads on
	// the GP's channel. They go once the first originate request is out.
	// A controller adopting the call in between dials the same leg again
	// (a leg's id is the call's and the attempt's), not another. An
	// originate that takes longer than holdGrace (a slow Asterisk) must not
	// leave the GP in silence: the music starts then.
	var (
		hold     *holdLoop
		holdOnce sync.Once
	)
	dialed := func() {
		holdOnce.Do(func() {
			c.gp.Remember(memSpecialty, strconv.FormatInt(c.specialty.ID, 10))
			hold = s.startHold(c)
		})
	}
	guard := s.clock.AfterFunc(holdGrace, dialed)
	huntCtx, stopHunt := withClockTimeout(c.ctx, s.clock, c.territory.HuntTimeout, errHuntTimeout)
	spec := s.ringChain(c, huntCtx, chain, dialed)
	stopHunt()
	guard.Stop()
	holdOnce.Do(func() {}) // waits for a guard that fired meanwhile; none starts later
	if hold != nil {
		hold.stop()
	}
	switch {
	case spec != nil:
		return spec, nil
	case c.ctx.Err() != nil:
		return nil, context.Cause(c.ctx)
	}
	return nil, s.callback(c)
}

// holdGrace is how long the first originate request may take before the
// GP hears the search message and the music without waiting for it.
const holdGrace = 50 * time.Millisecond

// ringChain tries each candidate's phones in order; nil when nobody
// accepted. dialed is called after each originate request.
func (s *Script) ringChain(c *call, ctx context.Context, chain []oncall.Candidate, dialed func()) *specialist {
	for _, cand := range chain {
		for _, phone := range cand.Phones {
			if slices.Contains(c.tried, phone) {
				continue // rung before this controller adopted the call
			}
			if ctx.Err() != nil {
				c.log.Info("hunt over", zap.NamedError("cause", context.Cause(ctx)))
				return nil
			}
			if spec := s.ring(c, ctx, cand, phone, dialed); spec != nil {
				return spec
			}
		}
	}
	return nil
}

// ring is one attempt: dial, wait for the answer, whisper, accept. Only
// the record of the attempt comes before the originate request (it costs
// a copy into the spool's queue); the rest waits until it is out.
func (s *Script) ring(c *call, ctx context.Context, cand oncall.Candidate, phone string, dialed func()) *specialist {
	c.attempts++
	n := c.attempts
	if c.huntStarted.IsZero() {
		c.huntStarted = s.clock.Now()
	}
	c.tried = append(c.tried, phone)
	s.record(c, callevent.Event{Kind: callevent.AttemptStarted, Attempt: n, RPPS: cand.RPPS, Phone: phone, Rank: cand.Rank})
	leg, err := s.sw.Dial(ctx, DialRequest{
		Key:          c.id + "-" + strconv.Itoa(n),
		Phone:        phone,
		CallerID:     c.did,
		RingTimeout:  c.territory.RingTimeout,
		EarlyTimeout: s.opt.EarlyTimeout,
		For:          c.gp,
	})
	c.gp.Remember(memTried, encodeTried(c.attempts, c.tried))
	dialed()
	log := c.log.With(zap.Int("attempt", n), zap.Int("rank", cand.Rank),
		zap.String("requis", cand.RPPS), zap.String("phone", maskNumber(phone)))
	if err != nil {
		res, cause := unanswered(ctx, err)
		log.Info("dial failed", zap.String("result", string(res)), zap.Error(err))
		s.attemptEnded(c, n, res, cause)
		return nil
	}
	c.legs = append(c.legs, leg)
	rang := func() { s.record(c, callevent.Event{Kind: callevent.AttemptRinging, Attempt: n}) }
	if err := leg.WaitAnswer(ctx, rang); err != nil {
		s.hangupLeg(c, leg)
		res, cause := unanswered(ctx, err)
		log.Info("not answered", zap.String("result", string(res)), zap.Error(err))
		s.attemptEnded(c, n, res, cause)
		return nil
	}
	s.record(c, callevent.Event{Kind: callevent.AttemptAnswered, Attempt: n})
	res, err := s.offer(c, leg, cand)
	if err != nil {
		log.Info("offer interrupted", zap.Error(err))
	}
	if c.ctx.Err() != nil && (res == callevent.AttemptAccepted || res == callevent.AttemptCancelled) {
		// The GP left while the specialist answered, listened or accepted:
		// say so, and never bridge them later.
		res = callevent.AttemptCancelled
		s.tellSpecialist(c, leg, pCallerLeft)
	}
	if res != callevent.AttemptAccepted {
		s.hangupLeg(c, leg)
		log.Info("attempt ended", zap.String("result", string(res)))
		s.attemptEnded(c, n, res, 0)
		return nil
	}
	log.Info("specialist accepted")
	leg.Remember(memAccepted, cand.RPPS) // the phone is there since the originate
	s.attemptEnded(c, n, res, 0)
	return &specialist{leg: leg, cand: cand, phone: phone, attempt: n}
}

// offer whispers who calls and why to the specialist alone and waits for
// their key: 1 takes the call, 2 declines, no key in time is a voicemail.
//
// The fallback line (e.g. a hospital switchboard) is offered the same way,
// with one more sentence saying it is the last resort: a switchboard that
// answers can put the call through to the doctor on call, who presses 1.
func (s *Script) offer(c *call, leg OutboundLeg, cand oncall.Candidate) (callevent.AttemptResult, error) {
	leg.FlushDigits() // nothing typed before the question counts
	whisper := []string{
		s.prompts.media(pWhisperLine), "sound:" + TerritorySound(c.territory.Slug),
		s.prompts.media(pWhisperDoctor), "sound:" + NameSound(c.requerant.RPPS),
		s.prompts.media(pWhisperAsks), "sound:" + SpecialtySound(c.territory.Slug, c.specialty.Slug),
	}
	if cand.Fallback {
		whisper = append(whisper, s.prompts.media(pWhisperFallback))
	}
	ask := append(whisper, s.prompts.media(pAcceptKeys))
	for try := 1; try <= s.opt.MaxTries; try++ {
		if err := leg.Play(c.ctx, true, ask...); err != nil {
			return s.offerFailed(c, err), err
		}
		key, ok, err := readChoice(c.ctx, leg, s.opt.AcceptTimeout)
		switch {
		case err != nil:
			return s.offerFailed(c, err), err
		case !ok:
			return callevent.AttemptVoicemail, nil
		case key == '1':
			return callevent.AttemptAccepted, nil
		case key == '2':
			s.tellSpecialist(c, leg, pDeclinedAck)
			return callevent.AttemptDeclined, nil
		}
		leg.FlushDigits()
		ask = []string{s.prompts.media(pChoiceInvalid), s.prompts.media(pAcceptKeys)}
	}
	return callevent.AttemptDeclined, nil
}

// offerFailed classifies an error during the whisper: the GP left (the
// attempt is cancelled) or the specialist hung up on it (declined).
func (s *Script) offerFailed(c *call, err error) callevent.AttemptResult {
	switch {
	case c.ctx.Err() != nil:
		return callevent.AttemptCancelled
	case errors.Is(err, ErrHangup):
		return callevent.AttemptDeclined
	default:
		return callevent.AttemptFailed
	}
}

// unanswered says how an attempt ended before an answer.
func unanswered(ctx context.Context, err error) (callevent.AttemptResult, int) {
	var de *DialError
	var he *HangupError
	switch {
	case ctx.Err() != nil:
		return callevent.AttemptCancelled, 0
	case errors.As(err, &de):
		switch de.Result {
		case DialBusy:
			return callevent.AttemptBusy, de.Cause
		case DialNoAnswer:
			return callevent.AttemptNoAnswer, de.Cause
		case DialCancelled:
			return callevent.AttemptCancelled, de.Cause
		}
		return callevent.AttemptFailed, de.Cause
	case errors.As(err, &he):
		switch he.Cause {
		case 17:
			return callevent.AttemptBusy, he.Cause
		case 18, 19:
			return callevent.AttemptNoAnswer, he.Cause
		}
		return callevent.AttemptFailed, he.Cause
	}
	return callevent.AttemptFailed, 0
}

func (s *Script) attemptEnded(c *call, n int, res callevent.AttemptResult, cause int) {
	s.record(c, callevent.Event{Kind: callevent.AttemptEnded, Attempt: n, AttemptRes: res, Cause: cause})
	s.metrics.AttemptEnded(res)
}

// callback registers the GP's request when nobody could be reached.
func (s *Script) callback(c *call) error {
	s.registerCallback(c)
	c.log.Info("nobody reached: callback requested")
	s.say(c, pNobodyReached)
	return end(callevent.ResultCallback, "nobody reached")
}

// registerCallback records the GP's request to be called back; a GP not yet
// identified, or who has not chosen a specialty, has nothing to be called
// back about.
func (s *Script) registerCallback(c *call) {
	if c.requerant.RPPS == "" || c.specialty.ID == 0 || c.bridged || c.callbackOf != "" {
		return // a callback through the line leaves its request open as it was
	}
	// The SMS are not sent from here: when calllog applies this event, its
	// apply hook (notify.Outbox.Hook, wired in wiring/sms.go) queues, in the
	// same transaction, the SMS to the specialists on duty, to the GP and to
	// the coordination.
	s.record(c, callevent.Event{Kind: callevent.CallbackRequested, SpecialtyID: c.specialty.ID, RPPS: c.requerant.RPPS})
}
