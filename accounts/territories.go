package accounts

import (
	"context"
	"fmt"
	"slices"

	"github.com/regul-sante/regul/roster"
)

// TerritoryNames is the territories' owner (roster) as accounts reads it:
// the ids, slugs, names and time zones an account's territories are given
// and shown by.
type TerritoryNames interface {
	TerritoryNames(ctx context.Context) ([]roster.TerritoryName, error)
}

// territoryID finds a territory by slug among names.
func territoryID(names []roster.TerritoryName, slug string) (int64, bool) {
	for _, t := range names {
		if t.Slug == slug {
			return t.ID, true
		}
	}
	return 0, false
}

// slugsOf names an account's territories by slug, sorted.
func (s *Store) slugsOf(ctx context.Context, ids []int64) ([]string, error) {
	slugs := []string{}
	if len(ids) == 0 {
		return slugs, nil
	}
	names, err := s.territories.TerritoryNames(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range names {
		if slices.Contains(ids, t.ID) {
			slugs = append(slugs, t.Slug)
		}
	}
	slices.Sort(slugs)
	return slugs, nil
}

// withSlugs fills the accounts' Territories from the territory ids read
// with them.
func (s *Store) withSlugs(ctx context.Context, accs []Account, ids [][]int64) error {
	for i := range accs {
		slugs, err := s.slugsOf(ctx, ids[i])
		if err != nil {
			return fmt.Errorf("territories of %s: %w", accs[i].Email, err)
		}
		accs[i].Territories = slugs
	}
	return nil
}
