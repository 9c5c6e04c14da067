package ivr

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
)

// outcomeKeys are the specialist's keys after the conversation.
var outcomeKeys = map[byte]callevent.Outcome{
	'1': callevent.OutcomeTeleconsultation,
	'2': callevent.OutcomeTeleexpertise,
	'3': callevent.OutcomeVisit,
	'4': callevent.OutcomeHospital,
	'5': callevent.OutcomeAdvice,
}

// delayKeys are the committed delays, in hours, of a téléexpertise or a visit.
var delayKeys = map[byte]int{'1': 24, '2': 48, '3': 7 * 24}

func needsDelay(o callevent.Outcome) bool {
	return o == callevent.OutcomeTeleexpertise || o == callevent.OutcomeVisit
}

// keyOutcome has the specialist, alone on the line, key what follows the
// call; the outcome is pending when they leave or do not key it.
func (s *Script) keyOutcome(c *call, sp *specialist) {
	ctx, cancel := context.WithCancelCause(sp.leg.Context())
	defer cancel(context.Canceled)
	unlink := context.AfterFunc(c.serverCtx, func() { cancel(context.Cause(c.serverCtx)) })
	defer unlink()

	sp.leg.FlushDigits() // keys typed during the conversation are not an answer
	key, err := s.askKey(ctx, c, sp.leg, pOutcomeMenu, func(k byte) bool { _, ok := outcomeKeys[k]; return ok })
	if err != nil {
		c.log.Info("outcome not keyed", zap.Error(err))
		s.pendingAndTell(c, sp)
		return
	}
	outcome, hours := outcomeKeys[key], 0
	if needsDelay(outcome) {
		key, err := s.askKey(ctx, c, sp.leg, pDelayMenu, func(k byte) bool { _, ok := delayKeys[k]; return ok })
		if err != nil {
			c.log.Info("delay not keyed", zap.String("outcome", string(outcome)), zap.Error(err))
			s.pendingAndTell(c, sp)
			return
		}
		hours = delayKeys[key]
	}
	s.record(c, callevent.Event{Kind: callevent.OutcomeKeyed, Outcome: outcome, DelayHours: hours, RPPS: sp.cand.RPPS})
	s.metrics.OutcomeKeyed(outcome)
	c.log.Info("outcome keyed", zap.String("outcome", string(outcome)), zap.Int("delay_hours", hours))
	s.tellSpecialist(c, sp.leg, pOutcomeSaved)
}

// errNoValidKey says a question got no valid key after every try.
var errNoValidKey = errors.New("no valid key")

// askKey asks a one-key question until a valid key, up to MaxTries; an
// invalid key is told ("choix invalide"), silence re-asks.
func (s *Script) askKey(ctx context.Context, c *call, leg Leg, prompt string, valid func(byte) bool) (byte, error) {
	ask := []string{s.prompts.media(prompt)}
	for try := 1; try <= s.opt.MaxTries; try++ {
		if err := leg.Play(ctx, true, ask...); err != nil {
			return 0, fmt.Errorf("ask %s: %w", prompt, err)
		}
		key, ok, err := readChoice(ctx, leg, s.opt.FirstDigitTimeout)
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", prompt, err)
		}
		if ok && valid(key) {
			return key, nil
		}
		leg.FlushDigits()
		problem := pNoInput
		if ok {
			problem = pChoiceInvalid
		}
		c.log.Info("key rejected", zap.String("question", prompt), zap.String("problem", problem), zap.Int("try", try))
		ask = []string{s.prompts.media(problem), s.prompts.media(prompt)}
	}
	return 0, errNoValidKey
}

// pendingAndTell records a pending outcome and, when the specialist is still
// on the line, tells them they will get an SMS to key it later.
func (s *Script) pendingAndTell(c *call, sp *specialist) {
	s.pending(c, sp)
	if sp.leg.Context().Err() == nil {
		s.tellSpecialist(c, sp.leg, pOutcomeLater)
	}
}

// pending records that the outcome is still to be keyed.
func (s *Script) pending(c *call, sp *specialist) {
	// The specialist's SMS with a link to key it later is not sent from
	// here: when calllog applies this event, its apply hook (notify.Outbox.Hook,
	// wired in wiring/sms.go) queues the SMS in the same transaction, to the
	// phone of this attempt.
	s.record(c, callevent.Event{Kind: callevent.OutcomePending, Attempt: sp.attempt, RPPS: sp.cand.RPPS})
	s.metrics.OutcomePending()
	c.log.Info("outcome pending", zap.String("specialist", sp.cand.RPPS))
}
