package roster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// ErrNoPIN says the territory asks for a PIN but none was set for the GP
// (the coordinator sets one with `regul enrol pin`).
var ErrNoPIN = errors.New("no PIN set")

// LockoutPolicy bounds failed identifications. RPPS numbers are public, so
// a lock must never be a way to shut a GP out:
//
//   - per (RPPS, caller number): MaxAttempts failures lock that number for
//     that RPPS — enrolled or not, so that unknown and enrolled RPPS behave
//     alike;
//   - per caller number, on any RPPS: CallerAttempts failures lock the
//     number; withheld numbers share one bucket with WithheldAttempts;
//   - per RPPS, from any number: RPPSAttempts (much higher) lock the RPPS,
//     but never for a call from one of the GP's enrolled phones with the
//     right PIN (the per-number limits still bound guesses from there).
//
// Each new lock of a key lasts twice the previous one (Duration, 2×, 4×…,
// at most MaxDuration): growing delays. A success clears the number's
// counts; a key quiet for MaxDuration starts again from Duration.
type LockoutPolicy struct {
	MaxAttempts      int
	CallerAttempts   int
	WithheldAttempts int
	RPPSAttempts     int
	Duration         time.Duration
	MaxDuration      time.Duration
}

// DefaultLockoutPolicy matches the identification.* configuration defaults.
func DefaultLockoutPolicy() LockoutPolicy {
	return LockoutPolicy{MaxAttempts: 5, CallerAttempts: 10, WithheldAttempts: 3, RPPSAttempts: 50,
		Duration: 30 * time.Minute, MaxDuration: 24 * time.Hour}
}

// withDefaults fills the zero fields.
func (p LockoutPolicy) withDefaults() LockoutPolicy {
	d := DefaultLockoutPolicy()
	if p.MaxAttempts < 1 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.CallerAttempts < 1 {
		p.CallerAttempts = max(d.CallerAttempts, 2*p.MaxAttempts)
	}
	if p.WithheldAttempts < 1 {
		p.WithheldAttempts = d.WithheldAttempts
	}
	if p.RPPSAttempts < 1 {
		p.RPPSAttempts = max(d.RPPSAttempts, 10*p.MaxAttempts)
	}
	if p.Duration <= 0 {
		p.Duration = d.Duration
	}
	if p.MaxDuration < p.Duration {
		p.MaxDuration = max(d.MaxDuration, p.Duration)
	}
	return p
}

// lockFor is how long the n-th lock in a row (n from 1) of a key lasts.
func (p LockoutPolicy) lockFor(n int) time.Duration {
	d := p.Duration
	for i := 1; i < n && d < p.MaxDuration; i++ {
		d *= 2
	}
	return min(d, p.MaxDuration)
}

// callerLimit is the per-number limit: lower for the withheld bucket.
func (p LockoutPolicy) callerLimit(caller string) int {
	if caller == "" {
		return p.WithheldAttempts
	}
	return p.CallerAttempts
}

// SetLockoutPolicy sets the limits VerifyPIN applies (call before use).
func (s *Store) SetLockoutPolicy(p LockoutPolicy) { s.lockout = p }

func (s *Store) lockoutPolicy() LockoutPolicy { return s.lockout.withDefaults() }

const enrolmentColumns = `
	e.id, e.territory_id, p.rpps, p.last_name, p.first_name, p.profession_code, p.savoir_faire, p.phones,
	e.role, coalesce(e.specialty_id, 0), e.phones, e.pin_hash IS NOT NULL, e.locked_until`

