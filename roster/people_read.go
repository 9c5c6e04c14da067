package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/roster/oncall"
)

// PersonRow is one enrolment as the coordinators' People list shows it.
type PersonRow struct {
	EnrolmentID    int64
	RPPS           string
	LastName       string
	FirstName      string
	Role           string // requerant | requis
	Specialty      string // label; "" for a requérant
	Phones         []string
	HasPIN         bool
	FailedAttempts int
	LockedUntil    time.Time // zero when never locked
}

// PeopleFilter narrows the People list. Zero fields do not filter.
type PeopleFilter struct {
	Role  string // "requerant" or "requis"
	Query string // start of an RPPS, or part of "NOM Prénom" (any case)
}

// People lists the scope territory's enrolments, specialists first (in
// menu order), then by name. The phones are the enrolment's own, else the
// directory's.
func (s *Store) People(ctx context.Context, scope Scope, f PeopleFilter) ([]PersonRow, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT e.id, p.rpps, p.last_name, p.first_name, e.role, coalesce(s.label, ''),
		       CASE WHEN cardinality(e.phones) > 0 THEN e.phones ELSE p.phones END,
		       e.pin_hash IS NOT NULL, e.failed_pin_attempts, e.locked_until
		FROM enrolment e
		JOIN practitioner p ON p.rpps = e.rpps
		LEFT JOIN specialty s ON s.id = e.specialty_id
		WHERE `+scope.where("e.territory_id", 1)+`
		  AND ($3 = '' OR e.role = $3)
		  AND ($4 = '' OR p.rpps LIKE $4 || '%' OR strpos(lower(p.last_name || ' ' || p.first_name), lower($4)) > 0)
		ORDER BY e.role DESC, s.menu_digit NULLS FIRST, p.last_name, p.first_name`,
		scope.Allowed, scope.Territory, f.Role, f.Query)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	people, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (PersonRow, error) {
		var p PersonRow
		var locked *time.Time
		err := row.Scan(&p.EnrolmentID, &p.RPPS, &p.LastName, &p.FirstName, &p.Role, &p.Specialty,
			&p.Phones, &p.HasPIN, &p.FailedAttempts, &locked)
		if locked != nil {
			p.LockedUntil = *locked
		}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	return people, nil
}

// LockedNumbersOf is LockedNumbers on the store's pool.
func (s *Store) LockedNumbersOf(ctx context.Context, territoryID int64, now time.Time) (map[string][]LockSource, error) {
	return LockedNumbers(ctx, s.pool, territoryID, now)
}

// EnrolmentCard is one enrolment, as the pages about a single person need it.
type EnrolmentCard struct {
	ID              int64
	RPPS            string
	LastName        string
	FirstName       string
	Role            oncall.Role
	Specialty       string // slug; requis only
	SpecialtyLabel  string
	Phones          []string // the enrolment's own, rung or recognised in order
	DirectoryPhones []string // used when the enrolment has none
}

// EnrolmentIn reads one enrolment of the scope territory; ErrNotFound
// (wrapped) for an id that is not there, whichever territory has it.
func (s *Store) EnrolmentIn(ctx context.Context, scope Scope, id int64) (EnrolmentCard, error) {
	var e EnrolmentCard
	err := s.pool.QueryRow(ctx, `
		SELECT e.id, p.rpps, p.last_name, p.first_name, e.role, coalesce(s.slug, ''), coalesce(s.label, ''), e.phones, p.phones
		FROM enrolment e
		JOIN practitioner p ON p.rpps = e.rpps
		LEFT JOIN specialty s ON s.id = e.specialty_id
		WHERE e.id = $3 AND `+scope.where("e.territory_id", 1),
		scope.Allowed, scope.Territory, id).
		Scan(&e.ID, &e.RPPS, &e.LastName, &e.FirstName, &e.Role, &e.Specialty, &e.SpecialtyLabel, &e.Phones, &e.DirectoryPhones)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("enrolment %d: %w", id, oncall.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("enrolment %d: %w", id, err)
	}
	return e, nil
}

// DirectoryName is the directory's name of an RPPS; ErrNotFound (wrapped)
// when the directory does not know it.
func (s *Store) DirectoryName(ctx context.Context, rpps string) (last, first string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT last_name, first_name FROM practitioner WHERE rpps = $1`, rpps).Scan(&last, &first)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", fmt.Errorf("directory name of %s: %w", rpps, oncall.ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("directory name of %s: %w", rpps, err)
	}
	return last, first, nil
}

// PractitionerNames maps RPPS numbers to "Prénom NOM" (the directory's
// names are public professional data, not a territory's); unknown numbers
// are left out.
func (s *Store) PractitionerNames(ctx context.Context, rpps []string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT rpps, first_name || ' ' || last_name FROM practitioner WHERE rpps = ANY($1)`, rpps)
	if err != nil {
		return nil, fmt.Errorf("practitioner names: %w", err)
	}
	defer rows.Close()
	names := map[string]string{}
	for rows.Next() {
		var k, n string
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("practitioner names: %w", err)
		}
		names[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("practitioner names: %w", err)
	}
	return names, nil
}
