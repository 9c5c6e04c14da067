package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/migrations"
)

func newMigrateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded SQL migrations (re-running is a no-op)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			conn, err := pool.Acquire(cmd.Context())
			if err != nil {
				return fmt.Errorf("connect to database: %w", err)
			}
			defer conn.Release()
			applied, err := migrations.Apply(cmd.Context(), conn.Conn())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "database is up to date")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "applied %d migration(s): %s\n", len(applied), strings.Join(applied, ", "))
			return nil
		},
	}
}
