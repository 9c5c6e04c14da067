package calllog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store reads and writes call records in PostgreSQL. Writes of events go
// through a Recorder (the call's path never waits on the database); Store
// itself serves the readers: end-to-end tests and the console.
type Store struct {
	pool *pgxpool.Pool
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
func (s *Store) ApplyEvents(ctx context.Context, events []Event) (int, error) {
	return s.ApplyEventsWith(ctx, events, nil)
}

// ApplyEventsWith is ApplyEvents with a hook called, in the same transaction,
// for each event that was new (see Options.OnApply).
func (s *Store) ApplyEventsWith(ctx context.Context, events []Event, hook ApplyHook) (int, error) {
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
		for _, ev := range events {
			isNew, err := apply(ctx, tx, ev)
			if err != nil {
				return err
			}
			if !isNew {
				continue
			}
			applied++
			if hook != nil {
				if err := hook(ctx, tx, ev); err != nil {
					return fmt.Errorf("event %s/%d (%s): %w", ev.CallID, ev.Seq, ev.Kind, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return applied, nil
}

// KeyOutcome records the outcome of a call whose outcome is pending (the
// specialist left before keying it and uses the link). Keying again the same
// value is a no-op; another value gives ErrOutcomeKeyed; a call without a
// pending or keyed outcome gives ErrNotFound.
func (s *Store) KeyOutcome(ctx context.Context, callID string, outcome Outcome, delayHours int, via KeyedVia, at time.Time) error {
	return BeginRetry(ctx, s.pool, func(tx pgx.Tx) error {
		return KeyOutcomeTx(ctx, tx, callID, outcome, delayHours, via, at)
	})
}

// KeyOutcomeTx is KeyOutcome inside the caller's transaction, so that what
// allowed the keying (a one-time link) is consumed in the same commit.
func KeyOutcomeTx(ctx context.Context, tx pgx.Tx, callID string, outcome Outcome, delayHours int, via KeyedVia, at time.Time) error {
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

func validOutcome(o Outcome) bool {
	switch o {
	case OutcomeTeleconsultation, OutcomeTeleexpertise, OutcomeVisit, OutcomeHospital, OutcomeAdvice:
		return true
	}
	return false
}
