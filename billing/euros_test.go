package billing

import (
	"strings"
	"testing"
)

func TestParseEuros(t *testing.T) {
	for _, c := range []struct {
		in    string
		cents int
	}{
		{"25", 2500}, {"25,00", 2500}, {"25.5", 2550}, {"25,00 €", 2500}, {"25€", 2500},
		{" 23,05\u00a0€ ", 2305}, {"0", 0}, {"0,5", 50}, {"007", 700}, {"123456,99", 12345699},
	} {
		got, err := ParseEuros(c.in)
		if err != nil || got != c.cents {
			t.Errorf("ParseEuros(%q) = %d, %v; want %d", c.in, got, err, c.cents)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"abc", "montant « abc » invalide"},
		{"", "montant manquant"},
		{" € ", "montant manquant"},
		{"-5", "montant « -5 » négatif"},
		{"25,", "montant « 25, » invalide"},
		{",50", "montant « ,50 » invalide"},
		{"25,001", "montant « 25,001 » invalide"},
		{"25,0,0", "montant « 25,0,0 » invalide"},
		{"1 000", "montant « 1 000 » invalide"},
		{"1234567", "montant « 1234567 » invalide"},
		{"+25", "montant « +25 » invalide"},
		{"25 EUR", "montant « 25 EUR » invalide"},
	} {
		_, err := ParseEuros(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseEuros(%q): %v, want %q", c.in, err, c.want)
		}
	}
}
