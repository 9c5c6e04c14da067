package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/roster"
)

func (r *rosterCLI) overrideCmd() *cobra.Command {
	var specialty, rpps, from, to, reason string
	var rank int
	cmd := &cobra.Command{
		Use:   "override",
		Short: "Put a specialist in a rank for a span (swap, sick leave) without editing the shifts",
		Long: `Put a specialist in a rank for a span, in place of whoever the shifts say
holds it (a swap, a sick leave); the shifts stay as they are. "override list"
shows the overrides, "override delete ID" removes one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, terr, err := r.open(cmd.Context())
			if err != nil {
				return err
			}
			sp, err := terr.SpecialtyBySlug(specialty)
			if err != nil {
				return fmt.Errorf("--specialty: %w", err)
			}
			start, err := roster.ParseLocal(from, terr.Location)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			end, err := roster.ParseLocal(to, terr.Location)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			if !end.After(start) {
				return fmt.Errorf("--to %s is not after --from %s", to, from)
			}
			o, err := store.AddOverride(cmd.Context(), terr.ID, roster.NewOverride{
				SpecialtyID: sp.ID, RPPS: rpps, Start: start, End: end, Rank: rank, Reason: reason})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "override %d: %s\n", o.ID, describeOverride(o, terr.Location))
			return nil
		},
	}
	cmd.Flags().StringVar(&specialty, "specialty", "", "specialty slug (required)")
	cmd.Flags().StringVar(&rpps, "rpps", "", "RPPS of the specialist who takes the rank (required)")
	cmd.Flags().StringVar(&from, "from", "", `start "YYYY-MM-DD HH:MM", territory time (required)`)
	cmd.Flags().StringVar(&to, "to", "", `end "YYYY-MM-DD HH:MM", territory time, excluded (required)`)
	cmd.Flags().IntVar(&rank, "rank", 1, "rank replaced (1 is called first)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the coordinators (e.g. arrêt maladie)")
	for _, f := range []string{"specialty", "rpps", "from", "to"} {
		_ = cmd.MarkFlagRequired(f)
	}
	cmd.AddCommand(r.overrideListCmd(), r.overrideDeleteCmd())
	return cmd
}

func (r *rosterCLI) overrideListCmd() *cobra.Command {
	var from string
	var days int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the overrides from a day (default: today) on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, terr, err := r.open(cmd.Context())
			if err != nil {
				return err
			}
			y, m, d := r.clock.Now().In(terr.Location).Date()
			start := roster.LocalDate(y, m, d, terr.Location)
			if from != "" {
				if start, err = parseDateOrTime(from, terr.Location); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			var end time.Time
			if days > 0 {
				end = start.AddDate(0, 0, days)
			}
			list, err := store.Overrides(cmd.Context(), terr.ID, start, end)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no override from %s\n", roster.FormatLocal(start, terr.Location))
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, o := range list {
				fmt.Fprintf(tw, "%d\t%s\n", o.ID, describeOverride(o, terr.Location))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&from, "from", "", `first day "YYYY-MM-DD", territory time (default today)`)
	cmd.Flags().IntVar(&days, "days", 0, "number of days to list (default: no end)")
	return cmd
}

func (r *rosterCLI) overrideDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Remove an override (its id is shown by override list)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("override id", args[0])
			if err != nil {
				return err
			}
			store, terr, err := r.open(cmd.Context())
			if err != nil {
				return err
			}
			if err := store.DeleteOverride(cmd.Context(), terr.ID, id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "override %d deleted\n", id)
			return nil
		},
	}
}

func describeOverride(o roster.Override, loc *time.Location) string {
	s := fmt.Sprintf("%s rank %d, %s: %s %s %s", o.Specialty, o.Rank,
		roster.FormatSpan(o.Start, o.End, loc), o.RPPS, o.FirstName, o.LastName)
	if o.Reason != "" {
		s += " (" + o.Reason + ")"
	}
	return s
}
