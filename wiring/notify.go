package wiring

import (
	"context"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// logNotifier only logs: the callback request and the pending outcome are
// in the call record, and their SMS are queued from it in the same
// transaction (notify.Outbox.Hook), not from the call's path. It logs
// without the GP's number.
type logNotifier struct {
	log *zap.Logger
}

func (n logNotifier) NobodyReached(_ context.Context, req ivr.CallbackRequest) error {
	n.log.Info("callback requested", zap.String("call_id", req.CallID),
		zap.String("territory", req.TerritorySlug), zap.String("specialty", req.Specialty), zap.Int("on_duty", len(req.OnDuty)))
	return nil
}

func (n logNotifier) OutcomePending(_ context.Context, p ivr.PendingOutcome) error {
	n.log.Info("outcome pending", zap.String("call_id", p.CallID), zap.String("specialist", p.SpecialistRPPS))
	return nil
}
