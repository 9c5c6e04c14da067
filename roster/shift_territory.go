package roster

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what the roster code needs from a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// shiftTerritoryByID loads a territory inside the planning code's
// transaction (or on the pool).
func (s *Store) shiftTerritoryByID(ctx context.Context, db querier, id int64) (Territory, error) {
	return loadTerritory(ctx, db, `WHERE t.id = $1`, id)
}

func (t Territory) specialtyBySlug(name string) (Specialty, bool) {
	for _, sp := range t.Specialties {
		if strings.EqualFold(sp.Slug, name) || strings.EqualFold(sp.Label, name) {
			return sp, true
		}
	}
	return Specialty{}, false
}

// SpecialtyBySlug finds one of the territory's specialties by slug (or
// label), ignoring case; ErrNotFound names the known ones.
func (t Territory) SpecialtyBySlug(name string) (Specialty, error) {
	if sp, ok := t.specialtyBySlug(name); ok {
		return sp, nil
	}
	return Specialty{}, fmt.Errorf("specialty %q in %s (known: %s): %w", name, t.Slug, t.specialtySlugs(), ErrNotFound)
}

func (t Territory) specialtyByID(id int64) Specialty {
	for _, sp := range t.Specialties {
		if sp.ID == id {
			return sp
		}
	}
	return Specialty{ID: id, Slug: fmt.Sprintf("specialty#%d", id)}
}

func (t Territory) specialtySlugs() string {
	names := make([]string, len(t.Specialties))
	for i, sp := range t.Specialties {
		names[i] = sp.Slug
	}
	return strings.Join(names, ", ")
}
