package bridge

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
)

// Requests that must happen (a hang-up, a bridge destroyed, a playback
// stopped) are retried: an Asterisk answering 503 for a while must not
// leave a GP in silence or a specialist's phone ringing.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 5 * time.Second
	// retryBackground is how long a request still failing when its caller
	// gave up goes on being retried in the background.
	retryBackground = 10 * time.Minute
)

// mustHappen runs req until it succeeds or answers 404 (what it acts on is
// gone: done too), backing off, until ctx ends; then, unless the server
// was abandoned, it goes on in the background for retryBackground and the
// caller gets the last error.
func (s *Server) mustHappen(ctx context.Context, op string, req func() error) error {
	err := s.retry(ctx, req)
	if err == nil || s.abandoned.Load() {
		return err
	}
	s.log.Warn("request still failing: retried in the background", zap.String("op", op), zap.Error(err))
	go func() {
		bg, cancel := context.WithTimeout(s.hardCtxOrBackground(), retryBackground)
		defer cancel()
		if err := s.retry(bg, req); err != nil {
			s.log.Error("request given up", zap.String("op", op), zap.Duration("tried_for", retryBackground), zap.Error(err))
		} else {
			s.log.Info("request done at last", zap.String("op", op))
		}
	}()
	return err
}

func (s *Server) retry(ctx context.Context, req func() error) error {
	wait := retryFirst
	for {
		err := req()
		if err == nil || statusOf(err) == 404 || errors.Is(err, errAbandoned) {
			if errors.Is(err, errAbandoned) {
				return err
			}
			return nil
		}
		if st := statusOf(err); st >= 400 && st < 500 && st != 408 && st != 429 {
			return err // refused for good: retrying changes nothing
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, retryMax)
	}
}

// hardCtxOrBackground is a context that outlives the call but not the
// server's end: background retries stop with Close.
func (s *Server) hardCtxOrBackground() context.Context {
	if s.linkCtx != nil {
		return s.linkCtx
	}
	return context.Background()
}
