package roster

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// PhoneError says why a string is not a usable phone number.
type PhoneError struct {
	Input  string
	Reason string
}

func (e *PhoneError) Error() string { return fmt.Sprintf("phone number %q: %s", e.Input, e.Reason) }

// NormalizePhone returns a phone number in E.164 form ("+33612000015").
// National French input ("06 12 00 00 15", "06.12.00.00.15") is read with
// region FR; international input needs its "+" or "00" prefix. Numbers that
// libphonenumber does not consider valid are refused.
func NormalizePhone(s string) (string, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return "", &PhoneError{Input: in, Reason: "empty"}
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	num, err := phonenumbers.Parse(s, "FR")
	if err != nil {
		return "", &PhoneError{Input: in, Reason: "not a phone number"}
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", &PhoneError{Input: in, Reason: "not a valid number (wrong length or unallocated range)"}
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// normalizePhones normalises every number and drops duplicates, keeping order.
func normalizePhones(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, p := range in {
		e164, err := NormalizePhone(p)
		if err != nil {
			return nil, err
		}
		if !seen[e164] {
			seen[e164] = true
			out = append(out, e164)
		}
	}
	return out, nil
}

// directoryPhone normalises a phone from the Annuaire Santé extract. Almost
// all are ten French digits, which take a fast path (the national file has
// hundreds of thousands); anything else goes through NormalizePhone. A number
// that is not usable yields "".
func directoryPhone(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) == 10 && s[0] == '0' && s[1] >= '1' && s[1] <= '9' && allDigits(s) {
		return "+33" + s[1:]
	}
	e164, err := NormalizePhone(s)
	if err != nil {
		return ""
	}
	return e164
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
