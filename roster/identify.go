package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPIN says the territory asks for a PIN but none was set for the GP
// (the coordinator sets one with `regul enrol pin`).
var ErrNoPIN = errors.New("no PIN set")

// LockoutPolicy bounds failed PIN attempts: after MaxAttempts failures for
// one RPPS (from any phone) or from one caller number (on any RPPS), that
// RPPS or number is locked for Duration.
type LockoutPolicy struct {
	MaxAttempts int
	Duration    time.Duration
}

// DefaultLockoutPolicy matches the identification.* configuration defaults.
func DefaultLockoutPolicy() LockoutPolicy {
	return LockoutPolicy{MaxAttempts: 5, Duration: 30 * time.Minute}
}

// SetLockoutPolicy sets the limits VerifyPIN applies (call before use).
func (s *Store) SetLockoutPolicy(p LockoutPolicy) { s.lockout = p }

func (s *Store) lockoutPolicy() LockoutPolicy {
	if s.lockout.MaxAttempts < 1 || s.lockout.Duration <= 0 {
		return DefaultLockoutPolicy()
	}
	return s.lockout
}

const enrolmentColumns = `
	e.id, e.territory_id, p.rpps, p.last_name, p.first_name, p.profession_code, p.savoir_faire, p.phones,
	e.role, coalesce(e.specialty_id, 0), e.phones, e.pin_hash IS NOT NULL, e.locked_until`

func scanEnrolment(row pgx.Row) (Enrolment, error) {
	var e Enrolment
	var locked *time.Time
	err := row.Scan(&e.ID, &e.TerritoryID, &e.RPPS, &e.LastName, &e.FirstName, &e.Profession, &e.SavoirFaire,
		&e.Practitioner.Phones, &e.Role, &e.SpecialtyID, &e.Phones, &e.HasPIN, &locked)
	if locked != nil {
		e.LockedUntil = *locked
	}
	return e, err
}

// Requerant returns the GP's requérant enrolment in a territory, with names,
// HasPIN and LockedUntil (a time in the past means an expired lock). The
// RPPS may be in its 12-character national form. ErrNotFound (wrapped) when
// the GP is not enrolled there.
func (s *Store) Requerant(ctx context.Context, territoryID int64, rpps string) (Enrolment, error) {
	norm, err := NormalizeRPPS(rpps)
	if err != nil {
		return Enrolment{}, fmt.Errorf("requérant: %w", err)
	}
	e, err := scanEnrolment(s.pool.QueryRow(ctx, `SELECT `+enrolmentColumns+`
		FROM enrolment e JOIN practitioner p ON p.rpps = e.rpps
		WHERE e.territory_id = $1 AND e.rpps = $2 AND e.role = 'requerant'`, territoryID, norm))
	if errors.Is(err, pgx.ErrNoRows) {
		return Enrolment{}, fmt.Errorf("requérant %s: %w", norm, ErrNotFound)
	}
	if err != nil {
		return Enrolment{}, fmt.Errorf("requérant %s: %w", norm, err)
	}
	return e, nil
}

