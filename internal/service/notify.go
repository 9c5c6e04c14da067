package service

import (
	"context"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// logNotifier stands where SMS sending will be: the callback request and the
// pending outcome are already in the call record; this only says so in the
// log, without the GP's number.
type logNotifier struct {
	log *zap.Logger
}

func (n logNotifier) NobodyReached(_ context.Context, req ivr.CallbackRequest) error {
	n.log.Info("callback requested (no SMS sender configured)", zap.String("call_id", req.CallID),
		zap.String("territory", req.TerritorySlug), zap.String("specialty", req.Specialty), zap.Int("on_duty", len(req.OnDuty)))
	return nil
}

func (n logNotifier) OutcomePending(_ context.Context, p ivr.PendingOutcome) error {
	n.log.Info("outcome pending (no SMS sender configured)", zap.String("call_id", p.CallID), zap.String("specialist", p.SpecialistRPPS))
	return nil
}
