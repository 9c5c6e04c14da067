package calllog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/regul-sante/regul/calllog/callevent"
)

// apply writes one event in tx: it appends the event to call_event and, only
// when that row is new, updates the projected rows. A replayed event is
// therefore a no-op. It reports whether the event was new.
func apply(ctx context.Context, tx pgx.Tx, ev callevent.Event) (bool, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("encode event %s/%d: %w", ev.CallID, ev.Seq, err)
	}
	// The call row comes first (call_event refers to it); an event may reach
	// us before call_started when the script emits out of order.
	if _, err := tx.Exec(ctx, `INSERT INTO call (id, started_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
		ev.CallID, ev.At); err != nil {
		return false, fmt.Errorf("event %s/%d: ensure call row: %w", ev.CallID, ev.Seq, err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO call_event (call_id, seq, at, kind, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (call_id, seq) DO NOTHING`, ev.CallID, ev.Seq, ev.At, string(ev.Kind), data)
	if err != nil {
		return false, fmt.Errorf("event %s/%d: insert: %w", ev.CallID, ev.Seq, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if err := project(ctx, tx, ev); err != nil {
		return false, fmt.Errorf("event %s/%d (%s): project: %w", ev.CallID, ev.Seq, ev.Kind, err)
	}
	return true, nil
}

// project updates call, call_attempt, outcome and callback_request for a new
// event. Kinds that only matter in the event log (closed_hours, refused…)
// change nothing here.
func project(ctx context.Context, tx pgx.Tx, ev callevent.Event) error {
	stmts, ref := projection(ev)
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	if ref {
		return claimReference(ctx, tx, ev.CallID, refTerritory(ev), ev.Reference)
	}
	return nil
}

// stmt is one statement of a projection.
type stmt struct {
	sql  string
	args []any
}

// projection is what project runs for ev: statements, in order, then
// claimReference when ref (it reads before it writes, so it cannot be
// queued with the others).
func projection(ev callevent.Event) (stmts []stmt, ref bool) {
	exec := func(sql string, args ...any) { stmts = append(stmts, stmt{sql, args}) }
	switch ev.Kind {
	case callevent.CallStarted:
		exec(`UPDATE call SET did = $2, caller = $3, started_at = least(started_at, $4) WHERE id = $1`,
			ev.CallID, ev.DID, ev.Caller, ev.At)
		ref = true
	case callevent.TerritoryResolved:
		ref = true
	case callevent.Answered:
		exec(`UPDATE call SET answered_at = coalesce(answered_at, $2) WHERE id = $1`, ev.CallID, ev.At)
	case callevent.Identified:
		exec(`UPDATE call SET gp_rpps = $2 WHERE id = $1`, ev.CallID, ev.RPPS)
	case callevent.SpecialtyChosen:
		exec(`UPDATE call SET specialty_id = $2 WHERE id = $1`, ev.CallID, ev.SpecialtyID)
	case callevent.AttemptStarted:
		exec(`INSERT INTO call_attempt (call_id, attempt, rank, rpps, phone, started_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (call_id, attempt) DO UPDATE SET rank = excluded.rank, rpps = excluded.rpps,
				phone = excluded.phone, started_at = excluded.started_at`,
			ev.CallID, ev.Attempt, ev.Rank, ev.RPPS, ev.Phone, ev.At)
		exec(`UPDATE call SET attempts = greatest(attempts, $2) WHERE id = $1`, ev.CallID, ev.Attempt)
	case callevent.AttemptRinging:
		exec(`INSERT INTO call_attempt (call_id, attempt, ringing_at) VALUES ($1, $2, $3)
			ON CONFLICT (call_id, attempt) DO UPDATE SET ringing_at = coalesce(call_attempt.ringing_at, excluded.ringing_at)`,
			ev.CallID, ev.Attempt, ev.At)
	case callevent.AttemptAnswered:
		exec(`INSERT INTO call_attempt (call_id, attempt, answered_at) VALUES ($1, $2, $3)
			ON CONFLICT (call_id, attempt) DO UPDATE SET answered_at = coalesce(call_attempt.answered_at, excluded.answered_at)`,
			ev.CallID, ev.Attempt, ev.At)
	case callevent.AttemptEnded:
		exec(`INSERT INTO call_attempt (call_id, attempt, ended_at, result, cause) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (call_id, attempt) DO UPDATE SET ended_at = excluded.ended_at, result = excluded.result,
				cause = excluded.cause`,
			ev.CallID, ev.Attempt, ev.At, nullIfEmpty(string(ev.AttemptRes)), nullIfZero(ev.Cause))
	case callevent.Bridged:
		exec(`UPDATE call SET bridged_at = $2, specialist_rpps = nullif($3, ''),
			time_to_specialist_ms = (extract(epoch FROM $2::timestamptz - coalesce(
				(SELECT min(started_at) FROM call_attempt WHERE call_id = $1), started_at)) * 1000)::integer
			WHERE id = $1`, ev.CallID, ev.At, ev.RPPS)
		exec(closeCallbackSQL, ev.CallID, ev.At)
	case callevent.CallbackStarted:
		exec(`UPDATE call SET callback_of = $2 WHERE id = $1`, ev.CallID, ev.Origin)
	case callevent.OutcomeKeyed:
		exec(`INSERT INTO outcome (call_id, status, outcome, delay_hours, keyed_at, keyed_via)
			VALUES ($1, 'keyed', $2, $3, $4, 'phone')
			ON CONFLICT (call_id) DO UPDATE SET status = 'keyed', outcome = excluded.outcome,
				delay_hours = excluded.delay_hours, keyed_at = excluded.keyed_at, keyed_via = 'phone'`,
			ev.CallID, string(ev.Outcome), nullIfZero(ev.DelayHours), ev.At)
		exec(`UPDATE call SET outcome_status = 'keyed' WHERE id = $1`, ev.CallID)
	case callevent.OutcomePending:
		exec(`INSERT INTO outcome (call_id, status) VALUES ($1, 'pending') ON CONFLICT (call_id) DO NOTHING`,
			ev.CallID)
		exec(`UPDATE call SET outcome_status = 'pending' WHERE id = $1 AND outcome_status IS NULL`, ev.CallID)
	case callevent.CallbackRequested:
		exec(`INSERT INTO callback_request (call_id, territory_id, specialty_id, gp_rpps, created_at)
			SELECT id, coalesce(nullif($2::bigint, 0), territory_id), coalesce(nullif($3::bigint, 0), specialty_id),
				coalesce(nullif($4, ''), gp_rpps), $5
			FROM call WHERE id = $1
			ON CONFLICT (call_id) DO NOTHING`,
			ev.CallID, ev.TerritoryID, ev.SpecialtyID, ev.RPPS, ev.At)
	case callevent.CallEnded:
		exec(`UPDATE call SET ended_at = $2, result = nullif($3, '') WHERE id = $1`,
			ev.CallID, ev.At, string(ev.Result))
		if ev.Result == callevent.ResultBridged {
			// A callback whose Bridged event was lost (its controller
			// died at that moment, and the one that adopted it saw the
			// bridge) closes its request here.
			exec(closeCallbackSQL, ev.CallID, ev.At)
		}
		exec(releaseCallbackSQL, ev.CallID)
	}
	return stmts, ref
}

// refTerritory is the territory claimReference sets for ev: none for
// call_started (the reference only).
func refTerritory(ev callevent.Event) int64 {
	if ev.Kind == callevent.CallStarted {
		return 0
	}
	return ev.TerritoryID
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullIfZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// permanent tells an error that replaying will never cure (bad data, a
// constraint the event breaks) from one that waiting will (the database
// down, a lost connection).
func permanent(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code[:2] {
	case "22", // data exception: a malformed uuid, a value out of range
		"23": // integrity constraint violation: a CHECK the event breaks
		return true
	}
	return false
}
