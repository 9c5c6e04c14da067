package roster

import (
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store reads and writes the roster in PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	lockout LockoutPolicy // zero: DefaultLockoutPolicy
}

// NewStore returns a store on an open pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }
