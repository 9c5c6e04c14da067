package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SpecialtyChoice is one specialty of a territory, as a filter offers it.
type SpecialtyChoice struct {
	ID          int64
	Slug, Label string
}

// SpecialtyChoices lists the scope territory's specialties in menu order.
func (s *Store) SpecialtyChoices(ctx context.Context, scope Scope) ([]SpecialtyChoice, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, slug, label FROM specialty s
		WHERE `+scope.where("s.territory_id", 1)+` ORDER BY menu_digit, slug`,
		scope.Allowed, scope.Territory)
	if err != nil {
		return nil, fmt.Errorf("specialties of territory %d: %w", scope.Territory, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SpecialtyChoice])
	if err != nil {
		return nil, fmt.Errorf("specialties of territory %d: %w", scope.Territory, err)
	}
	return list, nil
}

// SpecialtyLabel is the label of one specialty of the scope territory; ""
// when it is not there.
func (s *Store) SpecialtyLabel(ctx context.Context, scope Scope, id int64) (string, error) {
	var label string
	err := s.pool.QueryRow(ctx, `SELECT label FROM specialty s WHERE s.id = $3 AND `+scope.where("s.territory_id", 1),
		scope.Allowed, scope.Territory, id).Scan(&label)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("specialty %d: %w", id, err)
	}
	return label, nil
}

// RosterCounts are the home page's figures about a territory's roster.
type RosterCounts struct {
	GPs, Specialists int
	Locked           int // enrolments locked at the instant
	Specialties      int
	Shifts           int // shifts overlapping the window
}

// Counts reads a territory's roster figures in one round trip: the locks
// at now, and the shifts overlapping [now, until).
func (s *Store) Counts(ctx context.Context, scope Scope, now, until time.Time) (RosterCounts, error) {
	var n RosterCounts
	err := s.pool.QueryRow(ctx, `
		SELECT
		  (SELECT count(*) FROM enrolment e WHERE `+scope.where("e.territory_id", 1)+` AND e.role = 'requerant'),
		  (SELECT count(*) FROM enrolment e WHERE `+scope.where("e.territory_id", 1)+` AND e.role = 'requis'),
		  (SELECT count(*) FROM enrolment e WHERE `+scope.where("e.territory_id", 1)+` AND e.locked_until > $3),
		  (SELECT count(*) FROM specialty s WHERE `+scope.where("s.territory_id", 1)+`),
		  (SELECT count(*) FROM shift sh WHERE `+scope.where("sh.territory_id", 1)+` AND sh.during && tstzrange($3, $4))`,
		scope.Allowed, scope.Territory, now, until).
		Scan(&n.GPs, &n.Specialists, &n.Locked, &n.Specialties, &n.Shifts)
	if err != nil {
		return n, fmt.Errorf("roster counts of territory %d: %w", scope.Territory, err)
	}
	return n, nil
}
