package roster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// FeedTarget is what a calendar subscription shows: one specialist's
// gardes (RPPS) or one specialty's for the whole territory (SpecialtyID).
// Exactly one is set.
type FeedTarget struct {
	RPPS        string
	SpecialtyID int64
}

func (t FeedTarget) check() (FeedTarget, error) {
	if (t.RPPS == "") == (t.SpecialtyID == 0) {
		return t, errors.New("calendar feed: want a specialist's RPPS or a specialty, not both")
	}
	if t.RPPS != "" {
		rpps, err := oncall.NormalizeRPPS(t.RPPS)
		if err != nil {
			return t, fmt.Errorf("calendar feed: %w", err)
		}
		t.RPPS = rpps
	}
	return t, nil
}

// Feed is a live calendar subscription (its token is never kept).
type Feed struct {
	ID          int64
	TerritoryID int64
	RPPS        string
	SpecialtyID int64
	CreatedAt   time.Time
	CreatedBy   string
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// IssueFeed creates the subscription address of a specialist's (enrolled
// as requis in the territory) or a specialty's gardes and returns its
// token: 32 random bytes, base64url, shown once; only its SHA-256 is kept.
// A live address of the same target stops working. ErrNotFound when the
// specialist is not enrolled or the specialty is not the territory's.
func (s *Store) IssueFeed(ctx context.Context, territoryID int64, target FeedTarget, now time.Time) (string, error) {
	target, err := target.check()
	if err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("calendar feed: token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var ok bool
		if target.RPPS != "" {
			err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM enrolment WHERE territory_id = $1 AND rpps = $2 AND role = 'requis')`,
				territoryID, target.RPPS).Scan(&ok)
		} else {
			err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM specialty WHERE territory_id = $1 AND id = $2)`,
				territoryID, target.SpecialtyID).Scan(&ok)
		}
		if err != nil {
			return fmt.Errorf("calendar feed: %w", err)
		}
		if !ok {
			return fmt.Errorf("calendar feed of %+v in territory %d: %w", target, territoryID, oncall.ErrNotFound)
		}
		if err := revokeFeed(ctx, tx, territoryID, target, now); err != nil && !errors.Is(err, oncall.ErrNotFound) {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO calendar_feed (territory_id, rpps, specialty_id, token_sha256, created_at, created_by)
			VALUES ($1, nullif($2, ''), nullif($3, 0::bigint), $4, $5, $6) RETURNING id`,
			territoryID, target.RPPS, target.SpecialtyID, tokenHash(token), now, ActorFrom(ctx)).Scan(&id); err != nil {
			return fmt.Errorf("calendar feed: %w", err)
		}
		return audit(ctx, tx, territoryID, journal.ActionFeedIssued, feedDetail(id, target))
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func feedDetail(id int64, t FeedTarget) map[string]any {
	d := map[string]any{"feed": id}
	if t.RPPS != "" {
		d["rpps"] = t.RPPS
	} else {
		d["specialty_id"] = t.SpecialtyID
	}
	return d
}

// RevokeFeed ends the live subscription of a target; ErrNotFound when
// there is none.
func (s *Store) RevokeFeed(ctx context.Context, territoryID int64, target FeedTarget, now time.Time) error {
	target, err := target.check()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return revokeFeed(ctx, tx, territoryID, target, now)
	})
}

func revokeFeed(ctx context.Context, tx pgx.Tx, territoryID int64, target FeedTarget, now time.Time) error {
	var id int64
	err := tx.QueryRow(ctx, `UPDATE calendar_feed SET revoked_at = $4
		WHERE territory_id = $1 AND revoked_at IS NULL
		  AND rpps IS NOT DISTINCT FROM nullif($2, '') AND specialty_id IS NOT DISTINCT FROM nullif($3, 0::bigint)
		RETURNING id`, territoryID, target.RPPS, target.SpecialtyID, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("calendar feed of %+v: %w", target, oncall.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("revoke calendar feed: %w", err)
	}
	return audit(ctx, tx, territoryID, journal.ActionFeedRevoked, feedDetail(id, target))
}

// LiveFeeds lists a territory's live subscriptions.
func (s *Store) LiveFeeds(ctx context.Context, territoryID int64) ([]Feed, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, territory_id, coalesce(rpps, ''), coalesce(specialty_id, 0), created_at, created_by
		FROM calendar_feed WHERE territory_id = $1 AND revoked_at IS NULL ORDER BY id`, territoryID)
	if err != nil {
		return nil, fmt.Errorf("calendar feeds: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Feed])
}

// WriteFeed writes the calendar a live token opens; ErrNotFound for a
// token unknown or revoked (the caller answers 404 alike).
func (s *Store) WriteFeed(ctx context.Context, w io.Writer, token string, now time.Time) error {
	var territoryID, specialtyID int64
	var rpps string
	err := s.pool.QueryRow(ctx, `SELECT territory_id, coalesce(rpps, ''), coalesce(specialty_id, 0)
		FROM calendar_feed WHERE token_sha256 = $1 AND revoked_at IS NULL`, tokenHash(token)).Scan(&territoryID, &rpps, &specialtyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("calendar feed: %w", oncall.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("calendar feed: %w", err)
	}
	if rpps != "" {
		_, err = s.writePersonCalendar(ctx, w, territoryID, rpps, now)
	} else {
		_, err = s.writeSpecialtyCalendar(ctx, w, territoryID, specialtyID, now)
	}
	return err
}
