package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
)

// JournalExport writes an export to the journal: who, when, what. Detail
// must never hold a secret.
func (s *Store) JournalExport(ctx context.Context, at time.Time, actor string, territoryID int64, action string, detail map[string]any) error {
	return journal.Write(ctx, s.pool, journal.Entry{At: at, Actor: actor, TerritoryID: territoryID, Action: action, Detail: detail})
}

// TerritoryBySlug finds a territory's id, within the store's scope.
func (s *Store) TerritoryBySlug(ctx context.Context, slug string) (int64, error) {
	t, err := s.territory(ctx, func(t roster.TerritoryName) bool { return t.Slug == slug })
	if err != nil {
		return 0, fmt.Errorf("territory %s: %w", slug, ErrNotFound)
	}
	return t.ID, nil
}
