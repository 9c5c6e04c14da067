package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// exitNobodyOnDuty is the exit code of `roster show` when no specialist
// holds a rank at the instant (scripts and monitoring test it).
const exitNobodyOnDuty = 3

// rosterCLI holds what the roster commands share; clock is the clock for
// the defaults of --at and --from and for calendar stamps.
type rosterCLI struct {
	a         *app
	clock     clock.Clock
	territory string
}

func newRosterCmd(a *app) *cobra.Command {
	return rosterCommands(a, clock.System())
}

func rosterCommands(a *app, clk clock.Clock) *cobra.Command {
	r := &rosterCLI{a: a, clock: clk}
	cmd := &cobra.Command{
		Use:   "roster",
		Short: "Planning de garde: import shifts, overrides, who is on duty, gaps, calendars",
		Long: `Planning de garde of a territory. Times are written "YYYY-MM-DD HH:MM" in the
territory's own time zone. On the night clocks go back, a time of the repeated
hour (02:00-02:59) means its first occurrence (summer time); a time of the hour
skipped when clocks go forward does not exist and is refused.`,
	}
	cmd.PersistentFlags().StringVar(&r.territory, "territory", "", "territory slug (required)")
	cmd.AddCommand(r.importCmd(), r.overrideCmd(), r.showCmd(), r.gapsCmd(), r.icsCmd())
	return cmd
}

// open returns the store and the territory named by --territory.
func (r *rosterCLI) open(ctx context.Context) (*roster.Store, oncall.Territory, error) {
	if r.territory == "" {
		return nil, oncall.Territory{}, errors.New("--territory is required (the territory's slug, e.g. cpts-coteaux)")
	}
	pool, err := r.a.db(ctx)
	if err != nil {
		return nil, oncall.Territory{}, err
	}
	store := roster.NewStore(pool)
	terr, err := store.TerritoryBySlug(ctx, r.territory)
	if errors.Is(err, oncall.ErrNotFound) {
		return nil, oncall.Territory{}, fmt.Errorf("--territory %s: no such territory (apply its YAML first)", r.territory)
	}
	if err != nil {
		return nil, oncall.Territory{}, err
	}
	return store, terr, nil
}

func (r *rosterCLI) importCmd() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Add shifts from a CSV file (rpps,specialty,start,end,rank); all or nothing",
		Long: `Add shifts from a CSV file with the header rpps,specialty,start,end,rank
(rank 1 is called first). Every problem is reported with its line and nothing is
written unless the whole file is right. A line identical to a shift already in
the planning is skipped, so importing a file again changes nothing; a line that
overlaps a different shift of the same specialty and rank is an error (use an
override for a swap).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, terr, err := r.open(cmd.Context())
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("roster import: %w", err)
			}
			defer f.Close()
			rep, err := store.ImportShifts(cmd.Context(), terr.ID, args[0], f, dryRun)
			var ie *roster.ImportError
			if errors.As(err, &ie) {
				for _, line := range ie.Lines() {
					fmt.Fprintln(cmd.ErrOrStderr(), line)
				}
				return &exitCodeError{code: 1, msg: fmt.Sprintf("%s: %d problem(s), nothing written", args[0], len(ie.Problems))}
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if dryRun {
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, sh := range rep.Added {
					fmt.Fprintf(tw, "+ %s\trank %d\t%s\t%s %s %s\n", sh.Specialty, sh.Rank,
						roster.FormatSpan(sh.Start, sh.End, terr.Location), sh.RPPS, sh.FirstName, sh.LastName)
				}
				tw.Flush()
				fmt.Fprintf(out, "dry run: %d shift(s) would be added, %d unchanged; nothing written\n", len(rep.Added), len(rep.Unchanged))
				return nil
			}
			fmt.Fprintf(out, "%s: %d shift(s) added, %d unchanged\n", args[0], len(rep.Added), len(rep.Unchanged))
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and print what would be added, without writing")
	return cmd
}

func (r *rosterCLI) showCmd() *cobra.Command {
	var specialty, at string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the escalation chain of a specialty at an instant (exit code 3: nobody on duty)",
		Long: `Print who would be rung, in calling order, one a line: rank, RPPS, name,
