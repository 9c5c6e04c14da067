package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// DefaultHoldMedia is what a GP hears while specialists are rung: regul's
// own hold music (`regul prompts build` writes it), then, when Asterisk
// cannot play it (sounds not installed), a soft chime made by Asterisk
// itself from a tone list, which needs no file and no res_musiconhold
// class. The chime never leaves more than 1.5 s of silence.
var DefaultHoldMedia = HoldMedia("regul/attente", "440/300,0/150,554/300,0/150,659/500,0/1500")

// HoldMedia is the media list of a hold sound file (tried first; "" for
// none) and of an Asterisk tone list played when the file cannot be.
func HoldMedia(sound, tone string) []string {
	var out []string
	if sound != "" {
		out = append(out, "sound:"+sound)
	}
	if tone != "" {
		out = append(out, "tone:"+tone)
	}
	return out
}

// holdStopWait bounds the wait for the hold sound to stop before a prompt
// or a bridge: a prompt sent meanwhile queues behind it.
const holdStopWait = time.Second

// errHoldUnavailable says no hold medium could be played.
var errHoldUnavailable = errors.New("no hold sound could be played")

// holdPlayer plays the first hold medium Asterisk confirms, in a loop,
// until stopped. Music on hold (res_musiconhold) is not used: with an
// empty moh folder Asterisk refuses it without an error and the GP hears
// silence, and nothing in ARI tells.
type holdPlayer struct {
	cancel  context.CancelFunc
	done    chan struct{}
	started chan error // the first medium confirmed (nil) or every one failed
}

// StartHold plays the hold sound until StopHold or Play, and returns once
// Asterisk confirmed it started. See ivr.Leg.
func (l *leg) StartHold(ctx context.Context) error {
	if e := l.endedErr(); e != nil {
		return e
	}
	l.mu.Lock()
	if l.hold != nil {
		l.mu.Unlock()
		return nil
	}
	hctx, cancel := context.WithCancel(l.ctx)
	h := &holdPlayer{cancel: cancel, done: make(chan struct{}), started: make(chan error, 1)}
	l.hold = h
	l.mu.Unlock()
	go l.runHold(hctx, h)
	select {
	case err := <-h.started:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// StopHold stops the hold sound and waits (bounded) until it has stopped.
func (l *leg) StopHold(ctx context.Context) error {
	l.mu.Lock()
	h := l.hold
	l.hold = nil
	l.mu.Unlock()
	if h == nil {
		return nil
	}
	h.cancel()
	select {
	case <-h.done:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// stopHoldIfHolding stops the hold sound before a prompt or a bridge.
func (l *leg) stopHoldIfHolding(ctx context.Context) error { return l.StopHold(ctx) }

// runHold loops over the hold media: a medium that plays to its end is
// played again; one that fails (a missing file) or never starts hands over
// to the next, and the server reports the hold sound degraded.
func (l *leg) runHold(ctx context.Context, h *holdPlayer) {
	defer close(h.done)
	confirmed := false
	confirm := func(err error) {
		if !confirmed {
			confirmed = true
			h.started <- err
		}
	}
	media := l.srv.opts.HoldMedia
	for i := 0; ctx.Err() == nil; {
		if i == len(media) {
			l.srv.holdUnavailable(l, media)
			confirm(errHoldUnavailable)
			return
		}
		started, err := l.holdOnce(ctx, media[i], func() { confirm(nil) })
		switch {
		case ctx.Err() != nil || errors.Is(err, ivr.ErrHangup):
			confirm(context.Cause(ctx))
			return
		case err != nil:
			l.srv.holdFailed(l, media[i], i, err)
			i++
		case started:
			l.srv.holdPlayed(l, media[i], i)
		}
	}
	confirm(context.Cause(ctx))
}

// holdOnce plays m once. It calls onStart when Asterisk confirms the
// start, and returns when m ended: nil when it played to its end, an error
// when it failed or never started. When ctx ends (StopHold) it stops m and
// waits, bounded, for Asterisk to say so.
func (l *leg) holdOnce(ctx context.Context, m string, onStart func()) (started bool, err error) {
	id := l.id + "-hold-" + randomHex(6)
	if e := l.endedErr(); e != nil {
		return false, e
	}
	forget, err := l.sendPlay(ctx, id, m)
	defer forget()
	if err != nil {
		return false, err
	}
	state := ""
	limit := time.NewTimer(l.srv.opts.PlaybackStartTimeout)
	defer limit.Stop()
	err = l.await(ctx, limit.C, func() bool { state = l.playbacks[id]; return state != "" || l.ended != nil })
	switch {
	case errors.Is(err, errWaitTimeout):
		l.stopPlayback(id)
		return false, fmt.Errorf("no PlaybackStarted within %v", l.srv.opts.PlaybackStartTimeout)
	case err != nil:
		l.stopHold(id)
		return false, err
	case state == "":
		return false, l.endedErr()
	case state == "failed":
		return true, errors.New("Asterisk could not play it (missing file?)")
	}
	onStart()
	err = l.await(ctx, nil, func() bool { state = l.playbacks[id]; return terminal(state) || l.ended != nil })
	switch {
	case err != nil:
		l.stopHold(id)
		return true, err
	case state == "failed":
		return true, errors.New("Asterisk could not play it (missing file?)")
	case !terminal(state):
		return true, l.endedErr()
	}
	return true, nil
}

// stopHold stops the hold playback id and waits, bounded, for its end, so
// that the prompt that follows is not queued behind it.
func (l *leg) stopHold(id string) {
	l.stopPlayback(id)
	t := time.NewTimer(holdStopWait)
	defer t.Stop()
	_ = l.await(l.ctx, t.C, func() bool { s, ok := l.playbacks[id]; return !ok || terminal(s) || l.ended != nil })
}

func terminal(state string) bool {
	return state == "done" || state == "failed" || state == "stopped" || state == "cancelled"
}

// holdPlayed, holdFailed and holdUnavailable keep the server's view of the
// hold sound for /readyz and the metrics: degraded from the first failure
// of the preferred medium until it plays again.
func (s *Server) holdPlayed(l *leg, m string, index int) {
	if index == 0 && s.holdProblem.Swap(nil) != nil {
		l.log.Info("hold sound plays again", zap.String("media", m))
	}
}

func (s *Server) holdFailed(l *leg, m string, index int, err error) {
	s.holdFailures.Add(1)
	problem := fmt.Sprintf("hold sound %s failed: %v", m, err)
	if next := index + 1; next < len(s.opts.HoldMedia) {
		problem += "; GPs hear " + s.opts.HoldMedia[next] + " instead"
	}
	if old := s.holdProblem.Swap(&problem); old == nil || *old != problem {
		l.log.Error("hold sound unavailable: install regul's sounds (make sounds, see asterisk-config/README.md)",
			zap.String("media", m), zap.Error(err))
	}
}

func (s *Server) holdUnavailable(l *leg, media []string) {
	problem := fmt.Sprintf("no hold sound could be played (tried %v): GPs wait in silence", media)
	s.holdProblem.Store(&problem)
	l.log.Error("no hold sound could be played: the GP waits in silence", zap.Strings("media", media))
}

// HoldProblem says why the hold sound is degraded, "" when it is fine.
func (s *Server) HoldProblem() string {
	if p := s.holdProblem.Load(); p != nil {
		return *p
	}
	return ""
}
