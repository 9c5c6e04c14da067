package arisim

import (
	"context"

	"go.uber.org/zap"
)

// RunStandalone serves an emulator on addr (real time) until ctx ends, with
// the phones of scenarioPath if not empty. It backs `regul sim`.
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
		s.Play(sc)
	}
	<-ctx.Done()
	return s.Close()
}
