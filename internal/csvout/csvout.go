// Package csvout is the one CSV writer every export uses (billing statement,
// ARS statistics, calls list): UTF-8 with a byte-order mark, ';' between
// fields and CRLF line ends — what a French spreadsheet (Excel, LibreOffice
// with the French locale) opens right on a double click, accents and all,
// since ',' is the French decimal separator.
//
// Every text cell is neutralised against formula injection: a cell that
// starts with '=', '+', '-', '@', a tab or a carriage return is prefixed
// with a quote ('), which spreadsheets show as text and never evaluate.
// Names come from the public directory file and from forms, so any of
// them may be hostile. Only numbers the project formats itself (counts,
// amounts, durations) are written as they are, through Number.
package csvout

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Separator is the field separator of every export.
const Separator = ';'

const utf8BOM = "\ufeff"

// Cell is one field of a row: text (neutralised) or a number the project
// wrote itself (kept as is).
type Cell struct {
	s   string
	raw bool
}

// Text is a cell whose content may come from anyone: neutralised.
func Text(s string) Cell { return Cell{s: s} }

// Number is a cell the project formatted itself from a number (a count, an
// amount "-5,00", a duration): written as is, so a spreadsheet reads it as
// a number. Never pass it a string that came from outside.
func Number(s string) Cell { return Cell{s: s, raw: true} }

// Writer writes rows with the conventions above.
type Writer struct {
	cw *csv.Writer
}

// New writes the byte-order mark and returns the writer.
func New(w io.Writer) (*Writer, error) {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma = Separator
	cw.UseCRLF = true
	return &Writer{cw: cw}, nil
}

// Header writes the column names (text cells).
func (w *Writer) Header(names ...string) error {
	cells := make([]Cell, len(names))
	for i, n := range names {
		cells[i] = Text(n)
	}
	return w.Write(cells...)
}

// Write writes one row.
func (w *Writer) Write(cells ...Cell) error {
	rec := make([]string, len(cells))
	for i, c := range cells {
		if c.raw {
			rec[i] = c.s
		} else {
			rec[i] = Neutralise(c.s)
		}
	}
	return w.cw.Write(rec)
}

// Flush writes what is buffered and returns the first error met.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}

// Neutralise keeps a text cell from being read as a formula: one that
// starts with '=', '+', '-', '@', a tab or a carriage return gets a
// leading quote.
func Neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
