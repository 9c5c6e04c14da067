package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// LinkPath is where outcome links live under notify.public_url.
const LinkPath = "/suite/"

// Errors of an outcome link, for the page to tell apart.
var (
	ErrLinkUnknown = errors.New("outcome link unknown")
	ErrLinkUsed    = errors.New("outcome link already used")
	ErrLinkExpired = errors.New("outcome link expired")
)

// newLinkToken makes a random 256-bit token for the call and stores its hash.
func newLinkToken(ctx context.Context, tx pgx.Tx, callID, rpps string, now time.Time, ttl time.Duration) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("outcome link token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := tx.Exec(ctx, `INSERT INTO outcome_link (token_hash, call_id, specialist_rpps, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, hashToken(token), callID, rpps, now, now.Add(ttl)); err != nil {
		return "", fmt.Errorf("store outcome link: %w", err)
	}
	return token, nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Links reads and consumes outcome links.
type Links struct {
	pool   *pgxpool.Pool
	owners Owners
}

// NewLinks returns the link store on an open pool, reading the calls and
// the roster through owners.
func NewLinks(pool *pgxpool.Pool, owners Owners) *Links { return &Links{pool: pool, owners: owners} }

// LinkView is all an outcome page may show: the call's time (in the
// territory's zone), the GP's name and the specialty.
type LinkView struct {
	CallAt    time.Time
	GPName    string // "Dr Marie DUBOIS"
	Specialty string // label
	Territory string
	// FormKey binds the page's form to this link (its CSRF token).
	FormKey string
}

// View returns what the page shows for a token; ErrLinkUnknown, ErrLinkUsed
// or ErrLinkExpired when it may not be used.
func (l *Links) View(ctx context.Context, token string, now time.Time) (LinkView, error) {
	var v LinkView
	var callID string
	var expires time.Time
	var used *time.Time
	err := l.pool.QueryRow(ctx, `SELECT call_id::text, expires_at, used_at FROM outcome_link WHERE token_hash = $1`,
		hashToken(token)).Scan(&callID, &expires, &used)
	if errors.Is(err, pgx.ErrNoRows) {
		return LinkView{}, ErrLinkUnknown
	}
	if err != nil {
		return LinkView{}, fmt.Errorf("read outcome link: %w", err)
	}
	call, err := l.owners.Calls.CallBriefIn(ctx, l.pool, callID)
	if errors.Is(err, calllog.ErrNotFound) {
		return LinkView{}, ErrLinkUnknown
	}
	if err != nil {
		return LinkView{}, fmt.Errorf("read outcome link: %w", err)
	}
	if err := usable(expires, used, now); err != nil {
		return LinkView{}, err
	}
	set, err := l.owners.Roster.CallSettingIn(ctx, l.pool, call.TerritoryID, call.SpecialtyID, call.GPRPPS)
	if err != nil {
		return LinkView{}, fmt.Errorf("read outcome link: %w", err)
	}
	v.CallAt, v.Specialty, v.Territory = call.StartedAt.In(set.Location), set.Specialty, set.Territory
	first, last := set.GPFirst, set.GPLast
	v.GPName = doctor(first, last)
	v.FormKey = FormKey(token)
	return v, nil
}

func usable(expires time.Time, used *time.Time, now time.Time) error {
	switch {
	case used != nil:
		return ErrLinkUsed
	case !now.Before(expires):
		return ErrLinkExpired
	}
	return nil
}

// FormKey is the CSRF token of a link's form: derived from the token, so
// that only someone who holds the link can post it, and no server-side
// session is needed.
func FormKey(token string) string {
	m := hmac.New(sha256.New, []byte("regul outcome form"))
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Use keys the call's outcome through the link and consumes the link, in
// one transaction: a reused or expired link keys nothing.
func (l *Links) Use(ctx context.Context, token string, outcome callevent.Outcome, delayHours int, now time.Time) error {
	return calllog.BeginRetry(ctx, l.pool, func(tx pgx.Tx) error {
		var callID string
		var expires time.Time
		var used *time.Time
		err := tx.QueryRow(ctx, `SELECT call_id::text, expires_at, used_at FROM outcome_link
			WHERE token_hash = $1 FOR UPDATE`, hashToken(token)).Scan(&callID, &expires, &used)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrLinkUnknown
		}
		if err != nil {
			return fmt.Errorf("read outcome link: %w", err)
		}
		if err := usable(expires, used, now); err != nil {
			return err
		}
		if err := calllog.KeyOutcomeTx(ctx, tx, callID, outcome, delayHours, calllog.ViaLink, now); err != nil {
			return err
		}
		// The GP's written trace, queued with the outcome (its dedupe key
		// keeps it to one).
		if err := l.owners.queueTrace(ctx, tx, callID, outcome, delayHours, now); err != nil {
			return fmt.Errorf("queue the GP's trace: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE outcome_link SET used_at = $2 WHERE call_id = $1 AND used_at IS NULL`,
			callID, now); err != nil {
			return fmt.Errorf("consume outcome link: %w", err)
		}
		return nil
	})
}
