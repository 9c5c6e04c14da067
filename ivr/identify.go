package ivr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// Refusal and identification-failure reasons, as recorded.
const (
	reasonBadRPPS     = "bad_rpps"
	reasonTimeout     = "timeout"
	reasonNotEnrolled = "not_enrolled"
	reasonWrongPIN    = "wrong_pin"
	reasonLocked      = "locked"
	reasonNoPIN       = "no_pin"    // enrolled without a PIN on a line that asks for one
	reasonNoChoice    = "no_choice" // no valid specialty picked in the menu
)

const (
	rppsMaxKeys = 12 // the national form is "8" + the 11-digit RPPS
	pinMinLen   = 4
	pinMaxLen   = 6
)

// identify finds the calling GP among the territory's enrolled requérants
// and, when the territory asks for it, checks their PIN.
//
// RPPS numbers are public, so the line must not tell who is enrolled: under
// a PIN policy an unknown RPPS, an RPPS enrolled without a PIN and an
// enrolled one all hear the same prompts in the same order — the PIN is
// asked for, a wrong one is « code incorrect » and another try, the last
// one « identification impossible » with the coordinator's number — and the
// roster does the same work for each (a hash checked, failures counted
// per number and per (RPPS, number)). Locks are the number's, never the
// RPPS's: see roster.LockoutPolicy. Under the `rpps` policy (identification
// only, for pilots) there is no secret to ask for, so an unknown RPPS hears
// « identification impossible » at once: that policy cannot hide who is
// enrolled, and the README says so.
func (s *Script) identify(c *call) error {
	if s.callerCheckResult(c) {
		s.record(c, callevent.Event{Kind: callevent.IdentFailed, Reason: reasonLocked})
		return s.refuse(c, reasonLocked, pLocked)
	}
	enr, known, err := s.byCallerNumber(c)
	if err != nil {
		return err
	}
	rpps := enr.RPPS
	if !known {
		if rpps, enr, known, err = s.enterRPPS(c); err != nil {
			return err
		}
	}
	if c.territory.Policy == oncall.PolicyRPPS {
		if !known {
			c.log.Info("RPPS not enrolled here", zap.String("rpps", rpps))
			s.record(c, callevent.Event{Kind: callevent.IdentFailed, Reason: reasonNotEnrolled, RPPS: rpps})
			s.countCallerFailure(c)
			return s.refuse(c, reasonNotEnrolled, pIdentImpossible)
		}
	} else if err := s.checkPIN(c, rpps, enr, known); err != nil {
		return err
	}
	c.requerant = enr
	c.log = c.log.With(zap.String("rpps", enr.RPPS))
	c.log.Info("GP identified")
	s.record(c, callevent.Event{Kind: callevent.Identified, RPPS: enr.RPPS, Name: fullName(enr.FirstName, enr.LastName)})
	return nil
}

// callbackCode claims the callback a code typed at the RPPS prompt names;
// ok is false when it names none (then it is a bad RPPS like any, and a
// failure counted against the caller number: codes cannot be probed).
func (s *Script) callbackCode(c *call, code string) (CallbackCall, bool, error) {
	ctx, cancel := s.lookup(c)
	cb, err := s.cbs.ClaimByCode(ctx, c.territory.ID, code, c.id, s.clock.Now())
	cancel()
	switch {
	case errors.Is(err, ErrNoCallback):
		c.log.Info("callback code names no callback to place")
		s.countCallerFailure(c)
		return cb, false, nil
	case err != nil:
		return cb, false, fmt.Errorf("callback code: %w", err)
	}
	return cb, true, nil
}

// cmpErr is err when set, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// byCallerNumber recognises an enrolled GP's phone on callerid+pin lines.
func (s *Script) byCallerNumber(c *call) (oncall.Enrolment, bool, error) {
	caller := c.caller
	if c.territory.Policy != oncall.PolicyCallerIDPIN || caller == "" {
		return oncall.Enrolment{}, false, nil
	}
	ctx, cancel := s.lookup(c)
	enr, err := s.roster.RequerantByPhone(ctx, c.territory.ID, caller)
	cancel()
	switch {
	case errors.Is(err, oncall.ErrNotFound):
		return oncall.Enrolment{}, false, nil
	case err != nil:
		return oncall.Enrolment{}, false, fmt.Errorf("requérant by caller number: %w", err)
	}
	c.log.Info("caller number recognised", zap.String("rpps", enr.RPPS))
	return enr, true, nil
}

