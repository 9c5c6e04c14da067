package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/regul-sante/regul/accounts/journal"
)

// Session is a signed-in browser. Its token lives only in the cookie; the
// database keeps its SHA-256.
type Session struct {
	Account   Account
	MFADone   bool // false: password given, second factor still due
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time // absolute end, whatever the activity
	tokenHash []byte
}

// newToken returns 256 random bits, URL-safe.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ClientInfo is what is kept of the browser that signs in.
type ClientInfo struct {
	RemoteIP  string
	UserAgent string
}

// execer is a pool or the caller's transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// createSession inserts a session and returns its token.
func (s *Store) createSession(ctx context.Context, db execer, accountID int64, mfaDone bool, c ClientInfo) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	csrf, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	life := s.policy.SessionMax
	if !mfaDone {
		life = s.policy.PendingMFAMax
	}
	ua := c.UserAgent
	if len(ua) > 300 {
		ua = ua[:300]
	}
	if _, err := db.Exec(ctx, `INSERT INTO console_session
		(token_hash, coordinator_id, mfa_done, csrf_token, created_at, last_seen_at, expires_at, remote_addr, user_agent)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`,
		hashToken(token), accountID, mfaDone, csrf, now, now.Add(life), c.RemoteIP, ua); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// Session returns the session of a cookie token and marks it used. An
// unknown, expired (absolute or idle) or disabled account's session gives
// ErrSessionExpired and is removed.
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrSessionExpired
	}
	th := hashToken(token)
	var sess Session
	var id int64
	var lastSeen time.Time
	var disabled bool
	err := s.pool.QueryRow(ctx, `SELECT s.coordinator_id, s.mfa_done, s.csrf_token, s.created_at, s.last_seen_at,
			s.expires_at, c.disabled
		FROM console_session s JOIN coordinator c ON c.id = s.coordinator_id
		WHERE s.token_hash = $1`, th).Scan(&id, &sess.MFADone, &sess.CSRFToken, &sess.CreatedAt, &lastSeen, &sess.ExpiresAt, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrSessionExpired
	}
	if err != nil {
		return Session{}, fmt.Errorf("load session: %w", err)
	}
	now := s.clock.Now()
	idleOver := sess.MFADone && !now.Before(lastSeen.Add(s.policy.SessionIdle))
	if disabled || !now.Before(sess.ExpiresAt) || idleOver {
		if _, err := s.pool.Exec(ctx, `DELETE FROM console_session WHERE token_hash = $1`, th); err != nil {
			return Session{}, fmt.Errorf("end expired session: %w", err)
		}
		return Session{}, ErrSessionExpired
	}
	if _, err := s.pool.Exec(ctx, `UPDATE console_session SET last_seen_at = $2 WHERE token_hash = $1`, th, now); err != nil {
		return Session{}, fmt.Errorf("touch session: %w", err)
	}
	sess.Account, err = s.ByID(ctx, id)
	if err != nil {
		return Session{}, err
	}
	sess.tokenHash = th
	return sess, nil
}

// Logout ends a session and audits it.
func (s *Store) Logout(ctx context.Context, sess Session) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_session WHERE token_hash = $1`, sess.tokenHash); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return writeAudit(ctx, tx, s.clock.Now(), AuditEntry{Actor: sess.Account.Email, Action: journal.ActionLogout})
	})
}

// Purge removes ended sessions and login attempts older than a day (they
// only matter within the rate-limit window).
func (s *Store) Purge(ctx context.Context) error {
	now := s.clock.Now()
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_session WHERE expires_at <= $1 OR (mfa_done AND last_seen_at <= $2)`,
		now, now.Add(-s.policy.SessionIdle)); err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_attempt WHERE at < $1`, now.Add(-24*time.Hour)); err != nil {
		return fmt.Errorf("purge login attempts: %w", err)
	}
	return nil
}
