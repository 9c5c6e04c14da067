package wiring

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// sweepLeftOpenEvery closes the records that controllers left open (see
// ivr.Script.CloseLeftOpen), every interval until ctx ends.
func (s *Service) sweepLeftOpenEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.SweepLeftOpen(ctx, s.clock.Now()); err != nil {
			s.log.Warn("calls left open not checked", zap.Error(err))
		}
	}
}

// SweepLeftOpen closes the call records left open by a controller that
// stopped, when no controller drives them any more (see
// ivr.Script.CloseLeftOpen), as things stand at now. It does nothing while
// this controller's spool still holds events: the database would not know
// how those calls ended.
func (s *Service) SweepLeftOpen(ctx context.Context, now time.Time) (int, error) {
	if st := s.rec.Stats(); st.Pending > 0 || st.DatabaseDown {
		return 0, nil
	}
	open, err := s.calls.OpenCalls(ctx)
	if err != nil {
		return 0, fmt.Errorf("list open calls: %w", err)
	}
	left := make([]ivr.LeftOpen, len(open))
	for i, o := range open {
		left[i] = ivr.LeftOpen{ID: o.ID, LastEventAt: o.LastEventAt, Bridged: o.Bridged(),
			GPRPPS: o.GPRPPS, SpecialtyID: o.SpecialtyID, LastSeq: o.LastSeq}
	}
	return s.script.CloseLeftOpen(left, now), nil
}
