package roster

import (
	"context"
	"fmt"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
)

// snapshotData is what the call path needs, as read from the database: the
// snapshot is built from it, and it is what the snapshot file keeps.
type snapshotData struct {
	Territories []oncall.Territory
	Enrolments  map[int64][]oncall.Enrolment // by territory
	Spans       []snapshotSpan               // shifts and overrides overlapping the window
	PINHashes   map[int64]string             // by requérant enrolment id
}

// snapshotSpan is a shift or an override of the snapshot's window.
type snapshotSpan struct {
	SpecialtyID int64
	Start, End  time.Time
	Rank        int
	RPPS        string
	LastName    string
	FirstName   string
	Override    bool
}

// load reads everything the call path needs, with shifts and overrides
// overlapping [from, to).
func (v *LineView) load(ctx context.Context, from, to time.Time) (*snapshotData, error) {
	terrs, err := v.store.Territories(ctx)
	if err != nil {
		return nil, err
	}
	data := &snapshotData{Territories: terrs, Enrolments: map[int64][]oncall.Enrolment{}, PINHashes: map[int64]string{}}
	for _, t := range terrs {
		es, err := v.store.Enrolments(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		data.Enrolments[t.ID] = es
		if err := v.loadShifts(ctx, data, t.ID, from, to); err != nil {
			return nil, err
		}
	}
	rows, err := v.store.pool.Query(ctx, `SELECT id, pin_hash FROM enrolment WHERE role = 'requerant' AND pin_hash IS NOT NULL`)
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
		data.PINHashes[id] = hash
	}
	return data, rows.Err()
}

func (v *LineView) loadShifts(ctx context.Context, data *snapshotData, territoryID int64, from, to time.Time) error {
	shifts, err := v.store.Shifts(ctx, territoryID, ShiftFilter{From: from, To: to})
	if err != nil {
		return err
	}
	for _, sh := range shifts {
		data.Spans = append(data.Spans, snapshotSpan{SpecialtyID: sh.SpecialtyID,
			Start: sh.Start, End: sh.End, Rank: sh.Rank, RPPS: sh.RPPS, LastName: sh.LastName, FirstName: sh.FirstName})
	}
	overrides, err := v.store.Overrides(ctx, territoryID, from, to)
	if err != nil {
		return err
	}
	for _, o := range overrides {
		data.Spans = append(data.Spans, snapshotSpan{SpecialtyID: o.SpecialtyID,
			Start: o.Start, End: o.End, Rank: o.Rank, RPPS: o.RPPS, LastName: o.LastName, FirstName: o.FirstName, Override: true})
	}
	return nil
}

// build indexes the data for the call path's lookups.
func (data *snapshotData) build() *snapshot {
	s := &snapshot{
		byDID:      map[string]*oncall.Territory{},
		requerants: map[int64]map[string]oncall.Enrolment{},
		byPhone:    map[int64]map[string][]oncall.Enrolment{},
		byID:       map[int64]oncall.Enrolment{},
		pinHash:    data.PINHashes,
		requis:     map[requisKey]oncall.Enrolment{},
		shifts:     map[int64][]heldSpan{},
		specialty:  map[int64]oncall.Specialty{},
	}
	if s.pinHash == nil {
		s.pinHash = map[int64]string{}
	}
	for i := range data.Territories {
		t := &data.Territories[i]
		for _, n := range t.Numbers {
			s.byDID[n] = t
		}
		for _, sp := range t.Specialties {
			s.specialty[sp.ID] = sp
		}
		s.requerants[t.ID] = map[string]oncall.Enrolment{}
		s.byPhone[t.ID] = map[string][]oncall.Enrolment{}
		for _, e := range data.Enrolments[t.ID] {
			if e.Role == oncall.Requis {
				s.requis[requisKey{t.ID, e.SpecialtyID, e.RPPS}] = e
				continue
			}
			s.requerants[t.ID][e.RPPS] = e
			s.byID[e.ID] = e
			for _, p := range e.Phones {
				s.byPhone[t.ID][p] = append(s.byPhone[t.ID][p], e)
			}
		}
	}
	for _, sp := range data.Spans {
		s.shifts[sp.SpecialtyID] = append(s.shifts[sp.SpecialtyID], heldSpan{
			start: sp.Start, end: sp.End, rank: sp.Rank, rpps: sp.RPPS, last: sp.LastName, first: sp.FirstName, override: sp.Override})
	}
	return s
}
