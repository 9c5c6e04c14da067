package roster

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Bounds on the text fields people type or files bring. A name goes into
// SMS, pages, prompts and exports: a 3 MB last name must be refused where
// it enters (YAML, CSV, directory file, forms), with the field and, for a
// file, the line. Lengths count characters, not bytes. The README lists
// them.
const (
	MaxNameLen          = 100 // a practitioner's last or first name
	MaxTerritoryNameLen = 120 // a territory's name (spoken and in every SMS)
	MaxLabelLen         = 80  // a specialty's label, a fallback line's label
	MaxEmailLen         = 254 // the coordination's email (RFC 5321)
	MaxVideoURLLen      = 200 // a territory's video room address (it goes into an SMS)
	MaxReasonLen        = 200 // an override's reason
)

// TextError says a text field is too long or holds a control character.
type TextError struct {
	Field  string
	Reason string
}

func (e *TextError) Error() string { return e.Field + ": " + e.Reason }

// CheckText refuses a text longer than max characters, not valid UTF-8, or
// with a control character (NUL, a line break…): such a value is a
// mistake or an attack, never a name.
func CheckText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return &TextError{Field: field, Reason: "not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &TextError{Field: field, Reason: fmt.Sprintf("%d characters, at most %d", n, max)}
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return &TextError{Field: field, Reason: fmt.Sprintf("control character %U", r)}
		}
	}
	return nil
}
