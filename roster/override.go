package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// Override puts a specialist in a rank for a span, in place of whoever the
// shifts say holds it (a swap, a sick leave), without editing the shifts.
type Override struct {
	ID          int64
	TerritoryID int64
	SpecialtyID int64
	Specialty   string // slug
	RPPS        string
	LastName    string
	FirstName   string
	Start, End  time.Time
	Rank        int
	Reason      string
}

// NewOverride is what AddOverride needs.
type NewOverride struct {
	SpecialtyID int64
	RPPS        string // 11 digits or the national 12-character form
	Start, End  time.Time
	Rank        int // 1 when zero
	Reason      string
}

// AddOverride records an override. The specialist must be enrolled as
// requis for the specialty in the territory; two overrides of one
// specialty and rank cannot overlap (ErrOverlap: delete the old one first).
func (s *Store) AddOverride(ctx context.Context, territoryID int64, in NewOverride) (Override, error) {
	if in.Rank == 0 {
		in.Rank = 1
	}
	rpps, err := oncall.NormalizeRPPS(in.RPPS)
	if err != nil {
		return Override{}, fmt.Errorf("override: %w", err)
	}
	if in.Rank < 1 || in.Rank > 9 {
		return Override{}, fmt.Errorf("override: rank %d: want 1 (called first) to 9", in.Rank)
	}
	if err := CheckText("reason", in.Reason, MaxReasonLen); err != nil {
		return Override{}, fmt.Errorf("override: %w", err)
	}
	if !in.End.After(in.Start) {
		return Override{}, fmt.Errorf("override: end %s is not after start %s",
			in.End.Format(time.RFC3339), in.Start.Format(time.RFC3339))
	}
	var id int64
	// The check, the insert and the audit record commit together.
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Locked until commit, as the shifts' check does: a removal of
		// this enrolment waits, then sees the override.
		var enrolmentID int64
		err := tx.QueryRow(ctx, `
			SELECT e.id FROM enrolment e JOIN specialty sp ON sp.id = e.specialty_id
			 WHERE e.territory_id = $1 AND e.rpps = $2 AND e.role = 'requis'
			   AND e.specialty_id = $3 AND sp.territory_id = $1
			   FOR KEY SHARE OF e`,
			territoryID, rpps, in.SpecialtyID).Scan(&enrolmentID)
		enrolled := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("override: check enrolment: %w", err)
		}
		if !enrolled {
			return fmt.Errorf("override: rpps %s is not enrolled as requis for specialty %d in territory %d: %w",
				rpps, in.SpecialtyID, territoryID, oncall.ErrNotFound)
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO override (territory_id, specialty_id, rpps, during, rank, reason)
			VALUES ($1, $2, $3, tstzrange($4, $5, '[)'), $6, $7) RETURNING id`,
			territoryID, in.SpecialtyID, rpps, in.Start, in.End, in.Rank, in.Reason).Scan(&id)
		if isExclusionViolation(err) {
			return fmt.Errorf("override rank %d %s → %s %w (list them and delete the old one first)",
				in.Rank, in.Start.Format(time.RFC3339), in.End.Format(time.RFC3339), ErrOverlap)
		}
		if err != nil {
			return fmt.Errorf("override: insert: %w", err)
		}
		return audit(ctx, tx, territoryID, journal.ActionOverrideAdded, map[string]any{
			"override": id, "rpps": rpps, "specialty_id": in.SpecialtyID, "rank": in.Rank,
			"start": in.Start, "end": in.End, "reason": in.Reason})
	})
	if err != nil {
		return Override{}, err
	}
	list, err := s.overrides(ctx, territoryID, `o.id = $2`, id)
	if err != nil || len(list) != 1 {
		return Override{}, fmt.Errorf("override %d: read back: %w", id, err)
	}
	return list[0], nil
}

// Overrides lists a territory's overrides overlapping [from, to) (zero
// times do not bound), by start.
func (s *Store) Overrides(ctx context.Context, territoryID int64, from, to time.Time) ([]Override, error) {
	var f, t *time.Time
	if !from.IsZero() {
		f = &from
	}
	if !to.IsZero() {
		t = &to
	}
	return s.overrides(ctx, territoryID, `o.during && tstzrange($2::timestamptz, $3::timestamptz, '[)')`, f, t)
}

func (s *Store) overrides(ctx context.Context, territoryID int64, where string, args ...any) ([]Override, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT o.id, o.territory_id, o.specialty_id, sp.slug, o.rpps, p.last_name, p.first_name,
		       lower(o.during), upper(o.during), o.rank, o.reason
		FROM override o
		JOIN specialty sp ON sp.id = o.specialty_id
		JOIN practitioner p ON p.rpps = o.rpps
		WHERE o.territory_id = $1 AND `+where+`
		ORDER BY lower(o.during), sp.menu_digit, o.rank`, append([]any{territoryID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list overrides: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Override, error) {
		var o Override
		err := r.Scan(&o.ID, &o.TerritoryID, &o.SpecialtyID, &o.Specialty, &o.RPPS, &o.LastName, &o.FirstName,
			&o.Start, &o.End, &o.Rank, &o.Reason)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("list overrides: %w", err)
	}
	return out, nil
}

// DeleteOverride removes one of the territory's overrides; ErrNotFound when
// it has no override with that id.
func (s *Store) DeleteOverride(ctx context.Context, territoryID, id int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var rpps string
		var specialtyID int64
		var rank int
		var start, end time.Time
		err := tx.QueryRow(ctx, `DELETE FROM override WHERE id = $1 AND territory_id = $2
			RETURNING rpps, specialty_id, rank, lower(during), upper(during)`, id, territoryID).
			Scan(&rpps, &specialtyID, &rank, &start, &end)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("override %d: %w", id, oncall.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("delete override %d: %w", id, err)
		}
		return audit(ctx, tx, territoryID, journal.ActionOverrideDeleted, map[string]any{
			"override": id, "rpps": rpps, "specialty_id": specialtyID, "rank": rank, "start": start, "end": end})
	})
	return err
}
