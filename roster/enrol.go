package roster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// EnrolSpec adds or updates one enrolment.
type EnrolSpec struct {
	TerritoryID int64
	RPPS        string
	Role        oncall.Role
	Specialty   string   // specialty slug; requis only
	Phones      []string // replace the enrolment's phones when given (any format NormalizePhone reads)
	// Names add the practitioner when the directory does not have them
	// (and correct the names when it does).
	LastName  string
	FirstName string
	// EnrolmentID, when set, makes this an edit of that enrolment: if it
	// was removed meanwhile the edit is ErrNotFound, never a new enrolment.
	EnrolmentID int64
}

// EnrolError says why an enrolment was refused.
type EnrolError struct {
	RPPS   string
	Reason string
}

func (e *EnrolError) Error() string { return fmt.Sprintf("enrol %s: %s", e.RPPS, e.Reason) }

// normalize checks what can be checked without the database.
func (spec *EnrolSpec) normalize() error {
	rpps, err := oncall.NormalizeRPPS(spec.RPPS)
	if err != nil {
		return err
	}
	spec.RPPS = rpps
	switch spec.Role {
	case oncall.Requis:
		if spec.Specialty == "" {
			return &EnrolError{RPPS: rpps, Reason: "a requis needs a specialty"}
		}
	case oncall.Requerant:
		if spec.Specialty != "" {
			return &EnrolError{RPPS: rpps, Reason: "a requérant has no specialty"}
		}
	default:
		return &EnrolError{RPPS: rpps, Reason: fmt.Sprintf("role %q is not requerant or requis", spec.Role)}
	}
	phones, err := normalizePhones(spec.Phones)
	if err != nil {
		return err
	}
	spec.Phones = phones
	spec.LastName = strings.TrimSpace(spec.LastName)
	spec.FirstName = strings.TrimSpace(spec.FirstName)
	if spec.LastName == "" && spec.FirstName != "" {
		return &EnrolError{RPPS: rpps, Reason: "a first name without a last name"}
	}
	for _, f := range []struct{ name, v string }{{"last name", spec.LastName}, {"first name", spec.FirstName}} {
		if err := CheckText(f.name, f.v, MaxNameLen); err != nil {
			return &EnrolError{RPPS: rpps, Reason: err.Error()}
		}
	}
	return nil
}

// Enrol adds or updates an enrolment and reports whether it was created,
// updated or unchanged. Errors are *EnrolError, *RPPSError or *PhoneError.
func (s *Store) Enrol(ctx context.Context, spec EnrolSpec) (Change, error) {
	if err := spec.normalize(); err != nil {
		return "", err
	}
	var change Change
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		change, err = enrolTx(ctx, tx, spec)
		return err
	})
	return change, err
}

