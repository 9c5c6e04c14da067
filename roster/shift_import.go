package roster

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// The columns of a roster file, all required, in any order.
var shiftColumns = []string{"rpps", "specialty", "start", "end", "rank"}

// frenchShiftColumns are the French headers a coordinator may write
// instead (rpps;specialite;debut;fin;rang), accents or not.
var frenchShiftColumns = map[string]string{
	"specialite": "specialty", "spécialité": "specialty", "debut": "start", "début": "start", "fin": "end", "rang": "rank",
}

// ImportProblem is one thing wrong with one line of a roster file.
type ImportProblem struct {
	Line int // 1-based line of the file; 0 for the file as a whole
	Msg  string
}

// ImportError lists every problem found in a roster file; when it is
// returned nothing was written.
type ImportError struct {
	File     string
	Problems []ImportProblem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s), nothing written", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(e.problem(p))
	}
	return b.String()
}

func (e *ImportError) problem(p ImportProblem) string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Msg)
}

// Lines returns each problem as "file:line: message", in line order.
func (e *ImportError) Lines() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = e.problem(p)
	}
	return out
}

// ImportReport says what an import wrote (or, on a dry run, would write).
type ImportReport struct {
	Added     []Shift // with their new ids (zero on a dry run)
	Unchanged []Shift // lines identical to a shift already there: skipped
	DryRun    bool
}

// shiftLine is one data line of a roster file as it is being checked.
type shiftLine struct {
	line  int
	shift Shift
	ok    bool // every field parsed and the specialist may take it
}

// ImportShifts reads a roster CSV (header rpps,specialty,start,end,rank;
// start and end "YYYY-MM-DD HH:MM" in the territory's time zone, see
// ParseLocal for daylight-saving changes; rank 1 is called first) and adds
// its shifts to the territory, all or nothing.
//
// Every problem is reported, each with its line, in one *ImportError:
// unreadable or missing fields, an RPPS failing its Luhn key, an unknown
// specialist or specialty, a specialist not enrolled as requis for the
// specialty, end not after start, a local time that does not exist, and two
// shifts of one specialty and rank that overlap, within the file or with a
// shift already in the database. A line identical to a shift already there
// (same specialist, specialty, rank, start and end) is skipped, so importing
// a file again is a no-op; any other overlap is an error: to change a
// garde, use an override or delete the shift first.
//
// dryRun checks everything the same way and reports what would be written
// without writing it.
func (s *Store) ImportShifts(ctx context.Context, territoryID int64, file string, r io.Reader, dryRun bool) (ImportReport, error) {
	report := ImportReport{DryRun: dryRun}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return report, fmt.Errorf("import %s: %w", file, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit

	terr, err := s.shiftTerritoryByID(ctx, tx, territoryID)
	if err != nil {
		return report, fmt.Errorf("import %s: %w", file, err)
	}
	ie := &ImportError{File: file}
	lines := parseShiftCSV(r, terr, ie)
	if err := checkSpecialists(ctx, tx, terr, lines, ie); err != nil {
		return report, fmt.Errorf("import %s: %w", file, err)
	}
	checkFileOverlaps(terr, lines, ie)
	added, unchanged, err := compareWithBase(ctx, tx, terr, lines, ie, 0)
	if err != nil {
		return report, fmt.Errorf("import %s: %w", file, err)
	}
	if len(ie.Problems) > 0 {
		sort.SliceStable(ie.Problems, func(i, j int) bool { return ie.Problems[i].Line < ie.Problems[j].Line })
		return report, ie
	}
	report.Added, report.Unchanged = added, unchanged
	if dryRun {
		return report, nil
	}
	ids, err := insertShifts(ctx, tx, territoryID, added)
	if err != nil {
		return ImportReport{DryRun: dryRun}, fmt.Errorf("import %s: %w", file, err)
	}
	for i := range ids {
		report.Added[i].ID = ids[i]
	}
	if len(ids) > 0 {
		if err := audit(ctx, tx, territoryID, journal.ActionShiftImport, map[string]any{
			"file": file, "added": len(ids), "unchanged": len(unchanged)}); err != nil {
			return ImportReport{DryRun: dryRun}, fmt.Errorf("import %s: %w", file, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		if isExclusionViolation(err) {
			return ImportReport{DryRun: dryRun}, fmt.Errorf("import %s: %w; nothing was written", file, ErrOverlap)
		}
		return ImportReport{DryRun: dryRun}, fmt.Errorf("import %s: commit: %w", file, err)
	}
	return report, nil
}

// parseShiftCSV reads the header and every line, recording the problems of
// each field; lines whose fields all parse come back with ok set.
func parseShiftCSV(r io.Reader, terr oncall.Territory, ie *ImportError) []*shiftLine {
	// A French spreadsheet saves CSV with ";": the header line says which.
	br := bufio.NewReaderSize(r, 8192)
	head, _ := br.Peek(8192)
	cr := csv.NewReader(br)
	for _, line := range strings.Split(string(head), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.Count(line, ";") > strings.Count(line, ",") {
			cr.Comma = ';'
		}
		break
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		ie.Problems = append(ie.Problems, ImportProblem{Msg: "empty file: want a header rpps,specialty,start,end,rank then one shift a line"})
		return nil
	}
	if err != nil {
		ie.Problems = append(ie.Problems, csvProblem(err))
		return nil
	}
	headerLine, _ := cr.FieldPos(0)
	col, msg := shiftHeader(header)
	if msg != "" {
		ie.Problems = append(ie.Problems, ImportProblem{Line: headerLine, Msg: msg})
		return nil
	}
	var lines []*shiftLine
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			ie.Problems = append(ie.Problems, csvProblem(err))
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue // the reader resumes at the next line
			}
			return lines
		}
		n, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			ie.Problems = append(ie.Problems, ImportProblem{Line: n,
				Msg: fmt.Sprintf("%d field(s), want %d (%s)", len(rec), len(header), strings.Join(header, ","))})
			continue
		}
		lines = append(lines, parseShiftLine(n, rec, col, terr, ie))
	}
	if len(lines) == 0 && len(ie.Problems) == 0 {
		ie.Problems = append(ie.Problems, ImportProblem{Line: headerLine, Msg: "no shifts after the header"})
	}
	return lines
}

