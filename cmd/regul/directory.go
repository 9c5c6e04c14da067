package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/roster"
)

func newDirectoryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "directory",
		Short: "Import practitioners from the Annuaire Santé open data",
	}
	var territory string
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import médecins from a PS_LibreAcces_Personne_activite extract and enrol the territory's GPs (re-import changes nothing)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := a.logger()
			if err != nil {
				return err
			}
			s, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			t, err := s.TerritoryBySlug(cmd.Context(), territory)
			if err != nil {
				return fmt.Errorf("--territory: %w", err)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("open directory extract: %w", err)
			}
			defer f.Close()
			// Skipped lines are said plainly, the first ones with their line
			// number, then only counted (a national file may have thousands).
			out := cmd.OutOrStdout()
			shown := 0
			onSkip := func(line int, reason roster.SkipReason) {
				if shown++; shown <= maxSkippedShown {
					fmt.Fprintf(out, "%s:%d: skipped: %s\n", args[0], line, reason)
				}
			}
			res, err := s.ImportDirectory(cliContext(cmd), f, roster.DirectoryImportOptions{Name: args[0], TerritoryID: t.ID, Log: log, OnSkip: onSkip})
			if err != nil {
				return err
			}
			if shown > maxSkippedShown {
				fmt.Fprintf(out, "… and %d more skipped line(s), counted below\n", shown-maxSkippedShown)
			}
			fmt.Fprintf(out, "%s (%s) imported in %s\n", args[0], res.Encoding, res.Duration.Round(time.Millisecond))
			fmt.Fprintf(out, "  lines read        %d\n", res.Lines)
			if res.Latin1Lines > 0 {
				fmt.Fprintf(out, "  read as Latin-1   %d (not valid UTF-8)\n", res.Latin1Lines)
			}
			fmt.Fprintf(out, "  médecins          %d (%d created, %d updated, %d unchanged)\n", res.Medecins, res.Created, res.Updated, res.Unchanged)
			fmt.Fprintf(out, "  GPs in %s  %d (%d newly enrolled as requérant)\n", t.Slug, res.GPsInArea, res.GPsEnrolled)
			for _, r := range slices.Sorted(maps.Keys(res.Skipped)) {
				fmt.Fprintf(out, "  skipped           %d: %s\n", res.Skipped[r], r)
			}
			return nil
		},
	}
	imp.Flags().StringVar(&territory, "territory", "", "territory slug whose GPs are enrolled (required)")
	_ = imp.MarkFlagRequired("territory")
	cmd.AddCommand(imp)
	return cmd
}

// maxSkippedShown bounds the skipped lines `directory import` names one by one.
const maxSkippedShown = 20
