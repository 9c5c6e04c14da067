package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/wiring"
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
			console, err := wiring.StartConsole(c, pool, log, nil, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "console on %s (Ctrl-C to stop)\n", console.URL())
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 5*time.Second)
			defer cancel()
			if err := console.Close(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("console shutdown: %w", err)
			}
			return nil
		},
	}
}
