package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/web"
)

// newConsoleCmd serves the coordinators' console alone (without the ARI
// controller), e.g. on a machine that only hosts the web side.
func newConsoleCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "console",
		Short: "Serve the coordinators' web console on console.listen (until Ctrl-C)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.config()
			if err != nil {
				return err
			}
			log, err := a.logger()
			if err != nil {
				return err
			}
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			key, err := c.Console.TOTPKeyBytes()
			if err != nil {
				return fmt.Errorf("console.totp_key: %w", err)
			}
			if key == nil {
				log.Warn("console.totp_key is not set: TOTP secrets are stored unsealed")
			}
			h, err := web.NewConsole(web.ConsoleOptions{
				Pool: pool, Logger: log, SecureCookies: c.Console.SecureCookies,
				SessionIdle: c.Console.SessionIdle, SessionMax: c.Console.SessionMax, TOTPKey: key,
				Links: notify.NewLinks(pool),
			})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", c.Console.Listen)
			if err != nil {
				return fmt.Errorf("console.listen %s: %w", c.Console.Listen, err)
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: zap.NewStdLog(log)}
			fmt.Fprintf(cmd.OutOrStdout(), "console on http://%s/ (Ctrl-C to stop)\n", ln.Addr())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return fmt.Errorf("console: %w", err)
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("console shutdown: %w", err)
			}
			return nil
		},
	}
}