// RequerantByPhone returns the requérant enrolment whose phones include the
// caller's number. ErrNotFound (wrapped) when no GP, or more than one (a
// shared practice line identifies nobody), has that number.
func (s *Store) RequerantByPhone(ctx context.Context, territoryID int64, phone string) (Enrolment, error) {
	e164, err := NormalizePhone(phone)
	if err != nil {
		return Enrolment{}, fmt.Errorf("requérant by phone: %w: %w", ErrNotFound, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+enrolmentColumns+`
		FROM enrolment e JOIN practitioner p ON p.rpps = e.rpps
		WHERE e.territory_id = $1 AND e.role = 'requerant' AND e.phones @> ARRAY[$2::text] LIMIT 2`, territoryID, e164)
	if err != nil {
		return Enrolment{}, fmt.Errorf("requérant by phone: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Enrolment, error) { return scanEnrolment(r) })
	if err != nil {
		return Enrolment{}, fmt.Errorf("requérant by phone: %w", err)
	}
	switch len(found) {
	case 0:
		return Enrolment{}, fmt.Errorf("requérant by phone: %w", ErrNotFound)
	case 1:
		return found[0], nil
	default:
		return Enrolment{}, fmt.Errorf("requérant by phone: number shared by several GPs: %w", ErrNotFound)
	}
}

// VerifyPIN checks a GP's PIN. It returns nil when right (and resets the
// RPPS's failure count); *WrongPINError with the tries left when wrong;
// *LockedError (errors.Is ErrLocked) when the RPPS or the caller number is
// locked, or when this failure reaches the limit; ErrNoPIN when none is set.
// Failures count per RPPS from any phone, and per caller number on any RPPS
// (callerNumber "" — withheld — counts per RPPS only).
func (s *Store) VerifyPIN(ctx context.Context, enrolmentID int64, pin, callerNumber string, now time.Time) error {
	var territoryID int64
	var hash *string
	var locked *time.Time
	err := s.pool.QueryRow(ctx, `SELECT territory_id, pin_hash, locked_until FROM enrolment WHERE id = $1 AND role = 'requerant'`,
		enrolmentID).Scan(&territoryID, &hash, &locked)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	if locked != nil && locked.After(now) {
		return &LockedError{Until: *locked}
	}
	if err := s.CheckCaller(ctx, territoryID, callerNumber, now); err != nil {
		return err
	}
	if hash == nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, ErrNoPIN)
	}
	ok, err := CheckPIN(*hash, pin)
	if err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	if !ok {
		return s.recordPINFailure(ctx, territoryID, enrolmentID, callerNumber, now)
	}
	// Right: reset the count, unless a concurrent failure locked it meanwhile.
	tag, err := s.pool.Exec(ctx, `UPDATE enrolment SET failed_pin_attempts = 0, locked_until = NULL
		WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)`, enrolmentID, now)
	if err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	if tag.RowsAffected() == 0 {
		var until time.Time
		if err := s.pool.QueryRow(ctx, `SELECT locked_until FROM enrolment WHERE id = $1`, enrolmentID).Scan(&until); err != nil {
			return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
		}
		return &LockedError{Until: until}
	}
	return nil
}

// recordPINFailure counts one failure against the RPPS and the caller number
// atomically (one UPDATE … RETURNING each, in one transaction), so that
// concurrent failures each count.
func (s *Store) recordPINFailure(ctx context.Context, territoryID, enrolmentID int64, callerNumber string, now time.Time) error {
	pol := s.lockoutPolicy()
	until := now.Add(pol.Duration)
	var result error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var failures int
		var locked *time.Time
		var rpps string
		err := tx.QueryRow(ctx, `
			UPDATE enrolment SET
				failed_pin_attempts = CASE WHEN failed_pin_attempts + 1 >= $2 THEN 0 ELSE failed_pin_attempts + 1 END,
				locked_until = CASE WHEN failed_pin_attempts + 1 >= $2 THEN $3 ELSE locked_until END
			WHERE id = $1
			RETURNING failed_pin_attempts, locked_until, rpps`, enrolmentID, pol.MaxAttempts, until).Scan(&failures, &locked, &rpps)
		if err != nil {
			return err
		}
		remaining := pol.MaxAttempts - failures
		var lockedUntil time.Time
		if locked != nil && locked.After(now) {
			lockedUntil = *locked
			if locked.Equal(until) {
				if err := audit(ctx, tx, territoryID, "identification.locked", map[string]any{"rpps": rpps, "until": until}); err != nil {
					return err
				}
			}
		}
		if callerNumber != "" {
			callerLeft, callerLocked, err := countCallerFailure(ctx, tx, territoryID, callerNumber, pol, now)
			if err != nil {
				return err
			}
			remaining = min(remaining, callerLeft)
			if callerLocked.After(lockedUntil) {
				lockedUntil = callerLocked
			}
		}
		if !lockedUntil.IsZero() {
			result = &LockedError{Until: lockedUntil}
		} else {
			result = &WrongPINError{Remaining: remaining}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record PIN failure of enrolment %d: %w", enrolmentID, err)
	}
	return result
}

// countCallerFailure counts a failure against a caller number within a
// window of the lockout's duration, and returns the tries left and the lock
// (zero when not locked).
func countCallerFailure(ctx context.Context, tx pgx.Tx, territoryID int64, callerNumber string, pol LockoutPolicy, now time.Time) (int, time.Time, error) {
	until := now.Add(pol.Duration)
	var failures int
	var locked *time.Time
	err := tx.QueryRow(ctx, `
		INSERT INTO ident_failure AS f (territory_id, caller_number, failures, last_failure_at, locked_until)
		VALUES ($1, $2, CASE WHEN $4 <= 1 THEN 0 ELSE 1 END, $3, CASE WHEN $4 <= 1 THEN $5::timestamptz END)
		ON CONFLICT (territory_id, caller_number) DO UPDATE SET
			failures = CASE WHEN (CASE WHEN f.last_failure_at <= $6 THEN 1 ELSE f.failures + 1 END) >= $4
			                THEN 0 ELSE (CASE WHEN f.last_failure_at <= $6 THEN 1 ELSE f.failures + 1 END) END,
			locked_until = CASE WHEN (CASE WHEN f.last_failure_at <= $6 THEN 1 ELSE f.failures + 1 END) >= $4
			                THEN $5 ELSE f.locked_until END,
			last_failure_at = $3
		RETURNING failures, locked_until`,
		territoryID, callerNumber, now, pol.MaxAttempts, until, now.Add(-pol.Duration)).Scan(&failures, &locked)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failure of caller: %w", err)
	}
	if locked != nil && locked.After(now) {
		if locked.Equal(until) {
			if err := audit(ctx, tx, territoryID, "identification.caller_locked", map[string]any{"caller": callerNumber, "until": until}); err != nil {
				return 0, time.Time{}, err
			}
		}
		return 0, *locked, nil
	}
	return pol.MaxAttempts - failures, time.Time{}, nil
}

