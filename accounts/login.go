package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
)

// Login checks an email and password and opens a session waiting for the
// second factor; it returns that session's token. Errors: ErrBadCredentials,
// *RateLimitedError, ErrDisabled.
//
// A wrong password, an unknown email and a locked account are refused
// alike — ErrBadCredentials, after the same work: one password hash checked
// (a dummy one for an unknown email), one failed attempt counted and
// journaled — so that the answer tells nobody which accounts exist or are
// locked. Only the journal says which it was. The account's own failure
// count (and lock) moves only for a wrong password on an unlocked account;
// ErrDisabled is told only to whoever typed the right password.
func (s *Store) Login(ctx context.Context, email, password string, c ClientInfo) (string, error) {
	now := s.clock.Now()
	norm, err := NormalizeEmail(email)
	if err != nil {
		norm = email // still counted, still refused
	}
	if err := s.checkRateLimits(ctx, norm, c.RemoteIP, now); err != nil {
		return "", err
	}
	var id int64
	var hash string
	var disabled bool
	var lockedUntil *time.Time
	err = s.pool.QueryRow(ctx, `SELECT id, password_hash, disabled, locked_until FROM coordinator WHERE email = $1`, norm).
		Scan(&id, &hash, &disabled, &lockedUntil)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("login %s: %w", norm, err)
	}
	if !known {
		hash = s.dummy
	}
	ok, verr := s.verify(password, hash)
	locked := known && lockedUntil != nil && now.Before(*lockedUntil)
	switch {
	case !known:
		return "", s.refuseLogin(ctx, 0, norm, c, "unknown email")
	case locked:
		return "", s.refuseLogin(ctx, 0, norm, c, "account locked")
	case verr != nil:
		return "", fmt.Errorf("login %s: stored password hash: %w", norm, verr)
	case !ok:
		return "", s.refuseLogin(ctx, id, norm, c, "wrong password")
	case disabled:
		return "", s.recordFailure(ctx, 0, norm, c, "account disabled", ErrDisabled)
	}
	// The failure counter is reset only once the second factor is right:
	// otherwise a stolen password would give unlimited guesses at the code.
	return s.createSession(ctx, s.pool, id, false, c)
}

// refuseLogin counts and journals a refused password step and answers
// ErrBadCredentials whatever the reason, also when this failure locks the
// account (the journal says so).
func (s *Store) refuseLogin(ctx context.Context, accountID int64, email string, c ClientInfo, reason string) error {
	err := s.recordFailure(ctx, accountID, email, c, reason, ErrBadCredentials)
	if _, locked := errors.AsType[*LockedError](err); locked {
		return ErrBadCredentials
	}
	return err
}

// checkRateLimits refuses when too many failures came lately for this email
// or from this address.
func (s *Store) checkRateLimits(ctx context.Context, email, ip string, now time.Time) error {
	since := now.Add(-s.policy.Window)
	check := func(by, column, value string, limit int) error {
		var n int
		var oldest *time.Time
		err := s.pool.QueryRow(ctx, `SELECT count(*), min(at) FROM login_attempt
			WHERE `+column+` = $1 AND NOT success AND at > $2`, value, since).Scan(&n, &oldest)
		if err != nil {
			return fmt.Errorf("count login attempts: %w", err)
		}
		if n >= limit && oldest != nil {
			return &RateLimitedError{By: by, RetryAfter: oldest.Add(s.policy.Window).Sub(now)}
		}
		return nil
	}
	if err := check("ip", "remote_ip", ip, s.policy.MaxPerIP); err != nil {
		return err
	}
	return check("email", "email", email, s.policy.MaxPerEmail)
}

