package roster

import (
	"context"
	"fmt"

	"github.com/regul-sante/regul/roster/oncall"
)

// SpokenNames are the roster's names the line says: each territory's name,
// each specialty's label and each enrolled practitioner's name.
type SpokenNames struct {
	Territories   []TerritoryName // by slug
	Specialties   []SpokenSpecialty
	Practitioners []oncall.Practitioner // the enrolled ones, by RPPS; names only
}

// SpokenSpecialty is a specialty's label, with its territory's slug.
type SpokenSpecialty struct {
	TerritorySlug string
	Slug          string
	Label         string
}

// SpokenNames reads the names the line says.
func (s *Store) SpokenNames(ctx context.Context) (SpokenNames, error) {
	var out SpokenNames
	read := func(what, sql string, each func(a, b, c string)) error {
		rows, err := s.pool.Query(ctx, sql)
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, b, c string
			if err := rows.Scan(&a, &b, &c); err != nil {
				return fmt.Errorf("read %s: %w", what, err)
			}
			each(a, b, c)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		return nil
	}
	err := read("territories", `SELECT slug, name, '' FROM territory ORDER BY slug`, func(slug, name, _ string) {
		out.Territories = append(out.Territories, TerritoryName{Slug: slug, Name: name})
	})
	if err == nil {
		err = read("specialties", `SELECT t.slug, s.slug, s.label FROM specialty s JOIN territory t ON t.id = s.territory_id
			ORDER BY t.slug, s.menu_digit`, func(territory, slug, label string) {
			out.Specialties = append(out.Specialties, SpokenSpecialty{TerritorySlug: territory, Slug: slug, Label: label})
		})
	}
	if err == nil {
		err = read("practitioners", `SELECT p.rpps, p.first_name, p.last_name FROM practitioner p
			WHERE EXISTS (SELECT 1 FROM enrolment e WHERE e.rpps = p.rpps) ORDER BY p.rpps`, func(rpps, first, last string) {
			out.Practitioners = append(out.Practitioners, oncall.Practitioner{RPPS: rpps, FirstName: first, LastName: last})
		})
	}
	return out, err
}
