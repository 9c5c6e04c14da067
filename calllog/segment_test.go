package calllog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// oddCalls are calls whose events come in orders the line rarely or never
// emits, each of which a batch must project as the events one at a time
// would: repeated events, a call started again after its bridge, an attempt
// started after it, an outcome pending after it was keyed, a callback
// request followed by the specialty, a callback through the line.
func oddCalls(ids []string, origin, ref string, start time.Time) [][]callevent.Event {
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	return [][]callevent.Event{
		number(ids[0], []callevent.Event{
			{Kind: callevent.Answered, At: at(2)}, // before its call_started
			{Kind: callevent.CallStarted, At: at(1), DID: "+33179000001", Caller: "+33611000014", Reference: ref},
			{Kind: callevent.TerritoryResolved, At: at(1), TerritoryID: 1, Reference: ref},
			{Kind: callevent.Answered, At: at(3)},
			{Kind: callevent.Identified, At: at(5), RPPS: "10003000014"},
			{Kind: callevent.Identified, At: at(6), RPPS: "10003000022"},
			{Kind: callevent.SpecialtyChosen, At: at(7), SpecialtyID: 7},
			{Kind: callevent.AttemptRinging, At: at(9), Attempt: 1}, // before its start
			{Kind: callevent.AttemptStarted, At: at(8), Attempt: 1, Rank: 1, RPPS: "10002000015", Phone: "+33612000015"},
			{Kind: callevent.AttemptRinging, At: at(10), Attempt: 1},
			{Kind: callevent.AttemptAnswered, At: at(11), Attempt: 1},
			{Kind: callevent.AttemptEnded, At: at(12), Attempt: 1, AttemptRes: callevent.AttemptAccepted},
			{Kind: callevent.Bridged, At: at(12), Attempt: 1, RPPS: "10002000015"},
			{Kind: callevent.AttemptStarted, At: at(4), Attempt: 2, Rank: 2, RPPS: "10002000023"}, // after the bridge, earlier
			{Kind: callevent.CallStarted, At: at(0), DID: "+33179000009", Caller: "+33611000099", Reference: ref},
			{Kind: callevent.OutcomeKeyed, At: at(30), Outcome: callevent.OutcomeVisit, DelayHours: 4},
			{Kind: callevent.OutcomePending, At: at(31)},
			{Kind: callevent.CallEnded, At: at(32), Result: callevent.ResultBridged},
			{Kind: callevent.CallEnded, At: at(33), Result: callevent.ResultBridged},
		}),
		number(ids[1], []callevent.Event{
			{Kind: callevent.CallStarted, At: at(0), DID: "+33179000002", Caller: "+33611000022", Reference: ref}, // the same draw
			{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: 1, Reference: ref},
			{Kind: callevent.Identified, At: at(2), RPPS: "10003000022"},
			{Kind: callevent.CallbackRequested, At: at(3)},
			{Kind: callevent.SpecialtyChosen, At: at(4), SpecialtyID: 8},
			{Kind: callevent.CallbackRequested, At: at(5), SpecialtyID: 9},
			{Kind: callevent.CallEnded, At: at(6), Result: callevent.ResultCallback},
		}),
		number(ids[2], []callevent.Event{
			{Kind: callevent.CallStarted, At: at(0), DID: "+33179000003"},
			{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: 2},
			{Kind: callevent.SpecialtyChosen, At: at(1), SpecialtyID: 7},
			{Kind: callevent.AttemptStarted, At: at(2), Attempt: 1, Rank: 1, RPPS: "10002000015"},
			{Kind: callevent.AttemptEnded, At: at(9), Attempt: 1, AttemptRes: callevent.AttemptNoAnswer, Cause: 19},
			{Kind: callevent.AttemptEnded, At: at(10), Attempt: 1, AttemptRes: callevent.AttemptCancelled},
			{Kind: callevent.OutcomePending, At: at(20)},
			{Kind: callevent.OutcomeKeyed, At: at(21), Outcome: callevent.OutcomeAdvice},
			{Kind: callevent.CallEnded, At: at(22), Result: callevent.ResultAbandoned},
			{Kind: callevent.CallEnded, At: at(23)},
		}),
		callbackThroughLine(ids[3], origin, start, true),
		callbackThroughLine(ids[4], origin, start.Add(time.Second), true), // the request is closed already
	}
}

// interleave is the calls' events as the spool holds them: a call's in
// order, the calls' mixed.
func interleave(calls [][]callevent.Event) []callevent.Event {
	var out []callevent.Event
	for i := 0; ; i++ {
		more := false
		for _, c := range calls {
			if i < len(c) {
				out, more = append(out, c[i]), true
			}
		}
		if !more {
			return out
		}
	}
}

