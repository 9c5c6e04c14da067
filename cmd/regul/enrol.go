package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

func newEnrolCmd(a *app) *cobra.Command {
	var (
		territory string
		spec      roster.EnrolSpec
		role      string
	)
	cmd := &cobra.Command{
		Use:   "enrol --territory SLUG --rpps N --role requerant|requis [--specialty S] [--phone P]...",
		Short: "Add or update an enrolment: a GP who may call (requérant) or a specialist who answers (requis)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, t, err := a.territoryStore(cmd, territory)
			if err != nil {
				return err
			}
			spec.TerritoryID = t.ID
			spec.Role = oncall.Role(role)
			change, err := s.Enrol(cliContext(cmd), spec)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "enrolment of %s as %s in %s: %s\n", spec.RPPS, role, t.Slug, change)
			return nil
		},
	}
	cmd.Flags().StringVar(&territory, "territory", "", "territory slug (required)")
	cmd.Flags().StringVar(&spec.RPPS, "rpps", "", "RPPS number, 11 digits (required)")
	cmd.Flags().StringVar(&role, "role", "", "requerant (the GP who calls) or requis (the specialist who answers)")
	cmd.Flags().StringVar(&spec.Specialty, "specialty", "", "specialty slug (requis only)")
	cmd.Flags().StringArrayVar(&spec.Phones, "phone", nil, "phone number to ring or recognise, repeatable, in order (06… accepted); replaces the enrolment's phones")
	cmd.Flags().StringVar(&spec.LastName, "last-name", "", "last name, to add a practitioner missing from the directory")
	cmd.Flags().StringVar(&spec.FirstName, "first-name", "", "first name, with --last-name")
	for _, f := range []string{"territory", "rpps", "role"} {
		_ = cmd.MarkFlagRequired(f)
	}
	cmd.AddCommand(newEnrolListCmd(a), newEnrolPINCmd(a), newEnrolUnlockCmd(a), newEnrolImportCmd(a))
	return cmd
}

// territoryStore opens the store and resolves --territory.
func (a *app) territoryStore(cmd *cobra.Command, slug string) (*roster.Store, oncall.Territory, error) {
	s, err := a.store(cmd.Context())
	if err != nil {
		return nil, oncall.Territory{}, err
	}
	t, err := s.TerritoryBySlug(cmd.Context(), slug)
	if err != nil {
		return nil, oncall.Territory{}, fmt.Errorf("--territory: %w", err)
	}
	return s, t, nil
}

func newEnrolListCmd(a *app) *cobra.Command {
	var territory string
	cmd := &cobra.Command{
		Use:   "list --territory SLUG",
		Short: "Show who is enrolled, with role, specialty, phones, PIN and lock state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, t, err := a.territoryStore(cmd, territory)
			if err != nil {
				return err
			}
			list, err := s.Enrolments(cmd.Context(), t.ID)
			if err != nil {
				return err
			}
			specialties := map[int64]string{}
			for _, sp := range t.Specialties {
				specialties[sp.ID] = sp.Slug
			}
			now := time.Now()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "RPPS\tNAME\tROLE\tSPECIALTY\tPHONES\tPIN\tLOCK")
			for _, e := range list {
				pin, lock := "-", "-" // a requis keys no PIN
				if e.Role == oncall.Requerant {
					pin = map[bool]string{true: "yes", false: "no"}[e.HasPIN]
				}
				if e.LockedUntil.After(now) {
					lock = "locked until " + e.LockedUntil.In(t.Location).Format("2006-01-02 15:04")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.RPPS, strings.TrimSpace(e.FirstName+" "+e.LastName), e.Role,
					orDash(specialties[e.SpecialtyID]), orDash(strings.Join(e.Phones, " ")), pin, lock)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&territory, "territory", "", "territory slug (required)")
	_ = cmd.MarkFlagRequired("territory")
	return cmd
}

func newEnrolPINCmd(a *app) *cobra.Command {
	var territory, rpps string
	cmd := &cobra.Command{
		Use:   "pin --territory SLUG --rpps N",
		Short: "Draw a new PIN for a GP, print it once and store only its hash (lifts any lockout)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, t, err := a.territoryStore(cmd, territory)
			if err != nil {
				return err
			}
			pin, err := s.SetNewPIN(cliContext(cmd), t.ID, rpps)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new PIN for %s in %s: %s\n(give it to the GP now: only its hash is kept, it cannot be shown again)\n", rpps, t.Slug, pin)
			return nil
		},
	}
	cmd.Flags().StringVar(&territory, "territory", "", "territory slug (required)")
	cmd.Flags().StringVar(&rpps, "rpps", "", "the GP's RPPS number (required)")
	_ = cmd.MarkFlagRequired("territory")
	_ = cmd.MarkFlagRequired("rpps")
	return cmd
}

func newEnrolUnlockCmd(a *app) *cobra.Command {
	var territory, rpps string
	cmd := &cobra.Command{
		Use:   "unlock --territory SLUG --rpps N",
		Short: "Lift a GP's lockout after repeated wrong PINs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, t, err := a.territoryStore(cmd, territory)
			if err != nil {
				return err
			}
			req := roster.UnlockRequest{Scope: roster.Scope{Territory: t.ID}, RPPS: rpps, At: time.Now()}
			if _, err := s.Unlock(cliContext(cmd), req); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s unlocked in %s\n", rpps, t.Slug)
			return nil
		},
	}
	cmd.Flags().StringVar(&territory, "territory", "", "territory slug (required)")
	cmd.Flags().StringVar(&rpps, "rpps", "", "the GP's RPPS number (required)")
	_ = cmd.MarkFlagRequired("territory")
	_ = cmd.MarkFlagRequired("rpps")
	return cmd
}

func newEnrolImportCmd(a *app) *cobra.Command {
	var territory string
	cmd := &cobra.Command{
		Use:   "import FILE.csv --territory SLUG",
		Short: "Add or update enrolments from a CSV (rpps,role,specialty,last_name,first_name,phones), all or nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("open enrolments: %w", err)
			}
			defer f.Close()
			lines, err := roster.ParseEnrolmentsCSV(args[0], f)
			if err != nil {
				return err
			}
			s, t, err := a.territoryStore(cmd, territory)
			if err != nil {
				return err
			}
			res, err := s.ImportEnrolments(cliContext(cmd), t.ID, args[0], lines)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d enrolment(s) created, %d updated, %d unchanged in %s\n",
				args[0], res.Created, res.Updated, res.Unchanged, t.Slug)
			return nil
		},
	}
	cmd.Flags().StringVar(&territory, "territory", "", "territory slug (required)")
	_ = cmd.MarkFlagRequired("territory")
	return cmd
}
