package calllog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/regul-sante/regul/calllog/callevent"
)

// Store reads and writes call records in PostgreSQL. Writes of events go
// through a Recorder (the call's path never waits on the database); Store
// itself serves the readers: end-to-end tests and the console.
type Store struct {
	pool *pgxpool.Pool
	// names, when set (WithNames), names the people of the callback lists.
	names CallbackNames
}

// NewStore returns a store on an open pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ErrNotFound says the call (or its pending outcome) does not exist.
var ErrNotFound = errors.New("call not found")

// ErrOutcomeKeyed says the outcome was already keyed with another value.
var ErrOutcomeKeyed = errors.New("outcome already keyed")

// KeyedVia says where a specialist keyed the outcome.
type KeyedVia string

const (
	ViaPhone KeyedVia = "phone" // on the keypad, at the end of the call
	ViaLink  KeyedVia = "link"  // through the signed link sent by SMS
)

// applyLockKey is an arbitrary constant shared by every regul process
// (migrations use another).
const applyLockKey = 7_301_842_552

// ApplyEvents writes events in one transaction, in order, and returns how
// many were new (the others had been applied before: replay is a no-op).
func (s *Store) ApplyEvents(ctx context.Context, events []callevent.Event) (int, error) {
	return s.ApplyEventsWith(ctx, events, nil)
}

// ApplyEventsWith is ApplyEvents with a hook called, in the same transaction,
// for each event that was new (see Options.OnApply).
func (s *Store) ApplyEventsWith(ctx context.Context, events []callevent.Event, hook ApplyHook) (int, error) {
	return s.applyEvents(ctx, events, hook, nil)
}

// applyEvents calls hook only for the kinds listed (every kind when none).
// A batch costs a few round trips and statements, not several per event:
// the call rows and the events go in one statement each, and the
// projections in one statement per table (see segment).
func (s *Store) applyEvents(ctx context.Context, events []callevent.Event, hook ApplyHook, hookKinds []callevent.Kind) (int, error) {
	applied := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		applied = 0
		// One batch at a time across every controller sharing the
		// database: batches update the same rows of the statistics'
		// counts (today's) in no set order, and two at once could
		// deadlock. A batch holds the lock for milliseconds.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, applyLockKey); err != nil {
			return err
		}
		wants := func(k callevent.Kind) bool {
			return hook != nil && (len(hookKinds) == 0 || slices.Contains(hookKinds, k))
		}
		fresh, err := insertEvents(ctx, tx, events)
		if err != nil {
			return err
		}
		// A hook runs once its event's segment is written: it reads its
		// call's rows as its event left them, so a later event of the same
		// call that projects something starts a new segment.
		seg := newSegment()
		var hooked []callevent.Event
		waiting := map[string]bool{} // calls with a hooked event in the segment
		flush := func() error {
			if err := seg.flush(ctx, tx); err != nil {
				return err
			}
			for _, ev := range hooked {
				if err := hook(ctx, tx, ev); err != nil {
					return fmt.Errorf("event %s/%d (%s): %w", ev.CallID, ev.Seq, ev.Kind, err)
				}
			}
			hooked = hooked[:0]
			clear(waiting)
			return nil
		}
		for i, ev := range events {
			if !fresh[i] {
				continue
			}
			if seg.conflicts(ev) || (waiting[strings.ToLower(ev.CallID)] && projects(ev.Kind)) {
				if err := flush(); err != nil {
					return err
				}
			}
			seg.add(ev)
			applied++
			if wants(ev.Kind) {
				hooked = append(hooked, ev)
				waiting[strings.ToLower(ev.CallID)] = true
			}
		}
		return flush()
	})
	if err != nil {
		return 0, err
	}
	return applied, nil
}

