package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog"
)

// CallbackPath is where callback links live under notify.public_url.
const CallbackPath = "/r/"

// CallbackCodeLen is how many digits a callback code has: never the length
// of an RPPS (11 or 12), so the line tells them apart at its RPPS prompt.
const CallbackCodeLen = 8

// ErrLinkTaken says another specialist's callback of the request is under way.
var ErrLinkTaken = errors.New("callback under way")

// callbackLink is one specialist's way to call a GP back through the line.
type callbackLink struct {
	token, code string
}

// newCallbackLink makes a 96-bit token (short enough for one SMS with the
// rest of the message; unguessable for the day it works) and an 8-digit code unique in the territory, and
// stores their hashes.
func newCallbackLink(ctx context.Context, tx pgx.Tx, territoryID int64, callID, rpps, phone string, now time.Time, ttl time.Duration) (callbackLink, error) {
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		return callbackLink{}, fmt.Errorf("callback link token: %w", err)
	}
	l := callbackLink{token: base64.RawURLEncoding.EncodeToString(raw)}
	for try := 0; ; try++ {
		n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
		if err != nil {
			return callbackLink{}, fmt.Errorf("callback code: %w", err)
		}
		l.code = fmt.Sprintf("%08d", n.Int64())
		err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			_, err := sp.Exec(ctx, `INSERT INTO callback_link (token_hash, territory_id, call_id, specialist_rpps, phone,
					code_hash, created_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				hashToken(l.token), territoryID, callID, rpps, phone, hashCode(territoryID, l.code), now, now.Add(ttl))
			return err
		})
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23505" && try < 20 {
			continue // the code is another link's in this territory: draw again
		}
		if err != nil {
			return callbackLink{}, fmt.Errorf("store callback link: %w", err)
		}
		return l, nil
	}
}

func hashCode(territoryID int64, code string) []byte {
	h := sha256.Sum256([]byte(strconv.FormatInt(territoryID, 10) + ":" + code))
	return h[:]
}

// CallbackLinks reads callback links and claims their requests.
type CallbackLinks struct {
	pool   *pgxpool.Pool
	owners Owners
	// claimFor bounds a claim whose call never ends (its controller died).
	claimFor time.Duration
}

// NewCallbackLinks returns the store on an open pool, reading the calls
// and the roster through owners.
func NewCallbackLinks(pool *pgxpool.Pool, owners Owners) *CallbackLinks {
	return &CallbackLinks{pool: pool, owners: owners, claimFor: 15 * time.Minute}
}

// CallbackView is all a callback page may show: who asked, for what, when,
// and who is to call back.
type CallbackView struct {
	AskedAt    time.Time // in the territory's zone
	GPName     string    // "Dr Marie DUBOIS"
	Specialty  string
	Territory  string
	Specialist string
	// Busy: another callback of this request is under way right now.
	Busy bool
}

// CallbackTarget is what the line needs to place a callback: nothing is
// read again from the link.
type CallbackTarget struct {
	RequestCallID  string
	Reference      string // the request's call's
	TerritoryID    int64
	DID            string // the regulation number the GP called: presented to both
	SpecialtyID    int64
	GPRPPS         string
	GPFirst        string
	GPLast         string
	GPPhone        string // where the GP is rung
	SpecialistRPPS string
	SpecialistName string // "Dr Louis DURAND"
	SpecialistPhn  string // the phone the SMS went to
}

const callbackLinkQuery = `
	SELECT k.call_id::text, k.territory_id, k.specialist_rpps, k.phone, k.expires_at, k.used_at
	  FROM callback_link k`

type linkRow struct {
	target   CallbackTarget
	view     CallbackView
	expires  time.Time
	used     *time.Time
	done     *time.Time
	gpPhones []string
	caller   string
}

// readLink reads a link (query is callbackLinkQuery and its condition),
// then, through the same db, its request and call (calllog) and the names
// around them (roster). A link whose request or call is gone is unknown.
func (o Owners) readLink(ctx context.Context, db calllog.Querier, now time.Time, query string, args ...any) (linkRow, error) {
	var l linkRow
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return l, fmt.Errorf("read callback link: %w", err)
	}
	l, err = pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (linkRow, error) {
		var l linkRow
		err := row.Scan(&l.target.RequestCallID, &l.target.TerritoryID, &l.target.SpecialistRPPS, &l.target.SpecialistPhn,
			&l.expires, &l.used)
		return l, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return l, ErrLinkUnknown
	}
	if err != nil {
		return l, fmt.Errorf("read callback link: %w", err)
	}
	state, err := o.Calls.CallbackStateIn(ctx, db, l.target.RequestCallID, now)
	if errors.Is(err, calllog.ErrNotFound) {
		return l, ErrLinkUnknown
	}
	if err != nil {
		return l, fmt.Errorf("read callback link: %w", err)
	}
	call, err := o.Calls.CallBriefIn(ctx, db, l.target.RequestCallID)
	if errors.Is(err, calllog.ErrNotFound) {
		return l, ErrLinkUnknown
	}
	if err != nil {
		return l, fmt.Errorf("read callback link: %w", err)
	}
	set, err := o.Roster.CallSettingIn(ctx, db, l.target.TerritoryID, call.SpecialtyID, call.GPRPPS)
	if err != nil {
		return l, fmt.Errorf("read callback link: %w", err)
	}
	names, err := o.Roster.PractitionerNamesIn(ctx, db, []string{l.target.SpecialistRPPS})
	if err != nil {
		return l, fmt.Errorf("read callback link: %w", err)
	}
	if !state.DoneAt.IsZero() {
		l.done = &state.DoneAt
	}
	l.view.Busy = state.Busy
	l.view.AskedAt = call.StartedAt.In(set.Location)
	l.target.Reference, l.target.DID, l.caller = call.Reference, call.DID, call.Caller
	l.target.SpecialtyID, l.target.GPRPPS = call.SpecialtyID, call.GPRPPS
	l.target.GPFirst, l.target.GPLast, l.gpPhones = set.GPFirst, set.GPLast, set.GPPhones
	l.view.Specialty, l.view.Territory = set.Specialty, set.Territory
	l.view.GPName = doctor(l.target.GPFirst, l.target.GPLast)
	sp := names[l.target.SpecialistRPPS]
	l.target.SpecialistName = doctor(sp.FirstName, sp.LastName)
	l.view.Specialist = l.target.SpecialistName
	l.target.GPPhone = callContext{caller: l.caller, gpPhones: l.gpPhones}.gpCallbackNumber()
	return l, nil
}

// usable: a link works until it expires, while its request is open.
func (l linkRow) usable(now time.Time) error {
	switch {
	case l.used != nil || l.done != nil:
		return ErrLinkUsed
	case !now.Before(l.expires):
		return ErrLinkExpired
	}
	return nil
}

// View returns what a callback page shows; ErrLinkUnknown, ErrLinkUsed
// (the GP was called back, by this specialist or another) or ErrLinkExpired
// when the link may not be used. Reading never claims anything: SMS
// previewers fetch links.
func (l *CallbackLinks) View(ctx context.Context, token string, now time.Time) (CallbackView, error) {
	row, err := l.owners.readLink(ctx, l.pool, now, callbackLinkQuery+` WHERE k.token_hash = $1`, hashToken(token))
	if err != nil {
		return CallbackView{}, err
	}
	if err := row.usable(now); err != nil {
		return CallbackView{}, err
	}
	return row.view, nil
}

// Claim takes the link's request for the callback call callID, in one
// transaction (see calllog.ClaimCallbackTx): of two specialists tapping at
// once, one gets the target, the other ErrLinkTaken. ErrLinkUsed,
// ErrLinkExpired or ErrLinkUnknown when the link may not be used.
func (l *CallbackLinks) Claim(ctx context.Context, token, callID string, now time.Time) (CallbackTarget, error) {
	return l.claim(ctx, callbackLinkQuery+` WHERE k.token_hash = $1`, hashToken(token), callID, now)
}

// ClaimByCode is Claim for a code typed on the line of the territory.
func (l *CallbackLinks) ClaimByCode(ctx context.Context, territoryID int64, code, callID string, now time.Time) (CallbackTarget, error) {
	if len(code) != CallbackCodeLen {
		return CallbackTarget{}, ErrLinkUnknown
	}
	return l.claim(ctx, callbackLinkQuery+` WHERE k.territory_id = $2 AND k.code_hash = $1`,
		hashCode(territoryID, code), callID, now, territoryID)
}

func (l *CallbackLinks) claim(ctx context.Context, query string, key []byte, callID string, now time.Time, more ...any) (CallbackTarget, error) {
	var target CallbackTarget
	err := calllog.BeginRetry(ctx, l.pool, func(tx pgx.Tx) error {
		row, err := l.owners.readLink(ctx, tx, now, query, append([]any{key}, more...)...)
		if err != nil {
			return err
		}
		if err := row.usable(now); err != nil {
			return err
		}
		err = calllog.ClaimCallbackTx(ctx, tx, row.target.RequestCallID, row.target.SpecialistRPPS, callID, now, now.Add(l.claimFor))
		switch {
		case errors.Is(err, calllog.ErrCallbackTaken):
			return ErrLinkTaken
		case errors.Is(err, calllog.ErrCallbackDone):
			return ErrLinkUsed
		case err != nil:
			return err
		}
		target = row.target
		return nil
	})
	return target, err
}

// Release gives back the claim of a callback call that could not start.
func (l *CallbackLinks) Release(ctx context.Context, callID string) error {
	return calllog.ReleaseCallbackClaim(ctx, l.pool, callID)
}
