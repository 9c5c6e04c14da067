package ivr

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
)

// converse bridges the GP and the specialist, waits for the end of the
// conversation, then has the specialist key its outcome.
func (s *Script) converse(c *call, sp *specialist) error {
	conn, err := s.sw.Connect(c.ctx, c.id, switchLeg(c.gp), switchLeg(sp.leg))
	if err != nil {
		if c.ctx.Err() != nil {
			s.tellSpecialist(c, sp.leg, pCallerLeft)
			return fmt.Errorf("connect: %w", err)
		}
		s.tellSpecialist(c, sp.leg, pTechnicalError)
		return fmt.Errorf("connect GP and specialist: %w", err)
	}
	c.bridged = true
	s.record(c, callevent.Event{Kind: callevent.Bridged, Attempt: sp.attempt, RPPS: sp.cand.RPPS})
	s.metrics.TimeToSpecialist(s.clock.Now().Sub(c.huntStarted))
	c.log.Info("bridged", zap.String("requis", sp.cand.RPPS))
	return s.conversation(c, sp, conn)
}

// conversation waits for the end of the conversation of two bridged legs
// (or of one whose other party left while no controller watched), then has
// the specialist key the outcome.
func (s *Script) conversation(c *call, sp *specialist, conn Connection) error {
	tooLong := make(chan struct{})
	timer := s.clock.AfterFunc(s.opt.MaxConversation, func() { close(tooLong) })
	select {
	case <-c.ctx.Done(): // the GP hung up, or the call is being stopped
	case <-sp.leg.Context().Done():
	case <-tooLong:
	}
	timer.Stop()
	s.closeBridge(c, conn)

	switch {
	case sp.leg.Context().Err() != nil:
		s.specialistLeft(c, sp)
	case s.gpGone(c):
		s.noteGPHangup(c)
		s.keyOutcome(c, sp)
	case c.ctx.Err() != nil:
		return fmt.Errorf("conversation: %w", context.Cause(c.ctx))
	default:
		c.log.Warn("conversation too long: GP leg ended", zap.Duration("max", s.opt.MaxConversation))
		s.say(c, pConversationTooLong)
		s.hangupLeg(c, c.gp)
		s.keyOutcome(c, sp)
	}
	return nil
}

func (s *Script) closeBridge(c *call, conn Connection) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.CleanupTimeout)
	defer cancel()
	if err := conn.Close(ctx); err != nil {
		c.log.Warn("close bridge", zap.Error(err))
	}
}

// specialistLeft ends the GP's side with a goodbye; the outcome is pending.
func (s *Script) specialistLeft(c *call, sp *specialist) {
	ev := callevent.Event{Kind: callevent.LegHungUp, Party: "specialist"}
	var he *HangupError
	if errors.As(context.Cause(sp.leg.Context()), &he) {
		ev.Cause = he.Cause
	}
	s.record(c, ev)
	c.log.Info("specialist hung up first")
	if c.ctx.Err() == nil {
		s.say(c, pSpecialistLeft)
	} else if s.gpGone(c) {
		s.noteGPHangup(c)
	}
	s.pending(c, sp)
}

// tellSpecialist plays a short message to a specialist leg that is still up,
// whatever became of the GP.
func (s *Script) tellSpecialist(c *call, leg Leg, id string) {
	ctx, cancel := context.WithTimeout(leg.Context(), s.opt.CleanupTimeout)
	defer cancel()
	if err := leg.Play(ctx, false, s.prompts.media(id)); err != nil && !errors.Is(err, ErrHangup) {
		c.log.Warn("message to specialist not played", zap.String("prompt", id), zap.Error(err))
	}
}

// hangupLeg ends a leg now, on a fresh context: the call's may be cancelled.
func (s *Script) hangupLeg(c *call, leg Leg) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.CleanupTimeout)
	defer cancel()
	if err := leg.Hangup(ctx, HangupNormal); err != nil {
		c.log.Warn("hang up leg", zap.String("leg", leg.ID()), zap.Error(err))
	}
}
