package calllog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier is a pool or the caller's transaction: the applier's, when a
// hook reads what the events projected so far.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// CallBrief is what the messages and link pages about a call say of it.
type CallBrief struct {
	ID             string
	Reference      string
	TerritoryID    int64 // 0 when the number called was unknown
	SpecialtyID    int64
	StartedAt      time.Time
	Caller         string
	DID            string
	GPRPPS         string
	SpecialistRPPS string
}

// CallBriefIn reads a call as projected so far, through db (the store's
// own pool, or the caller's transaction); ErrNotFound
// when there is no such call.
func (s *Store) CallBriefIn(ctx context.Context, db Querier, callID string) (CallBrief, error) {
	rows, err := db.Query(ctx, `SELECT id::text, coalesce(reference, ''), coalesce(territory_id, 0), coalesce(specialty_id, 0),
		started_at, caller, did, coalesce(gp_rpps, ''), coalesce(specialist_rpps, '') FROM call WHERE id = $1`, callID)
	if err != nil {
		return CallBrief{}, fmt.Errorf("call %s: %w", callID, err)
	}
	b, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (CallBrief, error) {
		var b CallBrief
		err := row.Scan(&b.ID, &b.Reference, &b.TerritoryID, &b.SpecialtyID, &b.StartedAt, &b.Caller, &b.DID, &b.GPRPPS, &b.SpecialistRPPS)
		return b, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return CallBrief{}, fmt.Errorf("call %s: %w", callID, ErrNotFound)
	}
	if err != nil {
		return CallBrief{}, fmt.Errorf("call %s: %w", callID, err)
	}
	return b, nil
}

// AttemptPhoneIn is the phone an attempt of the call rang, through db; ""
// when none.
func (s *Store) AttemptPhoneIn(ctx context.Context, db Querier, callID string, attempt int) (string, error) {
	return onePhone(ctx, db, `SELECT phone FROM call_attempt WHERE call_id = $1 AND attempt = $2 AND phone <> ''`, callID, attempt)
}

// LastPhoneRungIn is the phone the call last rang a specialist on, through
// db; "" when none.
func (s *Store) LastPhoneRungIn(ctx context.Context, db Querier, callID, rpps string) (string, error) {
	return onePhone(ctx, db, `SELECT phone FROM call_attempt WHERE call_id = $1 AND rpps = $2 AND phone <> ''
		ORDER BY attempt DESC LIMIT 1`, callID, rpps)
}

func onePhone(ctx context.Context, db Querier, sql string, args ...any) (string, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return "", fmt.Errorf("phone rung in call %v: %w", args[0], err)
	}
	phone, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[string])
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("phone rung in call %v: %w", args[0], err)
	}
	return phone, nil
}

// CallbackState is where a call's callback request stands, for its links.
type CallbackState struct {
	DoneAt time.Time // zero while open
	Busy   bool      // a callback through the line is under way
}

// CallbackStateIn reads the callback request of a call at now, through db;
// ErrNotFound when the call has none.
func (s *Store) CallbackStateIn(ctx context.Context, db Querier, callID string, now time.Time) (CallbackState, error) {
	rows, err := db.Query(ctx, `SELECT done_at, (claim_call_id IS NOT NULL AND claim_until > $2)
		FROM callback_request WHERE call_id = $1`, callID, now)
	if err != nil {
		return CallbackState{}, fmt.Errorf("callback request of call %s: %w", callID, err)
	}
	st, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (CallbackState, error) {
		var st CallbackState
		var done *time.Time
		err := row.Scan(&done, &st.Busy)
		if done != nil {
			st.DoneAt = *done
		}
		return st, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return CallbackState{}, fmt.Errorf("callback request of call %s: %w", callID, ErrNotFound)
	}
	if err != nil {
		return CallbackState{}, fmt.Errorf("callback request of call %s: %w", callID, err)
	}
	return st, nil
}
