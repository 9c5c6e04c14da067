package roster

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
)

// TerritorySpec is a territory as a coordinator declares it (see
// LoadTerritorySpec for the file form). ApplyTerritory makes the database
// match it.
type TerritorySpec struct {
	Slug             string
	Name             string
	Timezone         string // IANA name; "" means Europe/Paris
	Numbers          []string
	Hours            oncall.OpeningHours
	Policy           oncall.Policy // "" means rpps+pin
	RingTimeout      time.Duration
	HuntTimeout      time.Duration
	CoordinatorPhone string
	CoordinatorEmail string
	Communes         []string
	Departements     []string
	Specialties      []SpecialtySpec
	// NoGPTrace turns off the GP's written trace SMS after a keyed outcome
	// (YAML gp_trace: false; on by default).
	NoGPTrace bool
	// VideoURL is the video room of a téléconsultation, sent to both
	// doctors with the trace; "{ref}" is replaced by the call's reference
	// (YAML video_room_url).
	VideoURL string

	// lines maps a field path ("specialties[1].digit") to its line in the
	// file it was read from, so that errors can point at it.
	file  string
	lines map[string]int
}

// SpecialtySpec is one specialty of a TerritorySpec.
type SpecialtySpec struct {
	Slug          string
	Label         string
	Digit         int
	SavoirFaire   []string
	FallbackLabel string
	FallbackPhone string
}

// Defaults of a territory spec.
const (
	DefaultTimezone    = "Europe/Paris"
	DefaultRingTimeout = 25 * time.Second
	DefaultHuntTimeout = 120 * time.Second
)

// SpecError is one problem in a territory spec, located by field path and,
// when the spec came from a file, by file and line.
type SpecError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *SpecError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// specErrors collects problems and joins them in file order.
type specErrors struct {
	file  string
	lines map[string]int
	list  []*SpecError
}

func (s *specErrors) add(field, format string, a ...any) {
	line := s.lines[field]
	if line == 0 {
		// Point at the enclosing field when the field itself is absent.
		for f := field; line == 0 && f != ""; {
			i := strings.LastIndexAny(f, ".[")
			if i < 0 {
				break
			}
			f = f[:i]
			line = s.lines[f]
		}
	}
	s.list = append(s.list, &SpecError{File: s.file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)})
}

func (s *specErrors) err() error {
	if len(s.list) == 0 {
		return nil
	}
	sort.SliceStable(s.list, func(i, j int) bool { return s.list[i].Line < s.list[j].Line })
	errs := make([]error, len(s.list))
	for i, e := range s.list {
		errs[i] = e
	}
	return errors.Join(errs...)
}
