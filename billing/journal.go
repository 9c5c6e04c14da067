package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ActionExportBilling is the journal's action for a billing statement
// exported, from the console or the command line.
const ActionExportBilling = "export.billing"

// JournalExport writes an export to audit_log: who, when, what. Detail
// must never hold a secret.
func (s *Store) JournalExport(ctx context.Context, at time.Time, actor string, territoryID int64, action string, detail map[string]any) error {
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("journal %s: %w", action, err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO audit_log (at, actor, territory_id, action, detail) VALUES ($1, $2, $3, $4, $5)`,
		at, actor, territoryID, action, raw); err != nil {
		return fmt.Errorf("journal %s: %w", action, err)
	}
	return nil
}

// TerritoryBySlug finds a territory's id, within the store's scope.
func (s *Store) TerritoryBySlug(ctx context.Context, slug string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM territory WHERE slug = $1 AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
		slug, s.scope).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("territory %s: %w", slug, ErrNotFound)
	}
	return id, nil
}