func scanEnrolment(row pgx.Row) (oncall.Enrolment, error) {
	var e oncall.Enrolment
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
func (s *Store) Requerant(ctx context.Context, territoryID int64, rpps string) (oncall.Enrolment, error) {
	norm, err := oncall.NormalizeRPPS(rpps)
	if err != nil {
		return oncall.Enrolment{}, fmt.Errorf("requérant: %w", err)
	}
	e, err := scanEnrolment(s.pool.QueryRow(ctx, `SELECT `+enrolmentColumns+`
		FROM enrolment e JOIN practitioner p ON p.rpps = e.rpps
		WHERE e.territory_id = $1 AND e.rpps = $2 AND e.role = 'requerant'`, territoryID, norm))
	if errors.Is(err, pgx.ErrNoRows) {
		return oncall.Enrolment{}, fmt.Errorf("requérant %s: %w", norm, oncall.ErrNotFound)
	}
	if err != nil {
		return oncall.Enrolment{}, fmt.Errorf("requérant %s: %w", norm, err)
	}
	return e, nil
}

// RequerantByPhone returns the requérant enrolment whose phones include the
// caller's number. ErrNotFound (wrapped) when no GP, or more than one (a
// shared practice line identifies nobody), has that number.
func (s *Store) RequerantByPhone(ctx context.Context, territoryID int64, phone string) (oncall.Enrolment, error) {
	e164, err := NormalizePhone(phone)
	if err != nil {
		return oncall.Enrolment{}, fmt.Errorf("requérant by phone: %w: %w", oncall.ErrNotFound, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+enrolmentColumns+`
		FROM enrolment e JOIN practitioner p ON p.rpps = e.rpps
		WHERE e.territory_id = $1 AND e.role = 'requerant' AND e.phones @> ARRAY[$2::text] LIMIT 2`, territoryID, e164)
	if err != nil {
		return oncall.Enrolment{}, fmt.Errorf("requérant by phone: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (oncall.Enrolment, error) { return scanEnrolment(r) })
	if err != nil {
		return oncall.Enrolment{}, fmt.Errorf("requérant by phone: %w", err)
	}
	switch len(found) {
	case 0:
		return oncall.Enrolment{}, fmt.Errorf("requérant by phone: %w", oncall.ErrNotFound)
	case 1:
		return found[0], nil
	default:
		return oncall.Enrolment{}, fmt.Errorf("requérant by phone: number shared by several GPs: %w", oncall.ErrNotFound)
	}
}

// VerifyPIN checks a GP's PIN typed from callerNumber ("" when withheld).
// It returns nil when right (clearing the number's counts); *WrongPINError
// with the tries left when wrong; *LockedError (errors.Is ErrLocked) when
// the number is locked, for this RPPS or for all; ErrNoPIN when none is
// set. An RPPS-wide lock refuses every number but the GP's enrolled phones,
// and it refuses as a wrong PIN does, without checking the PIN: the answer
// tells neither that the RPPS is locked nor whether the PIN was right.
func (s *Store) VerifyPIN(ctx context.Context, enrolmentID int64, pin, callerNumber string, now time.Time) error {
	var territoryID int64
	var hash *string
	var locked *time.Time
	var rpps string
	var phones []string
	err := s.pool.QueryRow(ctx, `SELECT territory_id, rpps, pin_hash, locked_until, phones FROM enrolment
		WHERE id = $1 AND role = 'requerant'`, enrolmentID).Scan(&territoryID, &rpps, &hash, &locked, &phones)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, oncall.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	if err := s.checkNumber(ctx, territoryID, rpps, callerNumber, now); err != nil {
		return err
	}
	if hash == nil {
		_, _ = CheckPIN(dummyPINHash(), pin) // the same work as a check
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, ErrNoPIN)
	}
	rppsLocked := locked != nil && locked.After(now)
	ok := false
	if rppsLocked && !slices.Contains(phones, callerNumber) {
		_, _ = CheckPIN(dummyPINHash(), pin)
	} else if ok, err = CheckPIN(*hash, pin); err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	if !ok {
		return s.recordFailure(ctx, territoryID, rpps, enrolmentID, callerNumber, now)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM ident_pair_failure WHERE territory_id = $1 AND rpps = $2 AND caller_number = $3`,
			territoryID, rpps, callerNumber); err != nil {
			return err
		}
		// The RPPS-wide count is the GP's own again once no lock holds.
		_, err := tx.Exec(ctx, `UPDATE enrolment SET failed_pin_attempts = 0, locked_until = NULL
			WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)`, enrolmentID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	return nil
}

// RefusePIN answers a PIN typed for an RPPS that has no PIN to check here
// (not enrolled in the territory, or enrolled without a PIN) exactly as a
// wrong PIN: the same hash work, the same counts per (RPPS, number) and per
// number, the same *WrongPINError or *LockedError. The line thus does not
// tell who is enrolled.
func (s *Store) RefusePIN(ctx context.Context, territoryID int64, rpps, pin, callerNumber string, now time.Time) error {
	if err := s.checkNumber(ctx, territoryID, rpps, callerNumber, now); err != nil {
		return err
	}
	_, _ = CheckPIN(dummyPINHash(), pin)
	return s.recordFailure(ctx, territoryID, rpps, 0, callerNumber, now)
}

// checkNumber returns *LockedError while the caller number is locked, on
// any RPPS or on this one.
func (s *Store) checkNumber(ctx context.Context, territoryID int64, rpps, callerNumber string, now time.Time) error {
	var until *time.Time
	err := s.pool.QueryRow(ctx, `SELECT greatest(
			(SELECT locked_until FROM ident_failure WHERE territory_id = $1 AND caller_number = $3),
			(SELECT locked_until FROM ident_pair_failure WHERE territory_id = $1 AND rpps = $2 AND caller_number = $3))`,
		territoryID, rpps, callerNumber).Scan(&until)
	if err != nil {
		return fmt.Errorf("check identification locks: %w", err)
	}
	if until != nil && until.After(now) {
		return &oncall.LockedError{Until: *until}
	}
	return nil
}

// recordFailure counts one failure against (RPPS, number), the number and,
// for an enrolment, the RPPS, in one transaction (each an atomic upsert, so
// concurrent failures all count). It returns *LockedError when the number
// is now locked (for this RPPS or for all), else *WrongPINError with the
// tries it has left. An RPPS-wide lock it sets is journaled but not told.
func (s *Store) recordFailure(ctx context.Context, territoryID int64, rpps string, enrolmentID int64, callerNumber string, now time.Time) error {
	pol := s.lockoutPolicy()
	var result error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		pairLeft, pairUntil, err := countFailure(ctx, tx, counterPair, territoryID, rpps, callerNumber, pol.MaxAttempts, pol, now)
		if err != nil {
			return err
		}
		callerLeft, callerUntil, err := countFailure(ctx, tx, counterCaller, territoryID, "", callerNumber,
			pol.callerLimit(callerNumber), pol, now)
		if err != nil {
			return err
		}
		if enrolmentID != 0 {
			if err := countRPPSFailure(ctx, tx, territoryID, enrolmentID, rpps, pol, now); err != nil {
				return err
			}
		}
		until := pairUntil
		if callerUntil.After(until) {
			until = callerUntil
		}
		if !until.IsZero() {
			result = &oncall.LockedError{Until: until}
		} else {
			result = &oncall.WrongPINError{Remaining: min(pairLeft, callerLeft)}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record identification failure: %w", err)
	}
	return result
}

// counter names a table of failure counts.
type counter int

const (
	counterPair   counter = iota // ident_pair_failure: (territory, rpps, caller_number)
	counterCaller                // ident_failure: (territory, caller_number)
)

// countFailure counts a failure on one key within a window of the policy's
// Duration and, at the limit, locks the key for the next growing delay. It
// returns the tries left and the lock (zero when not locked).
func countFailure(ctx context.Context, tx pgx.Tx, c counter, territoryID int64, rpps, callerNumber string, limit int,
	pol LockoutPolicy, now time.Time) (int, time.Time, error) {
	table, key, args := "ident_failure", "territory_id, caller_number", []any{territoryID, callerNumber}
	if c == counterPair {
		table, key, args = "ident_pair_failure", "territory_id, rpps, caller_number", []any{territoryID, rpps, callerNumber}
	}
	n := len(args)
	vals := "$1, $2"
	if n == 3 {
		vals = "$1, $2, $3"
	}
	var failures, locks int
	var lockedUntil *time.Time
	err := tx.QueryRow(ctx, fmt.Sprintf(`
		INSERT INTO %[1]s AS f (%[2]s, failures, locks, last_failure_at)
		VALUES (%[3]s, 1, 0, $%[4]d)
		ON CONFLICT (%[2]s) DO UPDATE SET
			failures = CASE WHEN f.last_failure_at <= $%[5]d THEN 1 ELSE f.failures + 1 END,
			locks = CASE WHEN f.last_failure_at <= $%[6]d AND (f.locked_until IS NULL OR f.locked_until <= $%[6]d)
			             THEN 0 ELSE f.locks END,
			last_failure_at = $%[4]d
		RETURNING failures, locks, locked_until`, table, key, vals, n+1, n+2, n+3),
		append(args, now, now.Add(-pol.Duration), now.Add(-pol.MaxDuration))...).Scan(&failures, &locks, &lockedUntil)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failure: %w", err)
	}
	if failures < limit {
		if lockedUntil != nil && lockedUntil.After(now) {
			return 0, *lockedUntil, nil
		}
		return limit - failures, time.Time{}, nil
	}
	until := now.Add(pol.lockFor(locks + 1))
	where := "territory_id = $1 AND caller_number = $2"
	if c == counterPair {
		where = "territory_id = $1 AND rpps = $2 AND caller_number = $3"
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET failures = 0, locks = locks + 1, locked_until = $%d WHERE %s`,
		table, n+1, where), append(args, until)...); err != nil {
		return 0, time.Time{}, fmt.Errorf("lock after failures: %w", err)
	}
	detail := map[string]any{"caller": callerLabel(callerNumber), "until": until, "lock": locks + 1}
	action := journal.ActionIdentCallerLocked
	if c == counterPair {
		action, detail["rpps"] = journal.ActionIdentNumberLocked, rpps
	}
	if err := audit(ctx, tx, territoryID, action, detail); err != nil {
		return 0, time.Time{}, err
	}
	return 0, until, nil
}

// callerLabel is how the journal names a caller number ("" is withheld).
func callerLabel(n string) string {
	if n == "" {
		return "masqué"
	}
	return n
}

// countRPPSFailure counts a failure against the enrolment, from any number,
// and locks the RPPS at RPPSAttempts (never its enrolled phones: see
// VerifyPIN), with the source numbers in the journal.
func countRPPSFailure(ctx context.Context, tx pgx.Tx, territoryID, enrolmentID int64, rpps string, pol LockoutPolicy, now time.Time) error {
	var failures int
	var locked *time.Time
	err := tx.QueryRow(ctx, `
		UPDATE enrolment SET
			failed_pin_attempts = CASE WHEN failed_pin_attempts + 1 >= $2 THEN 0 ELSE failed_pin_attempts + 1 END,
			locked_until = CASE WHEN failed_pin_attempts + 1 >= $2 THEN $3 ELSE locked_until END
		WHERE id = $1
		RETURNING failed_pin_attempts, locked_until`, enrolmentID, pol.RPPSAttempts, now.Add(pol.Duration)).Scan(&failures, &locked)
	if err != nil {
		return fmt.Errorf("count failure of RPPS: %w", err)
	}
	if failures != 0 || locked == nil || !locked.After(now) {
		return nil // not locked by this failure
	}
	sources, err := LockSources(ctx, tx, territoryID, rpps, now.Add(-pol.Duration))
	if err != nil {
		return err
	}
	numbers := make([]string, len(sources))
	for i, l := range sources {
		numbers[i] = callerLabel(l.Caller)
	}
	return audit(ctx, tx, territoryID, journal.ActionIdentLocked, map[string]any{"rpps": rpps, "until": *locked, "sources": numbers})
}

// LockSource is one number that failed identifications on an RPPS.
type LockSource struct {
	Caller      string // E.164, "" when withheld
	Failures    int    // in its current window
	LockedUntil time.Time
	LastAt      time.Time
}

// LockSources lists the numbers that failed on an RPPS since the instant, or
// are locked for it, most recent first: what a coordinator checks before
// unlocking.
func LockSources(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, territoryID int64, rpps string, since time.Time) ([]LockSource, error) {
	rows, err := q.Query(ctx, `SELECT caller_number, failures, locked_until, last_failure_at FROM ident_pair_failure
		WHERE territory_id = $1 AND rpps = $2 AND (last_failure_at > $3 OR locked_until > $3)
		ORDER BY last_failure_at DESC LIMIT 50`, territoryID, rpps, since)
	if err != nil {
		return nil, fmt.Errorf("lock sources of %s: %w", rpps, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (LockSource, error) {
		var l LockSource
		var until *time.Time
		err := r.Scan(&l.Caller, &l.Failures, &until, &l.LastAt)
		if until != nil {
			l.LockedUntil = *until
		}
		return l, err
	})
}

// LockedNumbers lists, per RPPS of the territory, the numbers locked for it
// now (the coordinator sees who is kept out, and from where).
func LockedNumbers(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, territoryID int64, now time.Time) (map[string][]LockSource, error) {
	rows, err := q.Query(ctx, `SELECT rpps, caller_number, failures, locked_until, last_failure_at FROM ident_pair_failure
		WHERE territory_id = $1 AND locked_until > $2 ORDER BY rpps, last_failure_at DESC`, territoryID, now)
	if err != nil {
		return nil, fmt.Errorf("locked numbers: %w", err)
	}
	defer rows.Close()
	out := map[string][]LockSource{}
	for rows.Next() {
		var rpps string
		var l LockSource
		if err := rows.Scan(&rpps, &l.Caller, &l.Failures, &l.LockedUntil, &l.LastAt); err != nil {
			return nil, fmt.Errorf("locked numbers: %w", err)
		}
		out[rpps] = append(out[rpps], l)
	}
	return out, rows.Err()
}

// CheckCaller returns *LockedError when the caller number ("" for the
// withheld bucket) is locked after repeated failures in the territory.
func (s *Store) CheckCaller(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	var locked *time.Time
	err := s.pool.QueryRow(ctx, `SELECT locked_until FROM ident_failure WHERE territory_id = $1 AND caller_number = $2`,
		territoryID, callerNumber).Scan(&locked)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("check caller lock: %w", err)
	}
	if locked != nil && locked.After(now) {
		return &oncall.LockedError{Until: *locked}
	}
	return nil
}

// RecordCallerFailure counts a failed identification that names no enrolled
// GP (an unknown RPPS on a line without PIN) against the caller number ("" is
// the withheld bucket), so that probing RPPS numbers locks the caller too. It
// returns *LockedError when this failure reaches the limit, else nil.
func (s *Store) RecordCallerFailure(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	pol := s.lockoutPolicy()
	var lockedUntil time.Time
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		_, lockedUntil, err = countFailure(ctx, tx, counterCaller, territoryID, "", callerNumber, pol.callerLimit(callerNumber), pol, now)
		return err
	})
	if err != nil {
		return err
	}
	if !lockedUntil.IsZero() {
		return &oncall.LockedError{Until: lockedUntil}
	}
	return nil
}

// dummyPINHash is a PIN hash with the real parameters, checked when there
// is no PIN to check, so that every refusal costs the same.
var dummyPINHash = sync.OnceValue(func() string {
	h, err := HashPIN("000000")
	if err != nil {
		panic(err) // crypto/rand failed: nothing works anyway
	}
	return h
})
