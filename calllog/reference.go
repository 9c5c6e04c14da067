package calllog

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/regul-sante/regul/calllog/callevent"
)

// maxDerivations bounds the re-derivations on collision: with a billion
// references, needing more than a few means something else is wrong.
const maxDerivations = 50

// claimReference stores the call's territory and reference (the proposed
// one, else the first derived one free in the territory), each try in a
// savepoint so that a collision — also with a concurrent controller's
// uncommitted call, which PostgreSQL makes us wait for — costs nothing but
// the try. A reference already stored for the call is kept.
func claimReference(ctx context.Context, tx pgx.Tx, callID string, territoryID int64, proposed string) error {
	var current *string
	if err := tx.QueryRow(ctx, `SELECT reference FROM call WHERE id = $1`, callID).Scan(&current); err != nil {
		return fmt.Errorf("reference of call %s: %w", callID, err)
	}
	candidates := func(n int) string {
		switch {
		case n == 0 && current != nil:
			return *current
		case n == 0 && callevent.ValidReference(proposed):
			return proposed
		default:
			return callevent.DeriveReference(callID, n)
		}
	}
	for n := 0; n <= maxDerivations; n++ {
		ref := candidates(n)
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			_, err := sp.Exec(ctx, `UPDATE call SET territory_id = coalesce(nullif($2::bigint, 0), territory_id), reference = $3
				WHERE id = $1`, callID, territoryID, ref)
			return err
		})
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23505" && pgErr.ConstraintName == referenceConstraint {
			continue
		}
		return err
	}
	return fmt.Errorf("call %s: no free reference after %d derivations", callID, maxDerivations)
}

// referenceConstraint is the UNIQUE (territory_id, reference) of call.
const referenceConstraint = "call_territory_reference"