// projected is a call's rows as text, its id replaced by its position and
// its reference by how it was chosen, so that two calls with the same
// events compare equal.
func projected(t *testing.T, pool *pgxpool.Pool, id, drawn string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	var ref *string
	var row string
	if err := pool.QueryRow(ctx, `SELECT reference, (c.territory_id, c.did, c.caller, c.gp_rpps, c.specialty_id, c.started_at,
			c.answered_at, c.bridged_at, c.ended_at, c.result, c.specialist_rpps, c.attempts, c.time_to_specialist_ms,
			c.outcome_status, c.callback_of IS NOT NULL)::text FROM call c WHERE id = $1`, id).Scan(&ref, &row); err != nil {
		t.Fatal(err)
	}
	b.WriteString(row)
	switch {
	case ref == nil:
		b.WriteString(" no reference")
	case *ref == drawn:
		b.WriteString(" drawn reference")
	default:
		n := 0
		for n < maxDerivations && callevent.DeriveReference(id, n) != *ref {
			n++
		}
		fmt.Fprintf(&b, " derived reference %d", n)
	}
	for _, q := range []string{
		`SELECT coalesce(string_agg((attempt, rank, rpps, phone, started_at, ringing_at, answered_at, ended_at, result, cause)::text,
			' ' ORDER BY attempt), '') FROM call_attempt WHERE call_id = $1`,
		`SELECT coalesce((SELECT (status, outcome, delay_hours, keyed_at, keyed_via)::text FROM outcome WHERE call_id = $1), '')`,
		`SELECT coalesce((SELECT (territory_id, specialty_id, gp_rpps, created_at, done_at, done_by, callback_call_id IS NOT NULL,
			claim_call_id IS NOT NULL)::text FROM callback_request WHERE call_id = $1), '')`,
		`SELECT count(*)::text FROM callback_request WHERE callback_call_id = $1`,
	} {
		var s string
		if err := pool.QueryRow(ctx, q, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(" | " + s)
	}
	return b.String()
}

// A batch projects its calls with one statement per table: the rows must
// be what the same events give applied one by one, and the statistics'
// counts what recounting the calls gives.
func TestBatchProjectsLikeOneEventAtATime(t *testing.T) {
	pool := pgtest.New(t)
	store := NewStore(pool)
	ctx := context.Background()

	// Two copies of the same calls, each answering its own request.
	var origins [2]string
	for i := range origins {
		origins[i] = newCallID()
		if _, err := store.ApplyEvents(ctx, callbackCall(origins[i], t0.Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	refs := [2]string{"K7M2QX", "K7M2QY"}
	var ids [2][]string
	var calls [2][][]callevent.Event
	for i := range ids {
		for range 5 {
			ids[i] = append(ids[i], newCallID())
		}
		calls[i] = oddCalls(ids[i], origins[i], refs[i], t0)
		calls[i] = append(calls[i], bridgedCall(newCallID(), t0), callbackCall(newCallID(), t0))
	}
	// A hook on every event notes what it reads of its call: the same in
	// both copies.
	var seen [2][]string
	hook := func(copy int) ApplyHook {
		return func(ctx context.Context, tx pgx.Tx, ev callevent.Event) error {
			var row string
			if err := tx.QueryRow(ctx, `SELECT (c.territory_id, c.specialty_id, c.gp_rpps, c.attempts, c.time_to_specialist_ms,
					c.result, c.outcome_status, c.callback_of IS NOT NULL, (SELECT count(*) FROM call_attempt WHERE call_id = c.id),
					(SELECT status FROM outcome WHERE call_id = c.id), (SELECT count(*) FROM callback_request WHERE call_id = c.id))::text
				FROM call c WHERE id = $1`, ev.CallID).Scan(&row); err != nil {
				return err
			}
			seen[copy] = append(seen[copy], fmt.Sprintf("call %d event %d (%s): %s",
				slices.IndexFunc(calls[copy], func(evs []callevent.Event) bool { return evs[0].CallID == ev.CallID }), ev.Seq, ev.Kind, row))
			return nil
		}
	}
	// The first copy one event per transaction; the second in batches of
	// every size, the whole of it last, and again (a replay).
	for _, ev := range interleave(calls[0]) {
		if _, err := store.ApplyEventsWith(ctx, []callevent.Event{ev}, hook(0)); err != nil {
			t.Fatalf("event %s/%d (%s): %v", ev.CallID, ev.Seq, ev.Kind, err)
		}
	}
	all := interleave(calls[1])
	for size := 2; size < len(all); size *= 3 {
		if _, err := store.ApplyEventsWith(ctx, all[:size], hook(1)); err != nil {
			t.Fatalf("batch of %d: %v", size, err)
		}
	}
	if _, err := store.ApplyEventsWith(ctx, all, hook(1)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen[0], seen[1]) {
		t.Errorf("hooks saw, one event at a time:\n%s\nin batches:\n%s", strings.Join(seen[0], "\n"), strings.Join(seen[1], "\n"))
	}
	if n, err := store.ApplyEvents(ctx, all); err != nil {
		t.Fatal(err)
	} else if n != 0 {
		t.Fatalf("%d events new the second time", n)
	}
	for k := range calls[0] {
		one, batch := calls[0][k][0].CallID, calls[1][k][0].CallID
		want := projected(t, pool, one, refs[0])
		got := projected(t, pool, batch, refs[1])
		if got != want {
			t.Errorf("call %d: batched\n%s\none at a time\n%s", k, got, want)
		}
	}
	for i, o := range origins {
		want := projected(t, pool, origins[0], "")
		if got := projected(t, pool, o, ""); got != want {
			t.Errorf("origin %d: %s, want %s", i, got, want)
		}
	}
	checkStatsMatchCalls(t, pool, "after the events")
}
