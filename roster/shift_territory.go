package roster

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/regul-sante/regul/roster/oncall"
)

// querier is what the roster code needs from a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// shiftTerritoryByID loads a territory inside the planning code's
// transaction (or on the pool).
func (s *Store) shiftTerritoryByID(ctx context.Context, db querier, id int64) (oncall.Territory, error) {
	return loadTerritory(ctx, db, `WHERE t.id = $1`, id)
}
