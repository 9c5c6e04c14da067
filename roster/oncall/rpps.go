package oncall

import (
	"fmt"
	"strings"
)

// RPPSError says why a string is not an RPPS number.
type RPPSError struct {
	Input  string
	Reason string
}

func (e *RPPSError) Error() string { return fmt.Sprintf("RPPS %q: %s", e.Input, e.Reason) }

// NormalizeRPPS accepts an 11-digit RPPS whose last digit is a Luhn key over
// the first ten, or its 12-character national form ("8" + RPPS, which is
// not itself Luhn-valid), and returns the 11 digits.
func NormalizeRPPS(s string) (string, error) {
	in := s
	s = strings.TrimSpace(s)
	if len(s) == 12 && s[0] == '8' {
		s = s[1:]
	}
	if len(s) != 11 {
		return "", &RPPSError{Input: in, Reason: fmt.Sprintf("%d characters, want 11 digits", len(s))}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", &RPPSError{Input: in, Reason: "not only digits"}
		}
	}
	if !Luhn(s) {
		return "", &RPPSError{Input: in, Reason: "wrong check digit (Luhn)"}
	}
	return s, nil
}

// ValidRPPS reports whether s is 11 digits with a valid Luhn key.
func ValidRPPS(s string) bool {
	_, err := NormalizeRPPS(s)
	return err == nil && len(strings.TrimSpace(s)) == 11
}

// Luhn reports whether a string of digits passes the Luhn check.
func Luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(digits) > 0 && sum%10 == 0
}

// LuhnKey returns the check digit that makes prefix+key Luhn-valid (used to
// make sample data).
func LuhnKey(prefix string) byte {
	for k := byte('0'); k <= '9'; k++ {
		if Luhn(prefix + string(k)) {
			return k
		}
	}
	return '0'
}
