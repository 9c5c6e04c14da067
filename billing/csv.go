package billing

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// CSV conventions shared by the exports: UTF-8 with a byte-order mark and
// ';' between fields, CRLF line ends — what a French spreadsheet (Excel,
// LibreOffice with the French locale) opens right on a double click,
// accents and all, since ',' is the French decimal separator.
const (
	CSVSeparator = ';'
	utf8BOM      = "\ufeff"
)

// NewCSVWriter writes the byte-order mark and returns a writer set to the
// conventions above.
func NewCSVWriter(w io.Writer) (*csv.Writer, error) {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma = CSVSeparator
	cw.UseCRLF = true
	return cw, nil
}

// Euros formats cents the French way: "23,00".
func Euros(cents int) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d,%02d", sign, cents/100, cents%100)
}

// RoleLabel is a role as a French reader expects it.
func RoleLabel(r roster.Role) string {
	if r == roster.Requerant {
		return "requérant"
	}
	return "requis"
}

// WriteCSV writes the statement: a header line, then one line per
// candidate act, in the territory's local date and time. An act with no
// tariff on its date has an empty amount.
func (s Statement) WriteCSV(w io.Writer) error {
	cw, err := NewCSVWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write([]string{"rpps", "nom", "prenom", "role", "code_acte", "libelle", "date", "heure",
		"reference_appel", "id_appel", "montant_eur"}); err != nil {
		return fmt.Errorf("statement csv: %w", err)
	}
	for _, l := range s.Lines {
		amount := ""
		if l.Priced {
			amount = Euros(l.AmountCents)
		}
		if err := cw.Write([]string{
			l.RPPS, l.LastName, l.FirstName, RoleLabel(l.Role), l.Code, l.Label,
			l.At.Format("02/01/2006"), l.At.Format("15:04"), notify.Reference(l.CallID), l.CallID, amount,
		}); err != nil {
			return fmt.Errorf("statement csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("statement csv: %w", err)
	}
	return nil
}
