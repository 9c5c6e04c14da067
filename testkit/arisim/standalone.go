package arisim

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// RunStandalone serves an emulator on addr (real time) until ctx ends, with
// the phones of scenarioPath if not empty. It backs `regul sim`.
//
// The scenario starts when its app first connects: inbound calls are placed
// at their `at:` times counted from that moment, so a controller started
// after the emulator does not miss the first calls (Stasis() fails at once
// while no application is connected). The end of ctx is the normal way to
// stop: it returns nil once the listener and every WebSocket are closed.
func RunStandalone(ctx context.Context, addr, scenarioPath string, log *zap.Logger) error {
	var sc *Scenario
	if scenarioPath != "" {
		var err error
		if sc, err = LoadScenario(scenarioPath); err != nil {
			return err
		}
	}
	clk := NewScaledClock(1)
	defer clk.Close()
	s := New(Options{Clock: clk, Logger: log})
	if err := s.Start(addr); err != nil {
		return err
	}
	log.Info("ARI emulator listening", zap.String("url", s.URL()), zap.String("events", s.WebsocketURL()), zap.String("user", s.opts.Username))
	if sc != nil {
		app := sc.appName()
		log.Info("scenario waits for its application to connect", zap.String("scenario", scenarioPath), zap.String("app", app))
		if err := s.WaitConnected(ctx, app); err == nil {
			log.Info("application connected: scenario starts", zap.String("app", app))
			s.Play(sc)
		}
	}
	<-ctx.Done()
	if err := s.Close(); err != nil {
		return fmt.Errorf("stop ARI emulator on %s: %w", s.Addr(), err)
	}
	return nil
}
