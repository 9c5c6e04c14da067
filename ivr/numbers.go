package ivr

import "strings"

// maskNumber hides the end of a phone number in logs: "+33611000014"
// becomes "+336110000**". The records keep the full number.
func maskNumber(n string) string {
	if n == "" {
		return ""
	}
	if len(n) <= 4 {
		return strings.Repeat("*", len(n))
	}
	return n[:len(n)-2] + "**"
}

// spokenNumber is how a caller dials a number back: the French national form
// of a +33 number ("+33179000099" → "0179000099"), otherwise the
// international digits with "00" for the "+". Only digits are kept, so the
// result can be spoken with "digits:".
func spokenNumber(e164 string) string {
	var b strings.Builder
	switch {
	case strings.HasPrefix(e164, "+33"):
		b.WriteByte('0')
		e164 = e164[3:]
	case strings.HasPrefix(e164, "+"):
		b.WriteString("00")
		e164 = e164[1:]
	}
	for i := 0; i < len(e164); i++ {
		if e164[i] >= '0' && e164[i] <= '9' {
			b.WriteByte(e164[i])
		}
	}
	if b.Len() <= 2 {
		return ""
	}
	return b.String()
}
