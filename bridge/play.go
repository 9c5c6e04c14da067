package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"
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

func (l *leg) playOne(ctx context.Context, interruptible bool, media string) error {
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
	// Registered before the request: PlaybackFinished can come before
	// the answer to it.
	l.playbacks[id] = ""
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.playbacks, id)
		l.mu.Unlock()
	}()

	h, err := l.srv.ari.Channel().StagePlay(l.key, id, media)
	if err == nil {
		err = h.Exec()
	}
	if err != nil {
		return l.failed(ctx, "play "+media+" on channel", err)
	}

	limit := time.NewTimer(l.srv.opts.MaxMediaDuration)
	defer limit.Stop()
	var state string
	waitErr := l.await(ctx, limit.C, func() bool {
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

// stopPlayback stops a playback we no longer want; one already finished
// (404) is fine.
func (l *leg) stopPlayback(id string) {
	err := l.srv.ari.Playback().Stop(ari.NewKey(ari.PlaybackKey, id))
	if err != nil && statusOf(err) != 404 {
		l.log.Warn("stop playback", zap.String("playback_id", id), zap.Error(err))
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand doc)
	return hex.EncodeToString(b)
}
