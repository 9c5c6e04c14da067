package ivr

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// resolveTerritory finds whose regulation number was dialled.
func (s *Script) resolveTerritory(c *call) error {
	did := c.did
	ctx, cancel := s.lookup(c)
	t, err := s.roster.TerritoryByDID(ctx, did)
	cancel()
	if errors.Is(err, oncall.ErrNotFound) {
		c.log.Warn("no territory has this regulation number")
		s.record(c, callevent.Event{Kind: callevent.TerritoryUnknown, DID: did})
		if err := c.gp.Answer(c.ctx); err == nil {
			s.say(c, pUnknownNumber)
		}
		return end(callevent.ResultUnknownDID, "unknown DID")
	}
	if err != nil {
		return fmt.Errorf("territory of %s: %w", did, err)
	}
	if t.Location == nil {
		return fmt.Errorf("territory %s has no time zone", t.Slug)
	}
	if t.RingTimeout <= 0 {
		t.RingTimeout = s.opt.DefaultRingTimeout
	}
	if t.HuntTimeout <= 0 {
		t.HuntTimeout = s.opt.DefaultHuntTimeout
	}
	c.territory = t
	c.log = c.log.With(zap.String("territory", t.Slug))
	s.record(c, callevent.Event{Kind: callevent.TerritoryResolved, TerritoryID: t.ID, Reference: c.ref})
	return nil
}

func (s *Script) answer(c *call) error {
	if err := c.gp.Answer(c.ctx); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	s.record(c, callevent.Event{Kind: callevent.Answered})
	return nil
}

// checkOpen turns callers away outside the territory's opening hours,
// pointing them to the 15 and the permanence des soins.
func (s *Script) checkOpen(c *call) error {
	now := s.clock.Now()
	if c.territory.Hours.OpenAt(now, c.territory.Location) {
		return nil
	}
	c.log.Info("line closed", zap.String("local_time", now.In(c.territory.Location).Format(time.DateTime)))
	s.record(c, callevent.Event{Kind: callevent.ClosedHours})
	s.say(c, pClosed)
	return end(callevent.ResultOutOfHours, "closed")
}

// welcome names the line and the 15; typing cuts it short (barge-in).
func (s *Script) welcome(c *call) error {
	err := c.gp.Play(c.ctx, true, s.prompts.media(pWelcome),
		"sound:"+TerritorySound(c.territory.Slug), s.prompts.media(pEmergency15))
	if err != nil {
		return fmt.Errorf("welcome: %w", err)
	}
	return nil
}

// refuse ends the call: what was wrong, then how to reach the coordination.
func (s *Script) refuse(c *call, reason string, ids ...string) error {
	s.record(c, callevent.Event{Kind: callevent.Refused, Reason: reason})
	c.log.Info("caller refused", zap.String("reason", reason))
	s.sayMedia(c, s.withCoordinator(c, ids...)...)
	return end(callevent.ResultRefused, reason)
}

// withCoordinator appends the coordinator's number (when the territory has
// one) and goodbye to the prompts.
func (s *Script) withCoordinator(c *call, ids ...string) []string {
	media := make([]string, 0, len(ids)+3)
	for _, id := range ids {
		media = append(media, s.prompts.media(id))
	}
	if n := spokenNumber(c.territory.CoordinatorPhone); n != "" {
		media = append(media, s.prompts.media(pCoordinatorContact), "digits:"+n)
	}
	return append(media, s.prompts.media(pGoodbye))
}