// CheckCaller returns *LockedError when the caller number is locked after
// repeated failures in the territory, else nil ("" is never locked).
func (s *Store) CheckCaller(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	if callerNumber == "" {
		return nil
	}
	var locked *time.Time
	err := s.pool.QueryRow(ctx, `SELECT locked_until FROM ident_failure WHERE territory_id = $1 AND caller_number = $2`,
		territoryID, callerNumber).Scan(&locked)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("check caller lock: %w", err)
	}
	if locked != nil && locked.After(now) {
		return &LockedError{Until: *locked}
	}
	return nil
}

// RecordCallerFailure counts a failed identification that names no enrolled
// GP (an unknown RPPS) against the caller number, so that probing RPPS
// numbers locks the caller too. It returns *LockedError when this failure
// reaches the limit, else nil.
func (s *Store) RecordCallerFailure(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	if callerNumber == "" {
		return nil
	}
	var lockedUntil time.Time
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		_, lockedUntil, err = countCallerFailure(ctx, tx, territoryID, callerNumber, s.lockoutPolicy(), now)
		return err
	})
	if err != nil {
		return err
	}
	if !lockedUntil.IsZero() {
		return &LockedError{Until: lockedUntil}
	}
	return nil
}

// Unlock lifts a GP's lockout in a territory: the RPPS's count and lock,
// and those of the caller numbers enrolled for them.
func (s *Store) Unlock(ctx context.Context, territoryID int64, rpps string) error {
	norm, err := NormalizeRPPS(rpps)
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var phones []string
		err := tx.QueryRow(ctx, `UPDATE enrolment SET failed_pin_attempts = 0, locked_until = NULL, updated_at = now()
			WHERE territory_id = $1 AND rpps = $2 AND role = 'requerant' RETURNING phones`, territoryID, norm).Scan(&phones)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("unlock %s: %w", norm, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("unlock %s: %w", norm, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ident_failure WHERE territory_id = $1 AND caller_number = ANY($2)`, territoryID, phones); err != nil {
			return fmt.Errorf("unlock %s: %w", norm, err)
		}
		return audit(ctx, tx, territoryID, "identification.unlock", map[string]any{"rpps": norm})
	})
}
