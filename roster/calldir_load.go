package roster

import (
	"context"
	"fmt"
	"time"
)

// load reads everything the call path needs, with shifts and overrides
// overlapping [from, to).
func (d *CallDirectory) load(ctx context.Context, from, to time.Time) (*snapshot, error) {
	terrs, err := d.store.Territories(ctx)
	if err != nil {
		return nil, err
	}
	s := &snapshot{
		byDID:      map[string]*Territory{},
		requerants: map[int64]map[string]Enrolment{},
		byPhone:    map[int64]map[string][]Enrolment{},
		byID:       map[int64]Enrolment{},
		pinHash:    map[int64]string{},
		requis:     map[requisKey]Enrolment{},
		shifts:     map[int64][]heldSpan{},
		specialty:  map[int64]Specialty{},
	}
	for i := range terrs {
		t := &terrs[i]
		for _, n := range t.Numbers {
			s.byDID[n] = t
		}
		for _, sp := range t.Specialties {
			s.specialty[sp.ID] = sp
		}
		if err := d.loadEnrolments(ctx, s, t.ID); err != nil {
			return nil, err
		}
		if err := d.loadShifts(ctx, s, t.ID, from, to); err != nil {
			return nil, err
		}
	}
	rows, err := d.store.pool.Query(ctx, `SELECT id, pin_hash FROM enrolment WHERE role = 'requerant' AND pin_hash IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("PIN hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var hash string
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, fmt.Errorf("PIN hashes: %w", err)
		}
		s.pinHash[id] = hash
	}
	return s, rows.Err()
}

func (d *CallDirectory) loadEnrolments(ctx context.Context, s *snapshot, territoryID int64) error {
	es, err := d.store.Enrolments(ctx, territoryID)
	if err != nil {
		return err
	}
	s.requerants[territoryID] = map[string]Enrolment{}
	s.byPhone[territoryID] = map[string][]Enrolment{}
	for _, e := range es {
		if e.Role == Requis {
			s.requis[requisKey{territoryID, e.SpecialtyID, e.RPPS}] = e
			continue
		}
		s.requerants[territoryID][e.RPPS] = e
		s.byID[e.ID] = e
		for _, p := range e.Phones {
			s.byPhone[territoryID][p] = append(s.byPhone[territoryID][p], e)
		}
	}
	return nil
}

func (d *CallDirectory) loadShifts(ctx context.Context, s *snapshot, territoryID int64, from, to time.Time) error {
	shifts, err := d.store.Shifts(ctx, territoryID, ShiftFilter{From: from, To: to})
	if err != nil {
		return err
	}
	for _, sh := range shifts {
		s.shifts[sh.SpecialtyID] = append(s.shifts[sh.SpecialtyID], heldSpan{
			start: sh.Start, end: sh.End, rank: sh.Rank, rpps: sh.RPPS, last: sh.LastName, first: sh.FirstName})
	}
	overrides, err := d.store.Overrides(ctx, territoryID, from, to)
	if err != nil {
		return err
	}
	for _, o := range overrides {
		s.shifts[o.SpecialtyID] = append(s.shifts[o.SpecialtyID], heldSpan{
			start: o.Start, end: o.End, rank: o.Rank, rpps: o.RPPS, last: o.LastName, first: o.FirstName, override: true})
	}
	return nil
}
