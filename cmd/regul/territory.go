package main

import (
	"context"
	"fmt"
	"io"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// store opens the roster store, with the identification limits from the
// configuration.
func (a *app) store(ctx context.Context) (*roster.Store, error) {
	c, err := a.config()
	if err != nil {
		return nil, err
	}
	pool, err := a.db(ctx)
	if err != nil {
		return nil, err
	}
	s := roster.NewStore(pool)
	s.SetLockoutPolicy(roster.LockoutPolicy{MaxAttempts: c.Ident.MaxAttempts, CallerAttempts: c.Ident.CallerAttempts,
		WithheldAttempts: c.Ident.WithheldAttempts, RPPSAttempts: c.Ident.RPPSLockAttempts,
		Duration: c.Ident.Lockout, MaxDuration: c.Ident.MaxLockout})
	return s, nil
}

// cliContext tags the command's changes in the audit log as "cli:<os user>".
func cliContext(cmd *cobra.Command) context.Context {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return roster.WithActor(cmd.Context(), "cli:"+name)
}

func newTerritoryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "territory",
		Short: "Set up territories (CPTS/ESS) from version-controlled files",
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "apply FILE.yaml",
			Short: "Create or update a territory, its numbers and specialties from a file (re-applying changes nothing)",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				spec, err := roster.LoadTerritorySpec(args[0])
				if err != nil {
					return err
				}
				s, err := a.store(cmd.Context())
				if err != nil {
					return err
				}
				res, err := s.ApplyTerritory(cliContext(cmd), spec)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "territory %s: %s\n", res.Slug, res.Territory)
				for _, c := range res.Changes {
					fmt.Fprintf(out, "  %s\n", c)
				}
				return nil
			},
		},
		&cobra.Command{
			Use:   "show SLUG",
			Short: "Show a territory's set-up and enrolment counts",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				s, err := a.store(cmd.Context())
				if err != nil {
					return err
				}
				t, err := s.TerritoryBySlug(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				enrolments, err := s.Enrolments(cmd.Context(), t.ID)
				if err != nil {
					return err
				}
				printTerritory(cmd.OutOrStdout(), t, enrolments, time.Now())
				return nil
			},
		},
		&cobra.Command{
			Use:   "list",
			Short: "List the territories",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				s, err := a.store(cmd.Context())
				if err != nil {
					return err
				}
				ts, err := s.Territories(cmd.Context())
				if err != nil {
					return err
				}
				for _, t := range ts {
					fmt.Fprintf(cmd.OutOrStdout(), "%-24s %-32s %s\n", t.Slug, t.Name, strings.Join(t.Numbers, ", "))
				}
				return nil
			},
		},
	)
	return cmd
}

func printTerritory(w io.Writer, t oncall.Territory, enrolments []oncall.Enrolment, now time.Time) {
	fmt.Fprintf(w, "%s (%s)\n", t.Name, t.Slug)
	row := func(label, value string) { fmt.Fprintf(w, "  %-16s %s\n", label, value) }
	row("time zone", t.Location.String())
	row("numbers", strings.Join(t.Numbers, ", "))
	var days []string
	for i := 1; i <= 7; i++ {
		wd := time.Weekday(i % 7)
		if spans := t.Hours.Weekly[wd]; len(spans) > 0 {
			days = append(days, wd.String()[:3]+" "+joinSpans(spans))
		}
	}
	row("opening hours", strings.Join(days, "; "))
	if t.Hours.HolidaysOpen {
		row("public holidays", "open "+joinSpans(t.Hours.HolidayHours))
	} else {
		row("public holidays", "closed")
	}
	row("identification", string(t.Policy))
	row("timeouts", fmt.Sprintf("ring %s, hunt %s", t.RingTimeout, t.HuntTimeout))
	row("coordinator", strings.Trim(t.CoordinatorPhone+", "+t.CoordinatorEmail, ", "))
	row("coverage", fmt.Sprintf("départements %s; communes %s", orDash(strings.Join(t.Departements, ", ")), orDash(strings.Join(t.Communes, ", "))))
	fmt.Fprintln(w, "  specialties")
	requis := map[int64]int{}
	requerants, locked := 0, 0
	for _, e := range enrolments {
		if e.Role == oncall.Requis {
			requis[e.SpecialtyID]++
		} else {
			requerants++
		}
		if e.LockedUntil.After(now) {
			locked++
		}
	}
	for _, sp := range t.Specialties {
		line := fmt.Sprintf("    %d  %-14s %q  %s  %d requis", sp.Digit, sp.Slug, sp.Label, strings.Join(sp.SavoirFaire, ","), requis[sp.ID])
		if sp.FallbackPhone != "" {
			line += fmt.Sprintf("; then %s %s", sp.FallbackLabel, sp.FallbackPhone)
		}
		fmt.Fprintln(w, line)
	}
	row("requérants", fmt.Sprintf("%d enrolled, %d locked", requerants, locked))
}

func joinSpans(spans []oncall.Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