phones; the specialty's fallback line last. Exit code 3 when no specialist is on
duty (the fallback line, if any, is still printed).`,
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
			instant := r.clock.Now()
			if at != "" {
				if instant, err = roster.ParseLocal(at, terr.Location); err != nil {
					return fmt.Errorf("--at: %w", err)
				}
			}
			chain, err := store.OnDuty(cmd.Context(), terr.ID, sp.ID, instant)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			specialists := 0
			for _, c := range chain {
				if c.Fallback {
					fmt.Fprintf(tw, "fallback\t\t%s\t%s\n", c.Label, strings.Join(c.Phones, " "))
					continue
				}
				specialists++
				fmt.Fprintf(tw, "%d\t%s\t%s %s\t%s\n", c.Rank, c.RPPS, c.FirstName, c.LastName, strings.Join(c.Phones, " "))
			}
			tw.Flush()
			if specialists == 0 {
				// After a fallback line printed above, "nobody" would read
				// as a contradiction: say that only the fallback answers.
				msg := fmt.Sprintf("no specialist on duty for %s in %s at %s (%s)",
					sp.Slug, terr.Slug, roster.FormatLocal(instant, terr.Location), terr.Location)
				if len(chain) > 0 {
					msg += ": only the fallback line above answers"
				} else {
					msg += ", and no fallback line: nobody answers"
				}
				return &exitCodeError{code: exitNobodyOnDuty, msg: msg}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&specialty, "specialty", "", "specialty slug, e.g. cardiologie (required)")
	cmd.Flags().StringVar(&at, "at", "", `instant "YYYY-MM-DD HH:MM" in the territory's time (default now)`)
	_ = cmd.MarkFlagRequired("specialty")
	return cmd
}

func (r *rosterCLI) gapsCmd() *cobra.Command {
	var from string
	var days int
	cmd := &cobra.Command{
		Use:   "gaps",
		Short: "List the spans within opening hours when a specialty has no rank-1 cover",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, terr, err := r.open(cmd.Context())
			if err != nil {
				return err
			}
			if days < 1 || days > 366 {
				return fmt.Errorf("--days %d: want 1 to 366", days)
			}
			start := r.clock.Now()
			if from != "" {
				if start, err = parseDateOrTime(from, terr.Location); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			gaps, err := store.Gaps(cmd.Context(), terr.ID, start, days)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(gaps) == 0 {
				fmt.Fprintf(out, "no gap: every specialty has rank-1 cover within opening hours from %s for %d day(s)\n",
					roster.FormatLocal(start, terr.Location), days)
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			for _, g := range gaps {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Specialty, roster.FormatSpan(g.Start, g.End, terr.Location), formatDuration(g.End.Sub(g.Start)))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&from, "from", "", `first day "YYYY-MM-DD" (or instant "YYYY-MM-DD HH:MM"), territory time (default now)`)
	cmd.Flags().IntVar(&days, "days", 7, "number of calendar days to look at")
	return cmd
}

func (r *rosterCLI) icsCmd() *cobra.Command {
	var rpps, out string
	cmd := &cobra.Command{
		Use:   "ics",
		Short: "Write a specialist's gardes as an iCalendar file (stable UIDs: re-exports update)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, terr, err := r.open(cmd.Context())
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := store.ExportCalendar(cmd.Context(), cmd.OutOrStdout(), terr.ID, rpps, r.clock.Now())
				return err
			}
			n, err := writeFileAtomically(out, func(w io.Writer) (int, error) {
				return store.ExportCalendar(cmd.Context(), w, terr.ID, rpps, r.clock.Now())
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d event(s) to %s\n", n, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&rpps, "rpps", "", "the specialist's RPPS (required)")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default standard output)")
	_ = cmd.MarkFlagRequired("rpps")
	return cmd
}

// writeFileAtomically writes through a temporary file renamed into place,
// so a failed export never leaves a half-written calendar behind.
func writeFileAtomically(path string, write func(io.Writer) (int, error)) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, fmt.Errorf("--out %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	n, err := write(tmp)
	if err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("--out %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("--out %s: %w", path, err)
	}
	return n, nil
}

// parseDateOrTime reads "YYYY-MM-DD" (local midnight) or "YYYY-MM-DD HH:MM".
func parseDateOrTime(s string, loc *time.Location) (time.Time, error) {
	if d, err := time.Parse("2006-01-02", s); err == nil {
		return roster.LocalDate(d.Year(), d.Month(), d.Day(), loc), nil
	}
	return roster.ParseLocal(s, loc)
}

func formatDuration(d time.Duration) string {
	return fmt.Sprintf("%dh%02d", int(d.Hours()), int(d.Minutes())%60)
}

// parseID reads a positive integer argument.
func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%s %q: want a positive whole number", what, s)
	}
	return id, nil
}