// enterRPPS asks for the RPPS until it is well formed, and returns it with
// the enrolment when the GP is enrolled here (known).
func (s *Script) enterRPPS(c *call) (string, oncall.Enrolment, bool, error) {
	ask := []string{pEnterRPPS}
	for try := 1; ; try++ {
		if err := c.gp.Play(c.ctx, true, s.mediaOf(ask)...); err != nil {
			return "", oncall.Enrolment{}, false, fmt.Errorf("ask RPPS: %w", err)
		}
		typed, err := readEntry(c.ctx, c.gp, rppsMaxKeys, s.keypad())
		var bad *entryError
		if err != nil && !errors.As(err, &bad) {
			return "", oncall.Enrolment{}, false, fmt.Errorf("read RPPS: %w", err)
		}
		if bad == nil && len(typed) == CallbackCodeLen && s.cbs != nil {
			if cb, ok, err := s.callbackCode(c, typed); err != nil || ok {
				return "", oncall.Enrolment{}, false, cmpErr(err, &takeCallback{call: cb})
			}
		}
		var rpps string
		if bad == nil {
			rpps, err = oncall.NormalizeRPPS(typed)
		}
		if bad != nil || err != nil {
			c.gp.FlushDigits() // what was typed on after a wrong entry is not the next entry
			reason, problem := reasonBadRPPS, pRPPSInvalid
			if bad != nil && bad.problem == entryNothing {
				reason, problem = reasonTimeout, pNoInput
			}
			c.log.Info("RPPS entry rejected", zap.String("reason", reason), zap.Int("try", try))
			// What was typed is no RPPS (maybe a PIN typed too early): only
			// its length is kept.
			s.record(c, callevent.Event{Kind: callevent.IdentFailed, Reason: reason, RPPS: MaskTyped(typed)})
			if try == s.opt.MaxTries {
				return "", oncall.Enrolment{}, false, s.refuse(c, reason, problem, pTooManyTries)
			}
			ask = []string{problem, pEnterRPPS}
			continue
		}
		ctx, cancel := s.lookup(c)
		enr, err := s.roster.Requerant(ctx, c.territory.ID, rpps)
		cancel()
		if errors.Is(err, oncall.ErrNotFound) {
			return rpps, oncall.Enrolment{}, false, nil
		}
		if err != nil {
			return "", oncall.Enrolment{}, false, fmt.Errorf("requérant %s: %w", rpps, err)
		}
		return rpps, enr, true, nil
	}
}

// MaskTyped is what is kept of keys typed at the RPPS prompt that make no
// RPPS: one '•' per key, so that a PIN typed there by mistake is not stored.
func MaskTyped(typed string) string {
	return strings.Repeat("•", utf8.RuneCountInString(typed))
}

