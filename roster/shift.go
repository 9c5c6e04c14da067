package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Shift is one period of a specialist's garde at a rank: [Start, End).
type Shift struct {
	ID          int64
	TerritoryID int64
	SpecialtyID int64
	Specialty   string // slug
	RPPS        string
	LastName    string
	FirstName   string
	Start, End  time.Time
	Rank        int
}

// sameSlot reports whether two shifts are the same garde (ids aside).
func (s Shift) sameSlot(o Shift) bool {
	return s.SpecialtyID == o.SpecialtyID && s.Rank == o.Rank && s.RPPS == o.RPPS &&
		s.Start.Equal(o.Start) && s.End.Equal(o.End)
}

func (s Shift) overlaps(o Shift) bool {
	return s.SpecialtyID == o.SpecialtyID && s.Rank == o.Rank && s.Start.Before(o.End) && o.Start.Before(s.End)
}

// ErrOverlap says a shift or an override would overlap another of the same
// specialty and rank. The import checks this itself and reports lines; the
// database's exclusion constraints are the last line of defence (another
// writer between the check and the write).
var ErrOverlap = errors.New("overlaps another of the same specialty and rank")

// isExclusionViolation recognises the GiST exclusion constraints of shift
// and override (SQLSTATE 23P01).
func isExclusionViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23P01"
}

// ShiftFilter narrows Shifts; zero fields do not filter.
type ShiftFilter struct {
	SpecialtyID int64
	RPPS        string
	From, To    time.Time // shifts overlapping [From, To)
}

// Shifts lists a territory's shifts by start, then specialty and rank.
func (s *Store) Shifts(ctx context.Context, territoryID int64, f ShiftFilter) ([]Shift, error) {
	return listShifts(ctx, s.pool, territoryID, f)
}

func listShifts(ctx context.Context, db querier, territoryID int64, f ShiftFilter) ([]Shift, error) {
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := db.Query(ctx, `
		SELECT sh.id, sh.territory_id, sh.specialty_id, sp.slug, sh.rpps, p.last_name, p.first_name,
		       lower(sh.during), upper(sh.during), sh.rank
		FROM shift sh
		JOIN specialty sp ON sp.id = sh.specialty_id
		JOIN practitioner p ON p.rpps = sh.rpps
		WHERE sh.territory_id = $1
		  AND ($2::bigint = 0 OR sh.specialty_id = $2)
		  AND ($3::text = '' OR sh.rpps = $3)
		  AND sh.during && tstzrange($4::timestamptz, $5::timestamptz, '[)')
		ORDER BY lower(sh.during), sp.menu_digit, sh.rank`,
		territoryID, f.SpecialtyID, f.RPPS, from, to)
	if err != nil {
		return nil, fmt.Errorf("list shifts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Shift, error) {
		var sh Shift
		err := r.Scan(&sh.ID, &sh.TerritoryID, &sh.SpecialtyID, &sh.Specialty, &sh.RPPS,
			&sh.LastName, &sh.FirstName, &sh.Start, &sh.End, &sh.Rank)
		return sh, err
	})
	if err != nil {
		return nil, fmt.Errorf("list shifts: %w", err)
	}
	return out, nil
}

// insertShifts writes shifts in one statement; an overlap with a shift
// written meanwhile comes back as ErrOverlap.
func insertShifts(ctx context.Context, db querier, territoryID int64, shifts []Shift) ([]int64, error) {
	if len(shifts) == 0 {
		return nil, nil
	}
	specialties := make([]int64, len(shifts))
	rpps := make([]string, len(shifts))
	starts := make([]time.Time, len(shifts))
	ends := make([]time.Time, len(shifts))
	ranks := make([]int16, len(shifts))
	for i, sh := range shifts {
		specialties[i], rpps[i], starts[i], ends[i], ranks[i] = sh.SpecialtyID, sh.RPPS, sh.Start, sh.End, int16(sh.Rank)
	}
	rows, err := db.Query(ctx, `
		INSERT INTO shift (territory_id, specialty_id, rpps, during, rank)
		SELECT $1, s, r, tstzrange(b, e, '[)'), k
		FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::smallint[])
		     WITH ORDINALITY AS x(s, r, b, e, k, n)
		ORDER BY n
		RETURNING id`, territoryID, specialties, rpps, starts, ends, ranks)
	if err != nil {
		return nil, fmt.Errorf("insert shifts: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if isExclusionViolation(err) {
		return nil, fmt.Errorf("insert shifts: a shift written meanwhile by someone else %w; nothing was written, run the import again", ErrOverlap)
	}
	if err != nil {
		return nil, fmt.Errorf("insert shifts: %w", err)
	}
	return ids, nil
}
