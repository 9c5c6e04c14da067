package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/wiring"
)

func newExportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export statements for the practices' billing software",
	}
	var territory, month, out string
	billingCmd := &cobra.Command{
		Use:   "billing --territory SLUG --month YYYY-MM [--out FILE]",
		Short: "A month's candidate billing acts per practitioner, as CSV (UTF-8 with BOM, ';' separated); journaled",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if territory == "" {
				return fmt.Errorf("--territory is required (a territory slug, e.g. cpts-coteaux)")
			}
			m, err := billing.ParseMonth(month)
			if err != nil {
				return fmt.Errorf("--month: %w", err)
			}
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			store := wiring.BillingStore(pool)
			id, err := store.TerritoryBySlug(cmd.Context(), territory)
			if err != nil {
				return err
			}
			st, err := store.Statement(cmd.Context(), id, m)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := st.WriteCSV(&buf); err != nil {
				return err
			}
			ctx := cliContext(cmd)
			if err := store.JournalExport(ctx, time.Now(), roster.ActorFrom(ctx), id, journal.ActionExportBilling,
				map[string]any{"mois": m.String(), "actes": len(st.Lines), "fichier": out}); err != nil {
				return err
			}
			if out == "" || out == "-" {
				data := buf.Bytes()
				if isTerminal(cmd.OutOrStdout()) {
					// The BOM is for spreadsheets; a terminal would show it
					// as a stray character.
					data = bytes.TrimPrefix(data, []byte("\ufeff"))
				}
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			// Written whole or not at all: a temporary file renamed into place.
			tmp := out + ".tmp"
			if err := os.WriteFile(tmp, buf.Bytes(), 0o640); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			if err := os.Rename(tmp, out); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d candidate acts, %s € (%s, %s)\n", out, len(st.Lines),
				billing.Euros(st.TotalCents()), territory, m)
			return nil
		},
	}
	billingCmd.Flags().StringVar(&territory, "territory", "", "territory slug")
	billingCmd.Flags().StringVar(&month, "month", "", "month, YYYY-MM (territory time)")
	billingCmd.Flags().StringVar(&out, "out", "", "output file (default: standard output)")
	cmd.AddCommand(billingCmd)
	return cmd
}

// isTerminal says whether w is a character device (a terminal), not a file
// or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