// recordFailure counts a failed password or code: the attempt for the rate
// limits, the account's consecutive failures (locking it at the limit) and
// an audit row; it returns result, or a *LockedError when this failure
// locked the account.
func (s *Store) recordFailure(ctx context.Context, accountID int64, email string, c ClientInfo, reason string, result error) error {
	now := s.clock.Now()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO login_attempt (at, email, remote_ip, success) VALUES ($1, $2, $3, false)`,
			now, email, c.RemoteIP); err != nil {
			return err
		}
		if accountID != 0 {
			var locked *time.Time
			err := tx.QueryRow(ctx, `UPDATE coordinator SET
					failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
					locked_until  = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END,
					updated_at = $4
				WHERE id = $1 RETURNING locked_until`,
				accountID, s.policy.MaxFailures, now.Add(s.policy.Lockout), now).Scan(&locked)
			if err != nil {
				return err
			}
			if locked != nil && locked.After(now) {
				reason += "; account locked"
				result = &LockedError{Until: *locked}
			}
		}
		return writeAudit(ctx, tx, now, AuditEntry{Actor: email, Action: journal.ActionLoginFailed,
			Detail: map[string]any{"reason": reason, "ip": c.RemoteIP}})
	})
	if err != nil {
		return fmt.Errorf("record failed login for %s: %w", email, err)
	}
	return result
}

// EnrolmentSecret returns the TOTP secret to show at first login, creating
// it when needed. It refuses once the factor is enrolled: the secret is
// shown only before.
func (s *Store) EnrolmentSecret(ctx context.Context, sess Session) (string, error) {
	if sess.Account.TOTPEnrolled {
		return "", errors.New("TOTP already enrolled")
	}
	id := sess.Account.ID
	var stored *string
	if err := s.pool.QueryRow(ctx, `SELECT totp_secret FROM coordinator WHERE id = $1`, id).Scan(&stored); err != nil {
		return "", fmt.Errorf("TOTP secret of %s: %w", sess.Account.Email, err)
	}
	if stored != nil {
		return s.seal.openFor(id, *stored)
	}
	secret, err := NewTOTPSecret()
	if err != nil {
		return "", err
	}
	sealed, err := s.seal.sealFor(id, secret)
	if err != nil {
		return "", err
	}
	// Two tabs racing: the first secret written wins and both show it.
	if _, err := s.pool.Exec(ctx, `UPDATE coordinator SET totp_secret = $2, updated_at = $3
		WHERE id = $1 AND totp_secret IS NULL`, id, sealed, s.clock.Now()); err != nil {
		return "", fmt.Errorf("store TOTP secret of %s: %w", sess.Account.Email, err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT totp_secret FROM coordinator WHERE id = $1`, id).Scan(&stored); err != nil || stored == nil {
		return "", fmt.Errorf("TOTP secret of %s: %v", sess.Account.Email, err)
	}
	return s.seal.openFor(id, *stored)
}

// CompleteLogin checks the second factor of a session waiting for it. On
// success it enrols the factor if this was the first login, resets the
// failure counter and replaces the session by a fully signed-in one, whose
// token it returns (a new token, so a token seen before the second factor
// opens nothing). A code already accepted is refused (ErrCodeReused).
func (s *Store) CompleteLogin(ctx context.Context, sess Session, code string, c ClientInfo) (string, error) {
	a := sess.Account
	now := s.clock.Now()
	var stored *string
	var enrolled bool
	var lastStep int64
	var lockedUntil *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT totp_secret, totp_enrolled, totp_last_step, locked_until FROM coordinator WHERE id = $1`, a.ID).
		Scan(&stored, &enrolled, &lastStep, &lockedUntil); err != nil {
		return "", fmt.Errorf("second factor of %s: %w", a.Email, err)
	}
	if lockedUntil != nil && now.Before(*lockedUntil) {
		return "", &LockedError{Until: *lockedUntil}
	}
	if stored == nil {
		return "", ErrNotEnrolled
	}
	secret, err := s.seal.openFor(a.ID, *stored)
	if err != nil {
		return "", fmt.Errorf("second factor of %s: %w", a.Email, err)
	}
	step, ok, err := matchTOTP(secret, code, now)
	if err != nil {
		return "", fmt.Errorf("second factor of %s: %w", a.Email, err)
	}
	if !ok {
		return "", s.recordFailure(ctx, a.ID, a.Email, c, "wrong TOTP code", ErrWrongCode)
	}
	if step <= lastStep {
		return "", s.recordFailure(ctx, a.ID, a.Email, c, "TOTP code reused", ErrCodeReused)
	}
	var token string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE coordinator SET totp_last_step = $2, totp_enrolled = true,
				failed_logins = 0, locked_until = NULL, updated_at = $3
			WHERE id = $1 AND totp_last_step < $2`, a.ID, step, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrCodeReused // another request took this code first
		}
		if _, err := tx.Exec(ctx, `DELETE FROM console_session WHERE token_hash = $1`, sess.tokenHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO login_attempt (at, email, remote_ip, success) VALUES ($1, $2, $3, true)`,
			now, a.Email, c.RemoteIP); err != nil {
			return err
		}
		if !enrolled {
			if err := writeAudit(ctx, tx, now, AuditEntry{Actor: a.Email, Action: journal.ActionTOTPEnrolled}); err != nil {
				return err
			}
		}
		if err := writeAudit(ctx, tx, now, AuditEntry{Actor: a.Email, Action: journal.ActionLogin,
			Detail: map[string]any{"ip": c.RemoteIP}}); err != nil {
			return err
		}
		token, err = s.createSession(ctx, tx, a.ID, true, c)
		return err
	})
	if errors.Is(err, ErrCodeReused) {
		return "", s.recordFailure(ctx, a.ID, a.Email, c, "TOTP code reused", ErrCodeReused)
	}
	if err != nil {
		return "", fmt.Errorf("complete login of %s: %w", a.Email, err)
	}
	return token, nil
}
