package ivr

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// holdLoop keeps the GP on hold music during the hunt, with a short
// "merci de patienter" every Options.HoldMessageEvery.
type holdLoop struct {
	s      *Script
	gp     InboundCall
	log    *zap.Logger
	call   context.Context // the call's context
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // held while a message plays, so stop waits for it
	stopped bool
	timer   clock.Timer
}

// startHold starts the loop with the "nous recherchons" message, at once
// and in the loop's own goroutine, so that the hunt goes on meanwhile.
func (s *Script) startHold(c *call) *holdLoop {
	h := &holdLoop{s: s, gp: c.gp, log: c.log, call: c.ctx}
	h.ctx, h.cancel = context.WithCancel(c.ctx)
	h.mu.Lock()
	h.timer = s.clock.AfterFunc(0, func() { h.play(pSearching) })
	h.mu.Unlock()
	return h
}

// tick is the periodic "merci de patienter".
func (h *holdLoop) tick() { h.play(pPleaseHold) }

// play plays a message (which stops the music), then the music again.
func (h *holdLoop) play(prompt string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	err := h.gp.Play(h.ctx, false, h.s.prompts.media(prompt))
	if err == nil {
		err = h.gp.StartHold(h.ctx)
	}
	if h.ctx.Err() != nil {
		return // the call is over, even if stop was never reached (a panic)
	}
	if err != nil {
		h.log.Warn("hold message", zap.Error(err))
	}
	h.timer = h.s.clock.AfterFunc(h.s.opt.HoldMessageEvery, h.tick)
}

// stop ends the loop, waiting for a message being played, and stops the
// music when the GP is still there.
func (h *holdLoop) stop() {
	h.cancel()
	h.mu.Lock()
	h.stopped = true
	h.timer.Stop()
	h.mu.Unlock()
	if h.call.Err() != nil {
		return // the GP is gone or the call stops
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.s.opt.CleanupTimeout)
	defer cancel()
	if err := h.gp.StopHold(ctx); err != nil {
		h.log.Warn("stop hold music", zap.Error(err))
	}
}
