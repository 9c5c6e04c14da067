package billing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxAmountDigits bounds the euros part of a typed amount: far above any
// act, far below what amount_cents (integer) holds.
const maxAmountDigits = 6

// ParseEuros reads an amount as a French coordinator types it — « 25 »,
// « 25,00 », « 25.5 », « 25,00 € » — into cents. Its errors are French
// sentences that quote what was typed, for the console and the command
// line alike.
func ParseEuros(s string) (int, error) {
	typed := s
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "€"))
	// Spreadsheets and phones put thin or non-breaking spaces before €.
	s = strings.Trim(s, " \u00a0\u202f")
	if s == "" {
		return 0, errors.New("montant manquant : écrivez un montant en euros, par exemple 25,00")
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("montant « %s » négatif : un tarif est positif ou nul", typed)
	}
	whole, frac, hasFrac := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if !digitsOnly(whole) || len(whole) > maxAmountDigits || (hasFrac && (len(frac) < 1 || len(frac) > 2 || !digitsOnly(frac))) {
		return 0, fmt.Errorf("montant « %s » invalide : écrivez un montant en euros, par exemple 25,00", typed)
	}
	euros, err := strconv.Atoi(whole)
	if err != nil {
		return 0, fmt.Errorf("montant « %s » invalide : %w", typed, err)
	}
	cents := 0
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		if cents, err = strconv.Atoi(frac); err != nil {
			return 0, fmt.Errorf("montant « %s » invalide : %w", typed, err)
		}
	}
	return euros*100 + cents, nil
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
