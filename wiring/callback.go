package wiring

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/console"
	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/notify"
)

// callbacks places the callbacks through the line that the specialists'
// links (web) and codes (typed on the line, ivr) claim. The claim is taken
// in PostgreSQL first (notify, then calllog's conditional UPDATE), so that
// one request gives one call however many specialists tap at once.
//
// Links expire and claims lapse on the line's clock (the one the outbox
// stamps links with), not on the console's.
type callbacks struct {
	links *notify.CallbackLinks
	svc   *Service
	log   *zap.Logger
	clock clock.Clock
}

// View is what a callback link's page shows; it claims nothing.
func (cb *callbacks) View(ctx context.Context, token string, _ time.Time) (notify.CallbackView, error) {
	return cb.links.View(ctx, token, cb.clock.Now())
}

// Start claims the link's request and places the callback.
func (cb *callbacks) Start(ctx context.Context, token string, _ time.Time) error {
	now := cb.clock.Now()
	if !cb.svc.canPlaceCalls() {
		return console.ErrLineUnavailable
	}
	id := newCallID()
	t, err := cb.links.Claim(ctx, token, id, now)
	if err != nil {
		return err
	}
	if !cb.svc.placeCallback(callbackCall(t, id)) {
		// The line stopped meanwhile: give the request back at once.
		if err := cb.links.Release(context.WithoutCancel(ctx), id); err != nil {
			cb.log.Warn("callback claim not released: it lapses by itself", zap.String("call_id", id), zap.Error(err))
		}
		return console.ErrLineUnavailable
	}
	return nil
}

// ClaimByCode is ivr.Callbacks: a code typed at the RPPS prompt.
func (cb *callbacks) ClaimByCode(ctx context.Context, territoryID int64, code, callID string, now time.Time) (ivr.CallbackCall, error) {
	t, err := cb.links.ClaimByCode(ctx, territoryID, code, callID, now)
	switch {
	case errors.Is(err, notify.ErrLinkUnknown), errors.Is(err, notify.ErrLinkUsed),
		errors.Is(err, notify.ErrLinkExpired), errors.Is(err, notify.ErrLinkTaken):
		return ivr.CallbackCall{}, ivr.ErrNoCallback
	case err != nil:
		return ivr.CallbackCall{}, err
	}
	return callbackCall(t, callID), nil
}

func callbackCall(t notify.CallbackTarget, callID string) ivr.CallbackCall {
	return ivr.CallbackCall{CallID: callID, RequestCallID: t.RequestCallID, DID: t.DID, SpecialtyID: t.SpecialtyID,
		GPRPPS: t.GPRPPS, GPFirst: t.GPFirst, GPLast: t.GPLast, GPPhone: t.GPPhone,
		SpecialistRPPS: t.SpecialistRPPS, SpecialistPhone: t.SpecialistPhn}
}

func newCallID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

// canPlaceCalls says whether the line takes new calls: running, linked to
// Asterisk, not draining.
func (s *Service) canPlaceCalls() bool {
	s.callsMu.Lock()
	running := s.placing != nil && s.placing.Err() == nil
	s.callsMu.Unlock()
	return running && s.linked.Load() && s.script != nil && !s.ari.Draining() && s.ari.LinkUp()
}

// placeCallback runs a claimed callback as a call of its own; false when
// the line takes no new calls.
func (s *Service) placeCallback(req ivr.CallbackCall) bool {
	if !s.canPlaceCalls() {
		return false
	}
	s.callsMu.Lock()
	if s.running == 0 {
		s.callsIdle = make(chan struct{})
	}
	s.running++
	s.callsMu.Unlock()
	go s.track(func() { s.script.CallBack(s.hardStop, req) }, true)
	return true
}
