package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// errBargeIn ends a prompt sequence when a digit came in.
var errBargeIn = errors.New("digit typed during the prompt")

// Play plays media in order. See ivr.Leg.
func (l *leg) Play(ctx context.Context, interruptible bool, media ...string) error {
	if e := l.endedErr(); e != nil {
		return e
	}
	if err := l.stopHoldIfHolding(ctx); err != nil {
		return err
	}
	for _, m := range media {
		err := l.playOne(ctx, interruptible, m)
		if errors.Is(err, errBargeIn) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// playRetries is how many times a play Asterisk never started is asked
// again before Play gives up with ivr.ErrNotPlayed.
const playRetries = 2

// errNotStarted says Asterisk accepted a play but never started it.
var errNotStarted = errors.New("no PlaybackStarted")

// playOne plays one medium, confirmed: a play that never starts (a real
// Asterisk drops a play queued in a dying bridge) is stopped and asked
// again, so nobody waits on a prompt that will never come.
func (l *leg) playOne(ctx context.Context, interruptible bool, media string) error {
	for try := 0; ; try++ {
		err := l.playAttempt(ctx, interruptible, media)
		if !errors.Is(err, errNotStarted) {
			return err
		}
		if try == playRetries {
			l.srv.playbacksLost.Add(1)
			l.log.Error("playback never started, given up", zap.String("media", media), zap.Int("tries", try+1))
			return fmt.Errorf("play %s on %s: %w", media, l.id, ivr.ErrNotPlayed)
		}
		l.srv.playbacksRetried.Add(1)
		l.log.Warn("playback never started: asked again", zap.String("media", media),
			zap.Duration("waited", l.srv.opts.PlaybackStartTimeout))
	}
}

func (l *leg) playAttempt(ctx context.Context, interruptible bool, media string) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	id := l.id + "-pb-" + randomHex(6)
	l.mu.Lock()
	switch {
	case l.ended != nil:
		l.mu.Unlock()
		return l.ended
	case interruptible && len(l.digits) > 0:
		l.mu.Unlock()
		return errBargeIn
	}
	l.mu.Unlock()
	forget, err := l.sendPlay(ctx, id, media)
	defer forget()
	if err != nil {
		return err
	}

	var state string
	startLimit := time.NewTimer(l.srv.opts.PlaybackStartTimeout)
	waitErr := l.await(ctx, startLimit.C, func() bool {
		state = l.playbacks[id]
		return state != "" || l.ended != nil || (interruptible && len(l.digits) > 0)
	})
	startLimit.Stop()
	if errors.Is(waitErr, errWaitTimeout) {
		l.stopPlayback(id) // should it start late, it must not play twice
		return errNotStarted
	}
	limit := time.NewTimer(l.srv.opts.MaxMediaDuration)
	defer limit.Stop()
	waitErr = l.await(ctx, limit.C, func() bool {
		state = l.playbacks[id]
		return state == "done" || state == "failed" || state == "stopped" || state == "cancelled" ||
			l.ended != nil || (interruptible && len(l.digits) > 0)
	})
	l.mu.Lock()
	ended, digit := l.ended, len(l.digits) > 0
	l.mu.Unlock()
	// A medium that finished counts as played even when the leg hung up
	// right after it: the next request reports the hangup.
	switch {
	case state == "failed":
		l.log.Warn("playback failed (missing sound?)", zap.String("media", media))
		return nil
	case state == "done" || state == "stopped" || state == "cancelled":
		return nil
	case ended != nil:
		return ended
	case errors.Is(waitErr, errWaitTimeout):
		// Asterisk never finishes some media (an unknown scheme): do not
		// hold the call for it.
		l.log.Warn("playback did not finish in time, stopped", zap.String("media", media), zap.Duration("limit", l.srv.opts.MaxMediaDuration))
		l.stopPlayback(id)
		return nil
	case waitErr != nil:
		l.stopPlayback(id)
		return waitErr
	case interruptible && digit:
		// The caller has answered: act on the digit now. The stop need not
		// be waited for (a later prompt queues behind the playback until the
		// stop lands), and waiting would put a REST round trip between a
		// GP's last key and the specialist's phone ringing.
		go l.stopPlayback(id)
		return errBargeIn
	}
	return nil
}

// sendPlay asks Asterisk to play media as playback id, registered on the
// leg first (PlaybackStarted and PlaybackFinished can come before the
// answer to the request); forget unregisters it once the caller is done.
func (l *leg) sendPlay(ctx context.Context, id, media string) (forget func(), err error) {
	l.mu.Lock()
	l.playbacks[id] = ""
	l.mu.Unlock()
	forget = func() {
		l.mu.Lock()
		delete(l.playbacks, id)
		l.mu.Unlock()
	}
	h, err := l.srv.ari.Channel().StagePlay(l.key, id, media)
	if err == nil {
		err = h.Exec()
	}
	if err != nil {
		return forget, l.failed(ctx, "play "+media+" on channel", err)
	}
	return forget, nil
}

// stopPlayback stops a playback we no longer want; one already finished
// (404) is fine.
func (l *leg) stopPlayback(id string) {
	ctx, cancel := context.WithTimeout(l.ctx, l.srv.opts.CleanupTimeout)
	defer cancel()
	err := l.srv.mustHappen(ctx, "stop playback "+id, func() error { return l.srv.ari.Playback().Stop(ari.NewKey(ari.PlaybackKey, id)) })
	if err != nil && ctx.Err() == nil {
		l.log.Warn("stop playback", zap.String("playback_id", id), zap.Error(err))
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand doc)
	return hex.EncodeToString(b)
}
