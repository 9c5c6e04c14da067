// Package journal alone reads and writes audit_log, the journal every
// change of the line leaves: who, when, in which territory, what. The
// owners of the data write their rows in the transaction of the change
// (Write with their pgx.Tx), so a change and its row commit together.
package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Entry is one row of the journal.
type Entry struct {
	ID          int64 // set when read
	At          time.Time
	Actor       string // "cli:alice", "web:…", an account's email, "system"
	TerritoryID int64  // 0: the row concerns no single territory (a login, a tariff)
	Action      string // one of the Action… constants
	// Detail is encoded as a JSON object; it must never hold a secret.
	Detail any
	// RawDetail is the stored JSON, when read.
	RawDetail []byte
}

// Execer is where a row is written: the caller's pgx.Tx, to commit the row
// with the change it records, or a pool for a row that records no change
// (an export, a login).
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Write appends e. A zero At is the database's clock, as the transaction
// sees it.
func Write(ctx context.Context, db Execer, e Entry) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("journal %s: encode detail: %w", e.Action, err)
	}
	var territory *int64
	if e.TerritoryID != 0 {
		territory = &e.TerritoryID
	}
	var at *time.Time
	if !e.At.IsZero() {
		at = &e.At
	}
	if _, err := db.Exec(ctx, `INSERT INTO audit_log (at, actor, territory_id, action, detail)
		VALUES (coalesce($1, now()), $2, $3, $4, $5)`, at, e.Actor, territory, e.Action, raw); err != nil {
		return fmt.Errorf("journal %s: %w", e.Action, err)
	}
	return nil
}

// Store reads and writes the journal outside any caller's transaction.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns the journal on an open pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Write appends e in its own statement.
func (s *Store) Write(ctx context.Context, e Entry) error { return Write(ctx, s.pool, e) }

// Page is a territory's journal, newest first, from the row before id
// before (0: from the newest), at most limit rows. scope is the
// territories the reader may see: another territory reads as empty.
func (s *Store) Page(ctx context.Context, scope []int64, territoryID, before int64, limit int) ([]Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor, action, detail FROM audit_log
		WHERE territory_id = ANY($1::bigint[]) AND territory_id = $2 AND ($3 = 0 OR id < $3)
		ORDER BY at DESC, id DESC LIMIT $4`, scope, territoryID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("journal of territory %d: %w", territoryID, err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		e := Entry{TerritoryID: territoryID}
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.RawDetail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("journal of territory %d: %w", territoryID, err)
	}
	return entries, nil
}
