package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/regul-sante/regul/accounts/journal"
)

// JournalExport writes an export to the journal: who, when, what. Detail
// must never hold a secret.
func (s *Store) JournalExport(ctx context.Context, at time.Time, actor string, territoryID int64, action string, detail map[string]any) error {
	return journal.Write(ctx, s.pool, journal.Entry{At: at, Actor: actor, TerritoryID: territoryID, Action: action, Detail: detail})
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
