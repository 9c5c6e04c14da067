package roster

import (
	"context"
	"fmt"

	"github.com/regul-sante/regul/roster/oncall"
)

// Names of practitioners and specialties, for the lists and messages of
// other packages that keep only RPPS numbers and specialty ids.

// PractitionerNamesIn reads the first and last names of these practitioners
// through db (a pool, or the caller's transaction); an RPPS not in the
// directory is absent from the map.
func (s *Store) PractitionerNamesIn(ctx context.Context, db Querier, rpps []string) (map[string]oncall.Practitioner, error) {
	out := make(map[string]oncall.Practitioner, len(rpps))
	if len(rpps) == 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, `SELECT rpps, first_name, last_name FROM practitioner WHERE rpps = ANY($1)`, rpps)
	if err != nil {
		return nil, fmt.Errorf("practitioners' names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p oncall.Practitioner
		if err := rows.Scan(&p.RPPS, &p.FirstName, &p.LastName); err != nil {
			return nil, fmt.Errorf("practitioners' names: %w", err)
		}
		out[p.RPPS] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("practitioners' names: %w", err)
	}
	return out, nil
}

// PractitionerFullNames is "First Last" per RPPS found in the directory.
func (s *Store) PractitionerFullNames(ctx context.Context, rpps []string) (map[string]string, error) {
	found, err := s.PractitionerNamesIn(ctx, s.pool, rpps)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(found))
	for r, p := range found {
		out[r] = p.FirstName + " " + p.LastName
	}
	return out, nil
}

// SpecialtyLabelsIn reads the labels of these specialties through db; an
// unknown id is absent from the map.
func (s *Store) SpecialtyLabelsIn(ctx context.Context, db Querier, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, `SELECT id, label FROM specialty WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("specialty labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var label string
		if err := rows.Scan(&id, &label); err != nil {
			return nil, fmt.Errorf("specialty labels: %w", err)
		}
		out[id] = label
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("specialty labels: %w", err)
	}
	return out, nil
}

// SpecialtyLabels is SpecialtyLabelsIn on the store's pool.
func (s *Store) SpecialtyLabels(ctx context.Context, ids []int64) (map[int64]string, error) {
	return s.SpecialtyLabelsIn(ctx, s.pool, ids)
}

// PractitionersByName returns the practitioners of these RPPS found in the
// directory ordered by last name, first name and RPPS, in the database's
// collation: the order a billing statement lists them in.
func (s *Store) PractitionersByName(ctx context.Context, rpps []string) ([]oncall.Practitioner, error) {
	rows, err := s.pool.Query(ctx, `SELECT rpps, first_name, last_name FROM practitioner WHERE rpps = ANY($1)
		ORDER BY last_name, first_name, rpps`, rpps)
	if err != nil {
		return nil, fmt.Errorf("practitioners by name: %w", err)
	}
	defer rows.Close()
	var out []oncall.Practitioner
	for rows.Next() {
		var p oncall.Practitioner
		if err := rows.Scan(&p.RPPS, &p.FirstName, &p.LastName); err != nil {
			return nil, fmt.Errorf("practitioners by name: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("practitioners by name: %w", err)
	}
	return out, nil
}
