package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/wiring"
)

func newServeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Answer the regulation line: connect to Asterisk's ARI and run every call",
		Long: `Connects to Asterisk per ari.* (bounded by ari.connect_timeout), loads the
roster, and runs the call script for every call entering Stasis(regul,inbound,<DID>).
/healthz, /readyz and /metrics are served on http.listen.

The first SIGTERM (or Ctrl-C) stops taking new calls (they go back to the
dialplan's fallback message) and lets the calls in progress end; a second one
hangs them up at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			log, err := a.logger()
			if err != nil {
				return err
			}
			// Our own signal handling: the root context would end at the
			// first signal, but draining needs to see the second one too.
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			signals := make(chan os.Signal, 2)
			signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(signals)

			startCtx, cancelStart := context.WithCancel(context.Background())
			go func() {
				select {
				case <-signals:
					cancelStart()
				case <-startCtx.Done():
				}
			}()
			pool, err := a.dbMaybeDown(startCtx)
			if err != nil {
				cancelStart()
				return err
			}
			svc, err := wiring.Start(startCtx, wiring.Options{Config: cfg, Pool: pool, Logger: log})
			cancelStart()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "regul: taking calls; /healthz, /readyz, /metrics on http://%s; console on %s\n", svc.HTTPAddr(), svc.ConsoleURL())

			runCtx, stopTaking := context.WithCancel(context.Background())
			go func() {
				<-signals
				log.Info("signal: no new calls, letting the calls in progress end (signal again to hang them up)")
				stopTaking()
				<-signals
				log.Warn("second signal: hanging up every call")
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				if err := svc.Shutdown(ctx); err != nil {
					log.Error("shutdown", zap.Error(err))
				}
			}()
			runErr := svc.Run(runCtx)
			closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := svc.Close(closeCtx); err != nil {
				log.Warn("call records left in the spool for the next start", zap.Error(err))
			}
			return runErr
		},
	}
}
