package roster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// ShiftForm is one shift as a coordinator types it: the five fields of a
// roster CSV line, as text, so that a shift entered by hand goes through
// exactly the checks of the import (ParseLocal for the times, Luhn,
// enrolment, overlaps).
type ShiftForm struct {
	RPPS      string // 11 digits or the national 12-character form
	Specialty string // slug or label
	Start     string // "YYYY-MM-DD HH:MM", territory time
	End       string
	Rank      string // "1" to "9"
}

// ShiftFormError lists everything wrong with a ShiftForm; when it is
// returned nothing was written.
type ShiftFormError struct {
	Problems []string
}

func (e *ShiftFormError) Error() string {
	return "shift: " + strings.Join(e.Problems, "; ")
}

// Shift reads one of the territory's shifts; ErrNotFound when the
// territory has no shift with that id (another territory's id included).
func (s *Store) Shift(ctx context.Context, territoryID, id int64) (Shift, error) {
	return shiftByID(ctx, s.pool, territoryID, id)
}

// AddShift checks a shift as the import checks a line and adds it, with
// its audit record, in one transaction. A shift identical to one already
// there, or overlapping another of the same specialty and rank, is a
// *ShiftFormError.
func (s *Store) AddShift(ctx context.Context, territoryID int64, in ShiftForm) (Shift, error) {
	var added Shift
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		terr, err := s.shiftTerritoryByID(ctx, tx, territoryID)
		if err != nil {
			return err
		}
		sh, err := checkShiftForm(ctx, tx, terr, in, 0)
		if err != nil {
			return err
		}
		ids, err := insertShifts(ctx, tx, territoryID, []Shift{sh})
		if err != nil {
			return err
		}
		sh.ID = ids[0]
		added = sh
		return audit(ctx, tx, territoryID, journal.ActionShiftAdded, shiftDetail(sh, terr))
	})
	if err != nil {
		return Shift{}, fmt.Errorf("add shift: %w", err)
	}
	return added, nil
}

// UpdateShift replaces a shift's specialist, specialty, times and rank,
// keeping its id, after the import's checks (the shift itself left out of
// the overlap check), with its audit record, in one transaction.
// ErrNotFound when the territory has no such shift.
func (s *Store) UpdateShift(ctx context.Context, territoryID, id int64, in ShiftForm) (Shift, error) {
	var updated Shift
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := shiftByID(ctx, tx, territoryID, id, "FOR UPDATE OF sh")
		if err != nil {
			return err
		}
		terr, err := s.shiftTerritoryByID(ctx, tx, territoryID)
		if err != nil {
			return err
		}
		sh, err := checkShiftForm(ctx, tx, terr, in, id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE shift SET specialty_id = $3, rpps = $4, during = tstzrange($5, $6, '[)'), rank = $7
			WHERE id = $1 AND territory_id = $2`, id, territoryID, sh.SpecialtyID, sh.RPPS, sh.Start, sh.End, sh.Rank)
		if isExclusionViolation(err) {
			return fmt.Errorf("a shift written meanwhile by someone else %w", ErrOverlap)
		}
		if err != nil {
			return err
		}
		sh.ID = id
		updated = sh
		detail := shiftDetail(sh, terr)
		detail["before"] = shiftDetail(before, terr)
		return audit(ctx, tx, territoryID, journal.ActionShiftUpdated, detail)
	})
	if err != nil {
		return Shift{}, fmt.Errorf("update shift %d: %w", id, err)
	}
	return updated, nil
}

// DeleteShift removes one of the territory's shifts, with its audit
// record, and returns what it was; ErrNotFound when there is no such shift.
func (s *Store) DeleteShift(ctx context.Context, territoryID, id int64) (Shift, error) {
	var deleted Shift
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		sh, err := shiftByID(ctx, tx, territoryID, id, "FOR UPDATE OF sh")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM shift WHERE id = $1 AND territory_id = $2`, id, territoryID); err != nil {
			return err
		}
		terr, err := s.shiftTerritoryByID(ctx, tx, territoryID)
		if err != nil {
			return err
		}
		deleted = sh
		return audit(ctx, tx, territoryID, journal.ActionShiftDeleted, shiftDetail(sh, terr))
	})
	if err != nil {
		return Shift{}, fmt.Errorf("delete shift %d: %w", id, err)
	}
	return deleted, nil
}

// checkShiftForm runs the import's checks on one form, as line 1 of a file,
// against the base without the shift ignore (0: none).
func checkShiftForm(ctx context.Context, db querier, terr oncall.Territory, in ShiftForm, ignore int64) (Shift, error) {
	ie := &ImportError{File: "form"}
	rec := []string{in.RPPS, in.Specialty, in.Start, in.End, in.Rank}
	col := map[string]int{"rpps": 0, "specialty": 1, "start": 2, "end": 3, "rank": 4}
	line := parseShiftLine(1, rec, col, terr, ie)
	lines := []*shiftLine{line}
	if err := checkSpecialists(ctx, db, terr, lines, ie); err != nil {
		return Shift{}, err
	}
	added, unchanged, err := compareWithBase(ctx, db, terr, lines, ie, ignore)
	if err != nil {
		return Shift{}, err
	}
	for _, u := range unchanged {
		ie.Problems = append(ie.Problems, ImportProblem{Line: 1,
			Msg: fmt.Sprintf("the same shift already exists (shift %d, %s)", u.ID, describeShift(u, terr, true))})
	}
	if len(ie.Problems) > 0 || len(added) != 1 {
		fe := &ShiftFormError{}
		for _, p := range ie.Problems {
			fe.Problems = append(fe.Problems, p.Msg)
		}
		return Shift{}, fe
	}
	return added[0], nil
}

// shiftByID reads one shift of the territory; lock is an optional row-lock
// clause ("FOR UPDATE OF sh").
func shiftByID(ctx context.Context, db querier, territoryID, id int64, lock ...string) (Shift, error) {
	var sh Shift
	err := db.QueryRow(ctx, `
		SELECT sh.id, sh.territory_id, sh.specialty_id, sp.slug, sh.rpps, p.last_name, p.first_name,
		       lower(sh.during), upper(sh.during), sh.rank
		FROM shift sh
		JOIN specialty sp ON sp.id = sh.specialty_id
		JOIN practitioner p ON p.rpps = sh.rpps
		WHERE sh.id = $1 AND sh.territory_id = $2 `+strings.Join(lock, " "), id, territoryID).
		Scan(&sh.ID, &sh.TerritoryID, &sh.SpecialtyID, &sh.Specialty, &sh.RPPS,
			&sh.LastName, &sh.FirstName, &sh.Start, &sh.End, &sh.Rank)
	if errors.Is(err, pgx.ErrNoRows) {
		return Shift{}, fmt.Errorf("shift %d: %w", id, oncall.ErrNotFound)
	}
	if err != nil {
		return Shift{}, fmt.Errorf("read shift %d: %w", id, err)
	}
	return sh, nil
}

// shiftDetail is what the audit log keeps of a shift.
func shiftDetail(sh Shift, terr oncall.Territory) map[string]any {
	return map[string]any{
		"shift":     sh.ID,
		"rpps":      sh.RPPS,
		"specialty": sh.Specialty,
		"rank":      strconv.Itoa(sh.Rank),
		"span":      FormatSpan(sh.Start, sh.End, terr.Location),
	}
}
