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

// StillOnDutyError refuses the removal of a specialist the planning still
// counts on: Upcoming shifts and overrides are not over yet.
type StillOnDutyError struct{ Upcoming int }

func (e *StillOnDutyError) Error() string {
	return fmt.Sprintf("%d shifts or overrides to come", e.Upcoming)
}

// RemoveEnrolment deletes an enrolment of the scope territory and journals
// it under the context's actor at the given instant. Shifts and overrides
// reference the practitioner, not the enrolment, so the database would let
// a specialist with shifts to come be removed: the line would still ring
// them, but on their directory number (a practice line) instead of the
// mobile of the enrolment, and the planning could no longer edit those
// shifts. So a requis with a shift or override not yet over is refused
// (*StillOnDutyError) until the planning no longer names them for that
// specialty. ErrNotFound (wrapped) when the enrolment is not there.
func (s *Store) RemoveEnrolment(ctx context.Context, scope Scope, e EnrolmentCard, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var specialtyID *int64
		err := tx.QueryRow(ctx, `SELECT specialty_id FROM enrolment
			WHERE id = $3 AND `+scope.where("territory_id", 1)+` FOR UPDATE`,
			scope.Allowed, scope.Territory, e.ID).Scan(&specialtyID)
		if errors.Is(err, pgx.ErrNoRows) {
			return oncall.ErrNotFound
		}
		if err != nil {
			return err
		}
		if specialtyID != nil {
			var n int
			err := tx.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM shift WHERE territory_id = $1 AND specialty_id = $2 AND rpps = $3 AND upper(during) > $4) +
				(SELECT count(*) FROM override WHERE territory_id = $1 AND specialty_id = $2 AND rpps = $3 AND upper(during) > $4)`,
				scope.Territory, *specialtyID, e.RPPS, at).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				return &StillOnDutyError{Upcoming: n}
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM enrolment WHERE id = $1`, e.ID); err != nil {
			return err
		}
		return auditAt(ctx, tx, at, scope.Territory, journal.ActionEnrolmentRemoved,
			map[string]any{"rpps": e.RPPS, "role": e.Role, "specialty": e.Specialty, "enrolment": e.ID})
	})
	if err != nil {
		return fmt.Errorf("remove enrolment %d: %w", e.ID, err)
	}
	return nil
}
