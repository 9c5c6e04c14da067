package roster

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/roster/oncall"
)

// enrolmentCSVColumns is the header an enrolment CSV must have.
var enrolmentCSVColumns = []string{"rpps", "role", "specialty", "last_name", "first_name", "phones"}

// LineError locates a problem at a line of an input file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// EnrolmentLine is one line of an enrolment CSV.
type EnrolmentLine struct {
	Line int
	Spec EnrolSpec
}

// ParseEnrolmentsCSV reads an enrolment CSV with the header
// rpps,role,specialty,last_name,first_name,phones (phones separated by ";").
// It returns every bad line at once, each a *LineError.
func ParseEnrolmentsCSV(name string, r io.Reader) ([]EnrolmentLine, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(enrolmentCSVColumns)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\uFEFF")))
	}
	if strings.Join(header, ",") != strings.Join(enrolmentCSVColumns, ",") {
		return nil, fmt.Errorf("%s:1: header is %q, want %q", name, strings.Join(header, ","), strings.Join(enrolmentCSVColumns, ","))
	}
	var lines []EnrolmentLine
	var errs []error
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs = append(errs, &LineError{File: name, Line: pe.Line, Err: pe.Err})
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					continue
				}
			}
			return nil, errors.Join(append(errs, fmt.Errorf("%s: %w", name, err))...)
		}
		spec := EnrolSpec{
			RPPS:      rec[0],
			Role:      oncall.Role(strings.TrimSpace(rec[1])),
			Specialty: strings.TrimSpace(rec[2]),
			LastName:  rec[3],
			FirstName: rec[4],
		}
		for _, p := range strings.Split(rec[5], ";") {
			if p = strings.TrimSpace(p); p != "" {
				spec.Phones = append(spec.Phones, p)
			}
		}
		if err := spec.normalize(); err != nil {
			errs = append(errs, &LineError{File: name, Line: line, Err: err})
			continue
		}
		lines = append(lines, EnrolmentLine{Line: line, Spec: spec})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lines, nil
}

// EnrolImportResult counts what ImportEnrolments did.
type EnrolImportResult struct {
	Created, Updated, Unchanged int
}

// ImportEnrolments applies parsed lines to a territory, all or nothing: any
// refused line rolls everything back, and every refusal is reported with its
// line (each a *LineError).
func (s *Store) ImportEnrolments(ctx context.Context, territoryID int64, name string, lines []EnrolmentLine) (EnrolImportResult, error) {
	var res EnrolImportResult
	var refused []error
	errRefused := errors.New("refused lines")
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, l := range lines {
			spec := l.Spec
			spec.TerritoryID = territoryID
			change, err := enrolTx(ctx, tx, spec)
			var ee *EnrolError
			if errors.As(err, &ee) {
				refused = append(refused, &LineError{File: name, Line: l.Line, Err: err})
				continue
			}
			if err != nil {
				return &LineError{File: name, Line: l.Line, Err: err}
			}
			switch change {
			case Created:
				res.Created++
			case Updated:
				res.Updated++
			default:
				res.Unchanged++
			}
		}
		if len(refused) > 0 {
			return errRefused
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return EnrolImportResult{}, fmt.Errorf("nothing imported: %w", errors.Join(refused...))
	}
	if err != nil {
		return EnrolImportResult{}, fmt.Errorf("import enrolments %s: %w", name, err)
	}
	return res, nil
}
