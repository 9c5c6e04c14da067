package billing

import (
	"fmt"
	"io"

	"github.com/regul-sante/regul/internal/csvout"
	"github.com/regul-sante/regul/roster/oncall"
)

// Euros formats cents the French way: "23,00".
func Euros(cents int) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d,%02d", sign, cents/100, cents%100)
}

// RoleLabel is a role as a French reader expects it.
func RoleLabel(r oncall.Role) string {
	if r == oncall.Requerant {
		return "requérant"
	}
	return "requis"
}

// WriteCSV writes the statement: a header line, then one line per
// candidate act, in the territory's local date and time. An act with no
// tariff on its date has an empty amount. Names come from the directory
// and from forms: csvout neutralises them.
func (s Statement) WriteCSV(w io.Writer) error {
	cw, err := csvout.New(w)
	if err != nil {
		return err
	}
	if err := cw.Header("rpps", "nom", "prenom", "role", "code_acte", "libelle", "date", "heure",
		"reference_appel", "id_appel", "montant_eur"); err != nil {
		return fmt.Errorf("statement csv: %w", err)
	}
	T, N := csvout.Text, csvout.Number
	for _, l := range s.Lines {
		amount := ""
		if l.Priced {
			amount = Euros(l.AmountCents)
		}
		if err := cw.Write(
			T(l.RPPS), T(l.LastName), T(l.FirstName), T(RoleLabel(l.Role)), T(l.Code), T(l.Label),
			N(l.At.Format("02/01/2006")), N(l.At.Format("15:04")), T(l.Reference), T(l.CallID), N(amount),
		); err != nil {
			return fmt.Errorf("statement csv: %w", err)
		}
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("statement csv: %w", err)
	}
	return nil
}
