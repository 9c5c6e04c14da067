package calllog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// FollowUps are what a territory's calls leave to the coordinators: open
// callback requests (and the oldest one's creation) and the calls whose
// outcome is still pending.
type FollowUps struct {
	OpenCallbacks  int
	OldestCallback time.Time // zero when none is open
	PendingOutcome int
}

// FollowUps counts them in one round trip. An outcome counts as pending
// from pendingBefore on; started_at bounds it too so that the partial
// index call_territory_pending serves the count.
func (s *Store) FollowUps(ctx context.Context, scope Scope, pendingBefore time.Time) (FollowUps, error) {
	var f FollowUps
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT
		  (SELECT count(*) FROM callback_request cb WHERE cb.territory_id = ANY($1::bigint[]) AND cb.territory_id = $2
		      AND cb.done_at IS NULL),
		  (SELECT min(cb.created_at) FROM callback_request cb WHERE cb.territory_id = ANY($1::bigint[]) AND cb.territory_id = $2
		      AND cb.done_at IS NULL),
		  (SELECT count(*) FROM call cl WHERE cl.territory_id = ANY($1::bigint[]) AND cl.territory_id = $2
		      AND cl.outcome_status = 'pending' AND cl.started_at < $3 AND coalesce(cl.ended_at, cl.started_at) < $3)`,
		scope.Allowed, scope.Territory, pendingBefore).Scan(&f.OpenCallbacks, &oldest, &f.PendingOutcome)
	if err != nil {
		return f, fmt.Errorf("follow-ups of territory %d: %w", scope.Territory, err)
	}
	if oldest != nil {
		f.OldestCallback = *oldest
	}
	return f, nil
}

// ReferenceOf is a call's reference, "" when it has none (or no such call).
func (s *Store) ReferenceOf(ctx context.Context, callID string) (string, error) {
	var ref string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(reference, '') FROM call WHERE id = $1`, callID).Scan(&ref)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("reference of call %s: %w", callID, err)
	}
	return ref, nil
}
