package roster

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"+33612000015", "+33612000015"},
		{"06 12 00 00 15", "+33612000015"},
		{"06.12.00.00.15", "+33612000015"},
		{"0612000015", "+33612000015"},
		{"0033612000015", "+33612000015"},
		{"+33 (0)6 12 00 00 15", "+33612000015"},
		{" 02 47 00 00 01 ", "+33247000001"},
		{"+32 470 12 34 56", "+32470123456"},
		{"+590 590 12 34 56", "+590590123456"}, // Guadeloupe
		{"", ""},
		{"06 12", ""},
		{"abc", ""},
		{"+33 0612000015000", ""},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in)
		if tt.want == "" {
			var pe *PhoneError
			if !errors.As(err, &pe) {
				t.Errorf("NormalizePhone(%q) = %q, %v; want a *PhoneError", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDirectoryPhone(t *testing.T) {
	for in, want := range map[string]string{"0247000001": "+33247000001", "02 47 00 00 01": "+33247000001", "": "", "12": ""} {
		if got := directoryPhone(in); got != want {
			t.Errorf("directoryPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
