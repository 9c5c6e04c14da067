package billing

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
)

// newStore is the store as wiring builds it: calls from calllog, names
// from roster.
func newStore(pool *pgxpool.Pool) *Store {
	return NewStore(pool, Sources{Calls: calllog.NewStore(pool), Directory: roster.NewStore(pool)})
}
