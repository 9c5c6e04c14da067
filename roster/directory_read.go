package roster

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Directory columns, by normalised header name (see headerKey).
const (
	colIDType      = "typedidentifiantpp"
	colRPPS        = "identifiantpp"
	colLastName    = "nomdexercice"
	colFirstName   = "prenomdexercice"
	colProfession  = "codeprofession"
	colSavoirFaire = "codesavoirfaire"
	colCommune     = "codecommunecoordstructure"
	colPhone       = "telephonecoordstructure"
)

// directoryColumns are required; the identifier type is optional (older
// extracts list RPPS numbers only).
var directoryColumns = []string{colRPPS, colLastName, colFirstName, colProfession, colSavoirFaire, colCommune, colPhone}

// headerKey folds a header to compare spellings across releases: accents,
// case, spaces and punctuation are ignored ("Code commune (coord.
// structure)" and "CODE COMMUNE (COORD STRUCTURE)" are the same column).
func headerKey(h string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(h) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// directoryLine is what the import keeps of one line of the extract.
type directoryLine struct {
	number      int
	bad         string // why a malformed line is, when more is known than its shape
	idType      string
	rpps        string
	lastName    string
	firstName   string
	profession  string
	savoirFaire string
	commune     string
	phone       string
}

// directoryReader streams the extract line by line, in bounded memory:
// only the current line is held.
type directoryReader struct {
	name string
	sc   *bufio.Scanner
	line int
	// Lines are decoded one by one: valid UTF-8 is UTF-8, any other line
	// is Latin-1 (read as Windows-1252, its superset). Deciding once for
	// the whole file garbled every accented name of a UTF-8 file with one
	// bad byte.
	latin1Lines int // lines read as Latin-1
	utf8Lines   int // lines with non-ASCII characters read as UTF-8
	decoder     *charmap.Charmap
	index       map[string]int // column key → field index
	maxCol      int
	fields      [][]byte
}

// badNUL says a line holds a NUL byte (PostgreSQL refuses it in text).
const badNUL = "NUL byte"

// maxDirectoryLine bounds one line of the extract (real lines are < 1 KiB).
const maxDirectoryLine = 1 << 20

func newDirectoryReader(name string, r io.Reader) (*directoryReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 256*1024), maxDirectoryLine)
	d := &directoryReader{name: name, sc: sc, decoder: charmap.Windows1252}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: read header: %w", name, err)
		}
		return nil, fmt.Errorf("%s: empty file (want a header line)", name)
	}
	d.line = 1
	header := d.text(bytes.TrimPrefix(sc.Bytes(), []byte("\xEF\xBB\xBF")))
	d.index = map[string]int{}
	for i, h := range strings.Split(strings.TrimRight(header, "\r"), "|") {
		if k := headerKey(h); k != "" {
			if _, dup := d.index[k]; !dup {
				d.index[k] = i
			}
		}
	}
	var missing []string
	for _, c := range directoryColumns {
		i, ok := d.index[c]
		if !ok {
			missing = append(missing, c)
			continue
		}
		d.maxCol = max(d.maxCol, i)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s:1: not an Annuaire Santé Personne_activite extract: no column %s (headers are matched ignoring case, accents and spaces)",
			name, strings.Join(missing, ", "))
	}
	if i, ok := d.index[colIDType]; ok {
		d.maxCol = max(d.maxCol, i)
	}
	return d, nil
}

// text decodes a line: UTF-8 when it is valid UTF-8, else Latin-1.
func (d *directoryReader) text(b []byte) string {
	if utf8.Valid(b) {
		if !isASCII(b) {
			d.utf8Lines++
		}
		return string(b)
	}
	d.latin1Lines++
	out, err := d.decoder.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(out)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Encoding names how the file was read: "UTF-8", "Latin-1", or "UTF-8 and
// Latin-1" when lines of both were met.
func (d *directoryReader) Encoding() string {
	switch {
	case d.latin1Lines == 0:
		return "UTF-8"
	case d.utf8Lines == 0:
		return "Latin-1"
	default:
		return "UTF-8 and Latin-1"
	}
}

// next reads the next line. ok is false at the end; malformed is set for a
// line with too few fields.
func (d *directoryReader) next() (l directoryLine, malformed, ok bool, err error) {
	for d.sc.Scan() {
		d.line++
		raw := bytes.TrimRight(d.sc.Bytes(), "\r")
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if bytes.IndexByte(raw, 0) >= 0 {
			return directoryLine{number: d.line, bad: badNUL}, true, true, nil
		}
		raw = []byte(d.text(raw))
		d.fields = d.fields[:0]
		rest := raw
		for len(d.fields) <= d.maxCol {
			i := bytes.IndexByte(rest, '|')
			if i < 0 {
				d.fields = append(d.fields, rest)
				break
			}
			d.fields = append(d.fields, rest[:i])
			rest = rest[i+1:]
		}
		if len(d.fields) <= d.maxCol {
			return directoryLine{number: d.line}, true, true, nil
		}
		l = directoryLine{
			number:      d.line,
			rpps:        d.field(colRPPS),
			lastName:    d.field(colLastName),
			firstName:   d.field(colFirstName),
			profession:  d.field(colProfession),
			savoirFaire: d.field(colSavoirFaire),
			commune:     d.field(colCommune),
			phone:       d.field(colPhone),
		}
		if _, has := d.index[colIDType]; has {
			l.idType = d.field(colIDType)
		}
		return l, false, true, nil
	}
	if err := d.sc.Err(); err != nil {
		return directoryLine{}, false, false, fmt.Errorf("%s:%d: %w", d.name, d.line+1, err)
	}
	return directoryLine{}, false, false, nil
}

func (d *directoryReader) field(col string) string {
	return string(bytes.TrimSpace(d.fields[d.index[col]]))
}

// DepartementOfCommune returns the département of an INSEE commune code:
// its first two characters ("37261" → "37", "2A004" → "2A"), or three for
// the overseas départements ("97411" → "974").
func DepartementOfCommune(code string) string {
	switch {
	case len(code) < 2:
		return ""
	case strings.HasPrefix(code, "97") && len(code) >= 3:
		return code[:3]
	default:
		return code[:2]
	}
}
