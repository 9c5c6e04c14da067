package roster

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TerritoryName is a territory as the accounts and reports name it: no
// hours, numbers nor specialties.
type TerritoryName struct {
	ID       int64
	Slug     string
	Name     string
	Location *time.Location
}

// TerritoryNames lists every territory by name, in one light query (the
// console's sessions read it on each request).
func (s *Store) TerritoryNames(ctx context.Context) ([]TerritoryName, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, slug, name, timezone FROM territory ORDER BY name, slug`)
	if err != nil {
		return nil, fmt.Errorf("territory names: %w", err)
	}
	names, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TerritoryName, error) {
		var t TerritoryName
		var tz string
		if err := row.Scan(&t.ID, &t.Slug, &t.Name, &tz); err != nil {
			return t, err
		}
		loc, err := loadLocation(tz)
		if err != nil {
			return t, fmt.Errorf("territory %s: time zone %q: %w", t.Slug, tz, err)
		}
		t.Location = loc
		return t, nil
	})
	if err != nil {
		return nil, fmt.Errorf("territory names: %w", err)
	}
	return names, nil
}
