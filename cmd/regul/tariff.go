package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/wiring"
)

// newTariffCmd lists and enters the billing acts' tariffs, national and
// dated, that the statements price acts with.
func newTariffCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tariff",
		Short: "List and enter the billing acts' tariffs (national, dated)",
	}
	cmd.AddCommand(newTariffListCmd(a), newTariffSetCmd(a))
	return cmd
}

func newTariffListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Every version of every act's tariff, by act then date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			tariffs, err := wiring.BillingStore(pool).Tariffs(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tROLE\tAMOUNT €\tFROM\tTO\tLABEL\tNOTE")
			for _, t := range tariffs {
				amount := billing.Euros(t.AmountCents)
				if t.AmountCents == 0 && t.ValidTo.IsZero() {
					amount += " (to enter)"
				}
				to := "-"
				if !t.ValidTo.IsZero() {
					to = t.ValidTo.Format(time.DateOnly)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Code, t.Role, amount,
					t.ValidFrom.Format(time.DateOnly), to, t.Label, t.Note)
			}
			return tw.Flush()
		},
	}
}

func newTariffSetCmd(a *app) *cobra.Command {
	var code, role, amount, from, label, note string
	cmd := &cobra.Command{
		Use:   "set --code CODE [--role requis|requerant] --amount EUROS --from YYYY-MM-DD [--label TEXT] [--note TEXT]",
		Short: "Enter an act's amount from a date on; the version in force then ends the day before; journaled",
		Example: `  regul tariff set --code TC --amount 25,00 --from 2026-03-01 --note "secteur 1"
  regul tariff set --code TE2 --role requis --amount 23 --from 2026-01-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ch, err := tariffChangeOf(code, role, amount, from)
			if err != nil {
				return err
			}
			ch.Label, ch.Note = label, note
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			res, err := wiring.BillingStore(pool).SetTariff(cliContext(cmd), ch)
			if refusal, ok := errors.AsType[*billing.TariffRefusal](err); ok {
				return fmt.Errorf("%s: %w", tariffFlag(refusal.Field), err)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			v := res.Version
			switch {
			case res.Unchanged:
				fmt.Fprintf(out, "%s %s: already %s € on %s, unchanged\n", v.Code, v.Role, billing.Euros(v.AmountCents), ch.ValidFrom.Format(time.DateOnly))
				return nil
			case res.Corrected:
				fmt.Fprintf(out, "%s %s: version from %s corrected to %s €\n", v.Code, v.Role, v.ValidFrom.Format(time.DateOnly), billing.Euros(v.AmountCents))
			default:
				fmt.Fprintf(out, "%s %s: %s € from %s\n", v.Code, v.Role, billing.Euros(v.AmountCents), v.ValidFrom.Format(time.DateOnly))
			}
			if c := res.Closed; !c.ValidTo.IsZero() {
				fmt.Fprintf(out, "previous version (%s €) now ends on %s\n", billing.Euros(c.AmountCents), c.ValidTo.Format(time.DateOnly))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "act code, e.g. TC")
	cmd.Flags().StringVar(&role, "role", "", "requis or requerant (default: the act's only role)")
	cmd.Flags().StringVar(&amount, "amount", "", "amount in euros: 25, 25,00 or 25.50")
	cmd.Flags().StringVar(&from, "from", "", "first day of the amount, YYYY-MM-DD")
	cmd.Flags().StringVar(&label, "label", "", "the act's label (default: kept)")
	cmd.Flags().StringVar(&note, "note", "", "why the amount is what it is (source, conditions)")
	return cmd
}

// tariffChangeOf checks the flags of tariff set, each error naming its flag.
func tariffChangeOf(code, role, amount, from string) (billing.TariffChange, error) {
	if code == "" {
		return billing.TariffChange{}, errors.New("--code is required (an act code, e.g. TC)")
	}
	r, err := actRole(code, role)
	if err != nil {
		return billing.TariffChange{}, err
	}
	if amount == "" {
		return billing.TariffChange{}, errors.New("--amount is required (euros, e.g. 25,00)")
	}
	cents, err := billing.ParseEuros(amount)
	if err != nil {
		return billing.TariffChange{}, fmt.Errorf("--amount: %w", err)
	}
	if from == "" {
		return billing.TariffChange{}, errors.New("--from is required (the first day of the amount, YYYY-MM-DD)")
	}
	day, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return billing.TariffChange{}, fmt.Errorf("--from %q: want YYYY-MM-DD, e.g. 2026-03-01", from)
	}
	return billing.TariffChange{Code: code, Role: r, AmountCents: cents, ValidFrom: day}, nil
}

// actRole reads --role, or takes the act's role when the rules give it
// only one (every act today).
func actRole(code, role string) (oncall.Role, error) {
	switch role {
	case "requis":
		return oncall.Requis, nil
	case "requerant", "requérant":
		return oncall.Requerant, nil
	case "":
	default:
		return "", fmt.Errorf("--role %q: want requis or requerant", role)
	}
	var roles []oncall.Role
	for _, r := range billing.Rules() {
		if r.Code == code {
			roles = append(roles, r.Role)
		}
	}
	if len(roles) != 1 {
		return "", fmt.Errorf("--code %s: unknown act or several roles; give --role (known acts: %v)", code, billing.ActCodes())
	}
	return roles[0], nil
}

func tariffFlag(field string) string {
	switch field {
	case "amount":
		return "--amount"
	case "from":
		return "--from"
	case "note":
		return "--note"
	case "label":
		return "--label"
	default:
		return "--code/--role"
	}
}
