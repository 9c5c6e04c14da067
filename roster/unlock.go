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

// UnlockRequest names the enrolment to unlock in the scope's territory: by
// id (the console) or by a requérant's RPPS (the command line, whose scope
// names the territory alone).
type UnlockRequest struct {
	Scope       Scope
	EnrolmentID int64  // zero: RPPS
	RPPS        string // a requérant's
	At          time.Time
}

// Unlocked is the enrolment an unlock lifted.
type Unlocked struct {
	EnrolmentID int64
	RPPS        string
	Role        oncall.Role
}

// Unlock lifts a lockout: the enrolment's count and lock, the locks of the
// RPPS from any number, and those of the caller numbers enrolled for it —
// else a GP unlocked by a coordinator could still be refused from their
// own phone. One journal row, in the same transaction. ErrNotFound
// (wrapped) when no such enrolment is in the scope.
func (s *Store) Unlock(ctx context.Context, req UnlockRequest) (Unlocked, error) {
	scope := req.Scope
	if scope.Allowed == nil {
		scope.Allowed = []int64{scope.Territory}
	}
	// By id, or a requérant by RPPS (a requis has no PIN).
	key, match := any(req.EnrolmentID), `e.id = $3`
	if req.EnrolmentID == 0 {
		norm, err := oncall.NormalizeRPPS(req.RPPS)
		if err != nil {
			return Unlocked{}, fmt.Errorf("unlock: %w", err)
		}
		key, match = norm, `e.rpps = $3 AND e.role = 'requerant'`
	}
	var u Unlocked
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var phones []string
		err := tx.QueryRow(ctx, `UPDATE enrolment e SET failed_pin_attempts = 0, locked_until = NULL, updated_at = $4
			WHERE `+match+` AND `+scope.where("e.territory_id", 1)+` RETURNING e.id, e.rpps, e.role, e.phones`,
			scope.Allowed, scope.Territory, key, req.At).Scan(&u.EnrolmentID, &u.RPPS, &u.Role, &phones)
		if errors.Is(err, pgx.ErrNoRows) {
			return oncall.ErrNotFound
		}
		if err != nil {
			return err
		}
		territory := scope.Territory
		if _, err := tx.Exec(ctx, `DELETE FROM ident_failure WHERE territory_id = $1 AND caller_number = ANY($2)`, territory, phones); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ident_pair_failure WHERE territory_id = $1 AND rpps = $2`, territory, u.RPPS); err != nil {
			return err
		}
		return auditAt(ctx, tx, req.At, territory, journal.ActionEnrolmentUnlocked,
			map[string]any{"rpps": u.RPPS, "role": u.Role, "enrolment": u.EnrolmentID})
	})
	if err != nil {
		return Unlocked{}, fmt.Errorf("unlock %s: %w", unlockLabel(req), err)
	}
	return u, nil
}

// unlockLabel names the enrolment of a request in errors.
func unlockLabel(req UnlockRequest) string {
	if req.EnrolmentID != 0 {
		return fmt.Sprintf("enrolment %d", req.EnrolmentID)
	}
	return req.RPPS
}