// enrolTx applies a normalised spec. Refusals (*EnrolError) are found with
// plain reads before any write, so the transaction stays usable and an
// import can report every bad line.
func enrolTx(ctx context.Context, tx pgx.Tx, spec EnrolSpec) (Change, error) {
	var specialtyID *int64
	if spec.Role == oncall.Requis {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM specialty WHERE territory_id = $1 AND slug = $2`, spec.TerritoryID, spec.Specialty).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			var known []string
			_ = tx.QueryRow(ctx, `SELECT coalesce(array_agg(slug ORDER BY menu_digit), '{}') FROM specialty WHERE territory_id = $1`,
				spec.TerritoryID).Scan(&known)
			return "", &EnrolError{RPPS: spec.RPPS, Reason: fmt.Sprintf("specialty %q is not one of the territory's (%s)", spec.Specialty, strings.Join(known, ", "))}
		}
		if err != nil {
			return "", fmt.Errorf("enrol %s: %w", spec.RPPS, err)
		}
		specialtyID = &id
	}
	var last, first string
	err := tx.QueryRow(ctx, `SELECT last_name, first_name FROM practitioner WHERE rpps = $1`, spec.RPPS).Scan(&last, &first)
	missing := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !missing {
		return "", fmt.Errorf("enrol %s: %w", spec.RPPS, err)
	}
	if missing && spec.LastName == "" {
		return "", &EnrolError{RPPS: spec.RPPS, Reason: "not in the directory: give the last and first names to add them"}
	}
	var id int64
	var phones []string
	err = tx.QueryRow(ctx, `SELECT id, phones FROM enrolment
		WHERE territory_id = $1 AND rpps = $2 AND role = $3 AND specialty_id IS NOT DISTINCT FROM $4 FOR UPDATE`,
		spec.TerritoryID, spec.RPPS, string(spec.Role), specialtyID).Scan(&id, &phones)
	isNew := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !isNew {
		return "", fmt.Errorf("enrol %s: %w", spec.RPPS, err)
	}
	if spec.EnrolmentID != 0 && (isNew || id != spec.EnrolmentID) {
		return "", fmt.Errorf("enrolment %d of %s: %w", spec.EnrolmentID, spec.RPPS, oncall.ErrNotFound)
	}
	if spec.Role == oncall.Requis && len(spec.Phones) == 0 && len(phones) == 0 {
		return "", &EnrolError{RPPS: spec.RPPS, Reason: "a requis needs at least one phone number (their mobile) to be rung"}
	}

	var changes []string
	switch {
	case missing:
		if _, err := tx.Exec(ctx, `INSERT INTO practitioner (rpps, last_name, first_name) VALUES ($1, $2, $3)`,
			spec.RPPS, spec.LastName, spec.FirstName); err != nil {
			return "", fmt.Errorf("add practitioner %s: %w", spec.RPPS, err)
		}
		changes = append(changes, "practitioner added")
	case spec.LastName != "" && (spec.LastName != last || spec.FirstName != first):
		if _, err := tx.Exec(ctx, `UPDATE practitioner SET last_name = $2, first_name = $3, updated_at = now() WHERE rpps = $1`,
			spec.RPPS, spec.LastName, spec.FirstName); err != nil {
			return "", fmt.Errorf("rename practitioner %s: %w", spec.RPPS, err)
		}
		changes = append(changes, "names corrected")
	}
	change := Unchanged
	switch {
	case isNew:
		if _, err := tx.Exec(ctx, `INSERT INTO enrolment (territory_id, rpps, role, specialty_id, phones) VALUES ($1, $2, $3, $4, $5)`,
			spec.TerritoryID, spec.RPPS, string(spec.Role), specialtyID, nonNil(spec.Phones)); err != nil {
			return "", fmt.Errorf("enrol %s: %w", spec.RPPS, err)
		}
		change = Created
	case len(spec.Phones) > 0 && !slices.Equal(spec.Phones, phones):
		if _, err := tx.Exec(ctx, `UPDATE enrolment SET phones = $2, updated_at = now() WHERE id = $1`, id, spec.Phones); err != nil {
			return "", fmt.Errorf("enrol %s: %w", spec.RPPS, err)
		}
		change = Updated
		changes = append(changes, "phones changed")
	}
	if change == Unchanged && len(changes) > 0 {
		change = Updated
	}
	if change == Unchanged {
		return change, nil
	}
	return change, audit(ctx, tx, spec.TerritoryID, enrolmentAction(change), map[string]any{
		"rpps": spec.RPPS, "role": spec.Role, "specialty": spec.Specialty, "phones": spec.Phones, "changes": changes})
}

// Enrolments lists a territory's enrolments: requérants, then requis by
// specialty digit, each by name.
func (s *Store) Enrolments(ctx context.Context, territoryID int64) ([]oncall.Enrolment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+enrolmentColumns+`
		FROM enrolment e JOIN practitioner p ON p.rpps = e.rpps LEFT JOIN specialty s ON s.id = e.specialty_id
		WHERE e.territory_id = $1
		ORDER BY e.role, s.menu_digit NULLS FIRST, p.last_name, p.first_name, p.rpps`, territoryID)
	if err != nil {
		return nil, fmt.Errorf("list enrolments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (oncall.Enrolment, error) { return scanEnrolment(r) })
	if err != nil {
		return nil, fmt.Errorf("list enrolments: %w", err)
	}
	return out, nil
}

// SetNewPIN draws a new PIN for a GP's requérant enrolment, stores only its
// hash, lifts any lockout and returns the PIN, to be handed to the GP once.
func (s *Store) SetNewPIN(ctx context.Context, territoryID int64, rpps string) (string, error) {
	norm, err := oncall.NormalizeRPPS(rpps)
	if err != nil {
		return "", err
	}
	pin, err := NewPIN()
	if err != nil {
		return "", err
	}
	hash, err := HashPIN(pin)
	if err != nil {
		return "", err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE enrolment SET pin_hash = $3, failed_pin_attempts = 0, locked_until = NULL, updated_at = now()
			WHERE territory_id = $1 AND rpps = $2 AND role = 'requerant'`, territoryID, norm, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%s is not enrolled as requérant in this territory: %w", norm, oncall.ErrNotFound)
		}
		return audit(ctx, tx, territoryID, journal.ActionEnrolmentPIN, map[string]any{"rpps": norm})
	})
	if err != nil {
		return "", fmt.Errorf("set PIN of %s: %w", norm, err)
	}
	return pin, nil
}

// enrolmentAction is the journal's action for an enrolment created or
// updated.
func enrolmentAction(change Change) string {
	if change == Created {
		return journal.ActionEnrolmentCreated
	}
	return journal.ActionEnrolmentUpdated
}