func csvProblem(err error) ImportProblem {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return ImportProblem{Line: pe.Line, Msg: fmt.Sprintf("not readable as CSV: %v", pe.Err)}
	}
	return ImportProblem{Msg: fmt.Sprintf("read: %v", err)}
}

// shiftHeader maps each required column to its index.
func shiftHeader(header []string) (map[string]int, string) {
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if en, ok := frenchShiftColumns[name]; ok {
			name = en
		}
		if !slices.Contains(shiftColumns, name) {
			return nil, fmt.Sprintf("unknown column %q: the header must be rpps,specialty,start,end,rank", h)
		}
		if _, dup := col[name]; dup {
			return nil, fmt.Sprintf("column %q appears twice in the header", name)
		}
		col[name] = i
	}
	var missing []string
	for _, c := range shiftColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Sprintf("header lacks column(s) %s: it must be rpps,specialty,start,end,rank", strings.Join(missing, ","))
	}
	return col, ""
}

func parseShiftLine(n int, rec []string, col map[string]int, terr oncall.Territory, ie *ImportError) *shiftLine {
	sl := &shiftLine{line: n, shift: Shift{TerritoryID: terr.ID}}
	bad := func(format string, a ...any) {
		ie.Problems = append(ie.Problems, ImportProblem{Line: n, Msg: fmt.Sprintf(format, a...)})
	}
	field := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
	before := len(ie.Problems)

	rawRPPS := field("rpps")
	if rpps, err := oncall.NormalizeRPPS(rawRPPS); err != nil {
		var re *oncall.RPPSError
		if errors.As(err, &re) {
			bad("rpps %s: %s", rawRPPS, re.Reason)
		} else {
			bad("rpps %s: %v", rawRPPS, err)
		}
	} else {
		sl.shift.RPPS = rpps
	}
	if sp, ok := terr.SpecialtyNamed(field("specialty")); ok {
		sl.shift.SpecialtyID, sl.shift.Specialty = sp.ID, sp.Slug
	} else {
		bad("unknown specialty %q (this territory has: %s)", field("specialty"), terr.SpecialtySlugs())
	}
	start, startErr := ParseLocal(field("start"), terr.Location)
	if startErr != nil {
		bad("start %v", startErr)
	}
	end, endErr := ParseLocal(field("end"), terr.Location)
	if endErr != nil {
		bad("end %v", endErr)
	}
	if startErr == nil && endErr == nil && !end.After(start) {
		bad("end %s is not after start %s", field("end"), field("start"))
	}
	sl.shift.Start, sl.shift.End = start, end
	rank, err := strconv.Atoi(field("rank"))
	if err != nil || rank < 1 || rank > 9 {
		bad("rank %q: want a whole number from 1 (called first) to 9", field("rank"))
	}
	sl.shift.Rank = rank
	sl.ok = len(ie.Problems) == before
	return sl
}