// insertEvents makes sure the calls' rows exist (an event may come before
// call_started) and appends the events to call_event, one statement each,
// and reports which events were new (the first of duplicates in the batch).
func insertEvents(ctx context.Context, tx pgx.Tx, events []callevent.Event) ([]bool, error) {
	var (
		callIDs []string
		callAt  []time.Time
		seen    = make(map[string]bool, len(events))
		ids     = make([]string, len(events))
		seqs    = make([]int32, len(events))
		ats     = make([]time.Time, len(events))
		kinds   = make([]string, len(events))
		data    = make([]string, len(events))
	)
	for i, ev := range events {
		if !seen[ev.CallID] {
			seen[ev.CallID] = true
			callIDs, callAt = append(callIDs, ev.CallID), append(callAt, ev.At)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode event %s/%d: %w", ev.CallID, ev.Seq, err)
		}
		ids[i], seqs[i], ats[i], kinds[i], data[i] = ev.CallID, int32(ev.Seq), ev.At, string(ev.Kind), string(b)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO call (id, started_at)
		SELECT id::uuid, at FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
		ON CONFLICT (id) DO NOTHING`, callIDs, callAt); err != nil {
		return nil, fmt.Errorf("%d events: ensure call rows: %w", len(events), err)
	}
	rows, err := tx.Query(ctx, `INSERT INTO call_event (call_id, seq, at, kind, data)
		SELECT id::uuid, seq, at, kind, data::jsonb
		FROM unnest($1::text[], $2::int4[], $3::timestamptz[], $4::text[], $5::text[]) WITH ORDINALITY AS u(id, seq, at, kind, data, n)
		ORDER BY n
		ON CONFLICT (call_id, seq) DO NOTHING
		RETURNING call_id::text, seq`, ids, seqs, ats, kinds, data)
	if err != nil {
		return nil, fmt.Errorf("%d events: insert: %w", len(events), err)
	}
	type key struct {
		id  string
		seq int
	}
	inserted := map[key]bool{}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.seq); err != nil {
			rows.Close()
			return nil, err
		}
		inserted[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%d events: insert: %w", len(events), err)
	}
	fresh := make([]bool, len(events))
	for i, ev := range events {
		k := key{strings.ToLower(ev.CallID), ev.Seq}
		if inserted[k] {
			fresh[i] = true
			delete(inserted, k) // a duplicate later in the batch is not new
		}
	}
	return fresh, nil
}

// KeyOutcome records the outcome of a call whose outcome is pending (the
// specialist left before keying it and uses the link). Keying again the same
// value is a no-op; another value gives ErrOutcomeKeyed; a call without a
// pending or keyed outcome gives ErrNotFound.
func (s *Store) KeyOutcome(ctx context.Context, callID string, outcome callevent.Outcome, delayHours int, via KeyedVia, at time.Time) error {
	return BeginRetry(ctx, s.pool, func(tx pgx.Tx) error {
		return KeyOutcomeTx(ctx, tx, callID, outcome, delayHours, via, at)
	})
}

// KeyOutcomeTx is KeyOutcome inside the caller's transaction, so that what
// allowed the keying (a one-time link) is consumed in the same commit.
func KeyOutcomeTx(ctx context.Context, tx pgx.Tx, callID string, outcome callevent.Outcome, delayHours int, via KeyedVia, at time.Time) error {
	if !validOutcome(outcome) {
		return fmt.Errorf("key outcome of call %s: %q is not an outcome", callID, outcome)
	}
	if delayHours < 0 {
		return fmt.Errorf("key outcome of call %s: negative delay %d h", callID, delayHours)
	}
	var status string
	var keyed *string
	var keyedDelay *int
	err := tx.QueryRow(ctx, `SELECT status, outcome, delay_hours FROM outcome WHERE call_id = $1 FOR UPDATE`, callID).
		Scan(&status, &keyed, &keyedDelay)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("key outcome of call %s: %w", callID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("key outcome of call %s: %w", callID, err)
	}
	if status == "keyed" {
		if keyed != nil && *keyed == string(outcome) && val(keyedDelay) == delayHours {
			return nil
		}
		return fmt.Errorf("key outcome of call %s: %w", callID, ErrOutcomeKeyed)
	}
	if _, err := tx.Exec(ctx, `UPDATE outcome SET status = 'keyed', outcome = $2, delay_hours = $3,
		keyed_at = $4, keyed_via = $5 WHERE call_id = $1`,
		callID, string(outcome), nullIfZero(delayHours), at, string(via)); err != nil {
		return fmt.Errorf("key outcome of call %s: %w", callID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE call SET outcome_status = 'keyed' WHERE id = $1`, callID); err != nil {
		return fmt.Errorf("key outcome of call %s: %w", callID, err)
	}
	return nil
}

func validOutcome(o callevent.Outcome) bool {
	switch o {
	case callevent.OutcomeTeleconsultation, callevent.OutcomeTeleexpertise, callevent.OutcomeVisit, callevent.OutcomeHospital, callevent.OutcomeAdvice:
		return true
	}
	return false
}
