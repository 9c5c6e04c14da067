package calllog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors of a callback claim, for the link page and the line to tell apart.
var (
	// ErrCallbackDone: the request is closed (called back, or marked done).
	ErrCallbackDone = errors.New("callback request already done")
	// ErrCallbackTaken: another callback of this request is under way.
	ErrCallbackTaken = errors.New("a callback of this request is under way")
)

// ClaimCallbackTx takes the open callback request of call requestCallID for
// the callback call callID, placed by the specialist rpps, until until (a
// bound: the call's end releases it sooner, see releaseCallback). It is one
// conditional UPDATE, so that of two specialists tapping at once exactly
// one gets the request: the other gets ErrCallbackTaken. ErrCallbackDone
// when the request is closed, ErrNotFound when there is none.
func ClaimCallbackTx(ctx context.Context, tx pgx.Tx, requestCallID, rpps, callID string, now, until time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE callback_request
		   SET claim_rpps = $2, claim_call_id = $3, claimed_at = $4, claim_until = $5, tries = tries + 1
		 WHERE call_id = $1 AND done_at IS NULL AND (claim_call_id IS NULL OR claim_until <= $4)`,
		requestCallID, rpps, callID, now, until)
	if err != nil {
		return fmt.Errorf("claim the callback request of call %s: %w", requestCallID, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var done *time.Time
	err = tx.QueryRow(ctx, `SELECT done_at FROM callback_request WHERE call_id = $1`, requestCallID).Scan(&done)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("callback request of call %s: %w", requestCallID, ErrNotFound)
	case err != nil:
		return fmt.Errorf("callback request of call %s: %w", requestCallID, err)
	case done != nil:
		return ErrCallbackDone
	}
	return ErrCallbackTaken
}

// ReleaseCallbackClaim gives back a claim whose call could not even start
// (the line was unavailable): the request is open to the others again.
func ReleaseCallbackClaim(ctx context.Context, pool *pgxpool.Pool, callID string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return releaseCallback(ctx, tx, callID) })
}

// releaseCallback ends the claim of a callback call that is over: when it
// did not close the request, the request stays open to every specialist.
func releaseCallback(ctx context.Context, tx pgx.Tx, callID string) error {
	_, err := tx.Exec(ctx, releaseCallbackSQL, callID)
	return err
}

// releaseCallbackSQL ($1: the callback call's id) ends its claim.
const releaseCallbackSQL = `UPDATE callback_request
	   SET claim_rpps = NULL, claim_call_id = NULL, claimed_at = NULL, claim_until = NULL
	 WHERE claim_call_id = $1`

// closeCallback closes the request a callback call answers once the GP
// and the specialist are bridged: done by « rappel », linked to the call.
// closeCallbackSQL ($1: the callback call's id, $2: when).
const closeCallbackSQL = `UPDATE callback_request r
	   SET done_at = $2, done_by = 'rappel', callback_call_id = c.id,
	       claim_rpps = NULL, claim_call_id = NULL, claimed_at = NULL, claim_until = NULL
	  FROM call c
	 WHERE c.id = $1 AND c.callback_of IS NOT NULL AND r.call_id = c.callback_of AND r.done_at IS NULL`

// CallbackOf returns the call whose callback request call callID answers
// ("" when it answers none), as projected in tx.
func CallbackOf(ctx context.Context, tx pgx.Tx, callID string) (string, error) {
	var origin *string
	err := tx.QueryRow(ctx, `SELECT callback_of::text FROM call WHERE id = $1`, callID).Scan(&origin)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return val(origin), err
}
