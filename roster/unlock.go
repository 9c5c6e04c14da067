package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ActionUnlocked is the journal's name for an unlock, from the console or
// `regul enrol unlock` alike.
const ActionUnlocked = "enrolment.unlocked"

// UnlockRequest names the enrolment to unlock: by id within a scope (the
// console) or by a GP's RPPS in a territory (the command line).
type UnlockRequest struct {
	Scope       Scope
	EnrolmentID int64  // with Scope
	RPPS        string // with Scope.Territory only: a requérant's RPPS
	At          time.Time
}

// Unlocked is the enrolment an unlock lifted.
type Unlocked struct {
	EnrolmentID int64
	RPPS        string
	Role        Role
}

// Unlock lifts a lockout: the enrolment's count and lock, the locks of the
// RPPS from any number, and those of the caller numbers enrolled for it —
// else a GP unlocked by a coordinator could still be refused from their
// own phone. One journal row, in the same transaction. ErrNotFound
// (wrapped) when no such enrolment is in the scope.
func (s *Store) Unlock(ctx context.Context, req UnlockRequest) (Unlocked, error) {
	cond, key := "e.id = $3 AND "+req.Scope.where("e.territory_id", 1), any(req.EnrolmentID)
	args := []any{req.Scope.Allowed, req.Scope.Territory}
	if req.EnrolmentID == 0 {
		norm, err := NormalizeRPPS(req.RPPS)
		if err != nil {
			return Unlocked{}, fmt.Errorf("unlock: %w", err)
		}
		cond, key, args = "e.rpps = $2 AND e.role = 'requerant' AND e.territory_id = $1", norm, []any{req.Scope.Territory}
	}
	var u Unlocked
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var phones []string
		err := tx.QueryRow(ctx, `UPDATE enrolment e SET failed_pin_attempts = 0, locked_until = NULL, updated_at = $`+
			fmt.Sprint(len(args)+2)+` WHERE `+cond+` RETURNING e.id, e.rpps, e.role, e.phones`,
			append(args, key, req.At)...).Scan(&u.EnrolmentID, &u.RPPS, &u.Role, &phones)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		territory := req.Scope.Territory
		if _, err := tx.Exec(ctx, `DELETE FROM ident_failure WHERE territory_id = $1 AND caller_number = ANY($2)`, territory, phones); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ident_pair_failure WHERE territory_id = $1 AND rpps = $2`, territory, u.RPPS); err != nil {
			return err
		}
		return auditAt(ctx, tx, req.At, territory, ActionUnlocked,
			map[string]any{"rpps": u.RPPS, "role": u.Role, "enrolment": u.EnrolmentID})
	})
	if err != nil {
		return Unlocked{}, fmt.Errorf("unlock %s%s: %w", req.RPPS, idLabel(req.EnrolmentID), err)
	}
	return u, nil
}

func idLabel(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("enrolment %d", id)
}
