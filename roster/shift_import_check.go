package roster

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/regul-sante/regul/roster/oncall"
)

// checkSpecialists looks up every RPPS of the file at once: it must be a
// known practitioner enrolled as requis for the line's specialty here.
func checkSpecialists(ctx context.Context, db querier, terr oncall.Territory, lines []*shiftLine, ie *ImportError) error {
	var rppsList []string
	for _, l := range lines {
		if l.shift.RPPS != "" {
			rppsList = append(rppsList, l.shift.RPPS)
		}
	}
	type person struct {
		last, first string
		requisFor   []int64
	}
	// Inside a transaction the enrolments read stay locked until it ends:
	// a concurrent removal of one of them (which locks it, then counts the
	// shifts to come) waits for these shifts and then sees them.
	if _, err := db.Exec(ctx, `SELECT 1 FROM enrolment WHERE territory_id = $1 AND role = 'requis' AND rpps = ANY($2)
		FOR KEY SHARE`, terr.ID, rppsList); err != nil {
		return fmt.Errorf("look up specialists: %w", err)
	}
	people := map[string]*person{}
	rows, err := db.Query(ctx, `
		SELECT p.rpps, p.last_name, p.first_name,
		       COALESCE(array_agg(e.specialty_id) FILTER (WHERE e.specialty_id IS NOT NULL), '{}')
		FROM practitioner p
		LEFT JOIN enrolment e ON e.rpps = p.rpps AND e.territory_id = $1 AND e.role = 'requis'
		WHERE p.rpps = ANY($2)
		GROUP BY p.rpps`, terr.ID, rppsList)
	if err != nil {
		return fmt.Errorf("look up specialists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rpps string
		p := &person{}
		if err := rows.Scan(&rpps, &p.last, &p.first, &p.requisFor); err != nil {
			return fmt.Errorf("look up specialists: %w", err)
		}
		people[rpps] = p
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up specialists: %w", err)
	}
	for _, l := range lines {
		if l.shift.RPPS == "" {
			continue
		}
		p, known := people[l.shift.RPPS]
		switch {
		case !known:
			ie.Problems = append(ie.Problems, ImportProblem{Line: l.line,
				Msg: fmt.Sprintf("rpps %s: unknown specialist (not in the directory: import it or add them first)", l.shift.RPPS)})
			l.ok = false
		case l.shift.SpecialtyID != 0 && !slices.Contains(p.requisFor, l.shift.SpecialtyID):
			ie.Problems = append(ie.Problems, ImportProblem{Line: l.line,
				Msg: fmt.Sprintf("rpps %s (%s %s) is not enrolled as requis for %s in %s",
					l.shift.RPPS, p.first, p.last, l.shift.Specialty, terr.Slug)})
			l.ok = false
		default:
			l.shift.LastName, l.shift.FirstName = p.last, p.first
		}
	}
	return nil
}

// checkFileOverlaps reports, on the later line, two lines of one specialty
// and rank whose spans overlap.
func checkFileOverlaps(terr oncall.Territory, lines []*shiftLine, ie *ImportError) {
	var valid []*shiftLine
	for _, l := range lines {
		if l.ok {
			valid = append(valid, l)
		}
	}
	sort.SliceStable(valid, func(i, j int) bool { return valid[i].shift.Start.Before(valid[j].shift.Start) })
	for i, a := range valid {
		for _, b := range valid[i+1:] {
			if !b.shift.Start.Before(a.shift.End) {
				break // sorted by start: no later line can overlap a
			}
			if !a.shift.overlaps(b.shift) {
				continue
			}
			first, later := a, b
			if later.line < first.line {
				first, later = later, first
			}
			msg := fmt.Sprintf("overlaps line %d (%s)", first.line, describeShift(first.shift, terr, false))
			if first.shift.sameSlot(later.shift) {
				msg = fmt.Sprintf("repeats line %d (%s)", first.line, describeShift(first.shift, terr, false))
			}
			ie.Problems = append(ie.Problems, ImportProblem{Line: later.line, Msg: msg})
			later.ok = false
		}
	}
}

// compareWithBase splits the valid lines into new shifts and ones already
// there, and reports lines that overlap a different existing shift. The
// shift whose id is ignore (0: none) is left out of the base: it is the one
// being edited.
func compareWithBase(ctx context.Context, db querier, terr oncall.Territory, lines []*shiftLine, ie *ImportError, ignore int64) (added, unchanged []Shift, err error) {
	var candidates []*shiftLine
	for _, l := range lines {
		if l.ok {
			candidates = append(candidates, l)
		}
	}
	if len(candidates) == 0 {
		return nil, nil, nil
	}
	from, to := candidates[0].shift.Start, candidates[0].shift.End
	for _, l := range candidates {
		if l.shift.Start.Before(from) {
			from = l.shift.Start
		}
		if l.shift.End.After(to) {
			to = l.shift.End
		}
	}
	base, err := listShifts(ctx, db, terr.ID, ShiftFilter{From: from, To: to})
	if err != nil {
		return nil, nil, err
	}
	bySlot := map[[2]int64][]Shift{}
	for _, b := range base {
		if b.ID == ignore {
			continue
		}
		key := [2]int64{b.SpecialtyID, int64(b.Rank)}
		bySlot[key] = append(bySlot[key], b)
	}
lines:
	for _, l := range candidates {
		existing := bySlot[[2]int64{l.shift.SpecialtyID, int64(l.shift.Rank)}]
		for _, b := range existing {
			if b.sameSlot(l.shift) {
				unchanged = append(unchanged, b)
				continue lines
			}
		}
		for _, b := range existing {
			if b.overlaps(l.shift) {
				ie.Problems = append(ie.Problems, ImportProblem{Line: l.line,
					Msg: fmt.Sprintf("overlaps existing shift %d (%s)", b.ID, describeShift(b, terr, true))})
				continue lines
			}
		}
		added = append(added, l.shift)
	}
	return added, unchanged, nil
}

// describeShift reads "cardiologie rank 1, 2026-11-23 20:00 → 2026-11-24 08:00",
// with the specialist when who is set.
func describeShift(sh Shift, terr oncall.Territory, who bool) string {
	s := fmt.Sprintf("%s rank %d, ", sh.Specialty, sh.Rank)
	if who {
		s += fmt.Sprintf("%s %s %s, ", sh.RPPS, sh.FirstName, sh.LastName)
	}
	return s + FormatSpan(sh.Start, sh.End, terr.Location)
}