// checkPIN asks for the PIN, and answers alike whether the RPPS is enrolled
// with a PIN, enrolled without one or unknown (see identify). The PIN is
// never logged nor recorded.
func (s *Script) checkPIN(c *call, rpps string, enr oncall.Enrolment, known bool) error {
	checkable := known && enr.HasPIN
	failReason := reasonWrongPIN
	switch {
	case !known:
		failReason = reasonNotEnrolled
	case !enr.HasPIN:
		failReason = reasonNoPIN
	}
	ask := []string{pEnterPIN}
	for try := 1; ; try++ {
		if err := c.gp.Play(c.ctx, true, s.mediaOf(ask)...); err != nil {
			return fmt.Errorf("ask PIN: %w", err)
		}
		pin, err := readEntry(c.ctx, c.gp, pinMaxLen, s.keypad())
		var bad *entryError
		if err != nil && !errors.As(err, &bad) {
			return fmt.Errorf("read PIN: %w", err)
		}
		reason, problem := failReason, pPINWrong
		switch {
		case bad != nil && bad.problem == entryNothing:
			reason, problem = reasonTimeout, pNoInput
		case bad != nil, len(pin) < pinMinLen:
			// Malformed: not worth a store round trip, but a try all the same.
		default:
			ctx, cancel := s.lookup(c)
			if checkable {
				err = s.roster.VerifyPIN(ctx, enr.ID, pin, c.caller, s.clock.Now())
			} else {
				err = s.roster.RefusePIN(ctx, c.territory.ID, rpps, pin, c.caller, s.clock.Now())
			}
			cancel()
			var wrong *oncall.WrongPINError
			isWrong := errors.As(err, &wrong)
			switch {
			case err == nil:
				return nil
			case errors.Is(err, oncall.ErrLocked) || isWrong && wrong.Remaining <= 0:
				c.log.Warn("caller number locked after failed identifications")
				s.record(c, callevent.Event{Kind: callevent.IdentFailed, Reason: reasonLocked, RPPS: rpps})
				c.gp.FlushDigits()
				return s.refuse(c, reasonLocked, pLocked)
			case !isWrong:
				return fmt.Errorf("verify PIN of %s: %w", rpps, err)
			}
		}
		c.gp.FlushDigits()
		c.log.Info("PIN rejected", zap.String("reason", reason), zap.Int("try", try))
		s.record(c, callevent.Event{Kind: callevent.IdentFailed, Reason: reason, RPPS: rpps})
		if try == s.opt.MaxTries {
			return s.refuse(c, reason, problem, pIdentImpossible)
		}
		ask = []string{problem, pEnterPIN}
	}
}

func (s *Script) keypad() keypad {
	return keypad{first: s.opt.FirstDigitTimeout, inter: s.opt.InterDigitTimeout}
}

func (s *Script) mediaOf(ids []string) []string {
	media := make([]string, len(ids))
	for i, id := range ids {
		media[i] = s.prompts.media(id)
	}
	return media
}

func fullName(first, last string) string {
	return strings.TrimSpace(first + " " + last)
}

// startCallerCheck asks whether the caller number is locked while the
// welcome plays, so that the GP never waits on the database for it (the
// check is bounded by LookupTimeout, shorter than the welcome).
func (s *Script) startCallerCheck(c *call) {
	locked := make(chan bool, 1)
	c.callerLock = locked
	go func() { locked <- s.callerLocked(c) }()
}

// callerCheckResult is the answer of the check startCallerCheck started.
func (s *Script) callerCheckResult(c *call) bool {
	if c.callerLock == nil {
		return s.callerLocked(c)
	}
	select {
	case locked := <-c.callerLock:
		return locked
	case <-c.ctx.Done():
		return false // the call is ending: identify's next wait sees it
	}
}

// callerLocked says whether the caller number (or the withheld bucket) is
// locked after repeated failures. A check that cannot be made lets the call
// go on: the number's locks are checked again with the PIN.
func (s *Script) callerLocked(c *call) bool {
	// A withheld number ("") is checked too: withheld callers share one
	// bucket, or hiding the number would escape every limit.
	ctx, cancel := s.lookup(c)
	err := s.roster.CheckCaller(ctx, c.territory.ID, c.caller, s.clock.Now())
	cancel()
	if errors.Is(err, oncall.ErrLocked) {
		c.log.Info("caller number locked")
		return true
	}
	if err != nil {
		c.log.Warn("caller lock not checked", zap.Error(err))
	}
	return false
}

// countCallerFailure counts an unknown RPPS against the caller number; the
// lock it may set takes effect from the next call.
func (s *Script) countCallerFailure(c *call) {
	ctx, cancel := s.lookup(c)
	err := s.roster.CallerFailure(ctx, c.territory.ID, c.caller, s.clock.Now())
	cancel()
	if err != nil && !errors.Is(err, oncall.ErrLocked) {
		c.log.Warn("caller failure not counted", zap.Error(err))
	}
}
