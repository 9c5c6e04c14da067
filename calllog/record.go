package calllog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/calllog/callevent"
)

// CallRecord is one call as the console shows it: the projected row, its
// events in order, its attempts, its outcome and callback request. Times
// not reached are zero.
type CallRecord struct {
	ID               string
	Reference        string // « Réf. » unique in the territory (reference.go)
	TerritoryID      int64  // 0 when the DID was unknown
	DID              string
	Caller           string
	GPRPPS           string
	SpecialtyID      int64
	StartedAt        time.Time
	AnsweredAt       time.Time
	BridgedAt        time.Time
	EndedAt          time.Time
	Result           callevent.Result // "" while the call is in progress
	SpecialistRPPS   string
	AttemptCount     int
	TimeToSpecialist time.Duration // from the first specialist dialled to the bridge
	OutcomeStatus    string        // "", "pending" or "keyed"
	// CallbackOf is, for a callback through the line, the call whose
	// callback request it answers.
	CallbackOf string

	Events   []callevent.Event
	Attempts []Attempt
	Outcome  *OutcomeRecord   // nil when the call never reached a specialist
	Callback *CallbackRequest // nil when none was registered
}

// Attempt is one specialist leg.
type Attempt struct {
	Attempt    int
	Rank       int
	RPPS       string
	Phone      string
	StartedAt  time.Time
	RingingAt  time.Time
	AnsweredAt time.Time
	EndedAt    time.Time
	Result     callevent.AttemptResult
	Cause      int
}

// OutcomeRecord is what the specialist keyed, or that they still have to.
type OutcomeRecord struct {
	Status     string // pending | keyed
	Outcome    callevent.Outcome
	DelayHours int
	KeyedAt    time.Time
	KeyedVia   KeyedVia
}

// CallbackRequest is a GP to call back because nobody could be reached.
type CallbackRequest struct {
	ID          int64
	TerritoryID int64
	SpecialtyID int64
	GPRPPS      string
	CreatedAt   time.Time
	DoneAt      time.Time
	DoneBy      string // a coordinator's email, or "rappel" when a callback through the line closed it
	// CallbackCallID is the call through the line that closed it.
	CallbackCallID string
	// A callback through the line under way: by whom, in which call, since.
	ClaimRPPS   string
	ClaimCallID string
	ClaimedAt   time.Time
	Tries       int // callbacks through the line started for it
}

// Call returns the record of one call, or ErrNotFound.
func (s *Store) Call(ctx context.Context, id string) (CallRecord, error) {
	return s.readCall(ctx, id, nil)
}

// readCall reads one call; a non-nil scope restricts it, in SQL, to the
// scope's territory (see CallIn).
func (s *Store) readCall(ctx context.Context, id string, scope *Scope) (CallRecord, error) {
	inScope, args := "", []any{id}
	if scope != nil {
		inScope, args = " AND territory_id = ANY($2::bigint[]) AND territory_id = $3", append(args, scope.Allowed, scope.Territory)
	}
	var r CallRecord
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var (
			territory, specialty, ttsMs           *int64
			gp, specialist, result, outcomeStatus *string
			answered, bridged, ended              *time.Time
			callbackOf                            *string
		)
		err := tx.QueryRow(ctx, `SELECT id::text, coalesce(reference, ''), territory_id, did, caller, gp_rpps, specialty_id, started_at,
			answered_at, bridged_at, ended_at, result, specialist_rpps, attempts, time_to_specialist_ms, outcome_status,
			callback_of::text
			FROM call WHERE id = $1`+inScope, args...).Scan(&r.ID, &r.Reference, &territory, &r.DID, &r.Caller, &gp, &specialty, &r.StartedAt,
			&answered, &bridged, &ended, &result, &specialist, &r.AttemptCount, &ttsMs, &outcomeStatus, &callbackOf)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		r.TerritoryID, r.SpecialtyID = val(territory), val(specialty)
		r.GPRPPS, r.SpecialistRPPS, r.OutcomeStatus = val(gp), val(specialist), val(outcomeStatus)
		r.Result = callevent.Result(val(result))
		r.AnsweredAt, r.BridgedAt, r.EndedAt = val(answered), val(bridged), val(ended)
		r.TimeToSpecialist = time.Duration(val(ttsMs)) * time.Millisecond
		r.CallbackOf = val(callbackOf)

		if r.Events, err = readEvents(ctx, tx, id); err != nil {
			return err
		}
		if r.Attempts, err = readAttempts(ctx, tx, id); err != nil {
			return err
		}
		if r.Outcome, err = readOutcome(ctx, tx, id); err != nil {
			return err
		}
		r.Callback, err = readCallback(ctx, tx, id)
		return err
	})
	if err != nil {
		return CallRecord{}, fmt.Errorf("read call %s: %w", id, err)
	}
	return r, nil
}

func readEvents(ctx context.Context, tx pgx.Tx, id string) ([]callevent.Event, error) {
	rows, err := tx.Query(ctx, `SELECT data FROM call_event WHERE call_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (callevent.Event, error) {
		var data []byte
		var ev callevent.Event
		if err := row.Scan(&data); err != nil {
			return ev, err
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			return ev, fmt.Errorf("decode event: %w", err)
		}
		return ev, nil
	})
}

func readAttempts(ctx context.Context, tx pgx.Tx, id string) ([]Attempt, error) {
	rows, err := tx.Query(ctx, `SELECT attempt, rank, rpps, phone, started_at, ringing_at, answered_at, ended_at,
		result, cause FROM call_attempt WHERE call_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attempt, error) {
		var a Attempt
		var started, ringing, answered, ended *time.Time
		var result *string
		var cause *int
		err := row.Scan(&a.Attempt, &a.Rank, &a.RPPS, &a.Phone, &started, &ringing, &answered, &ended, &result, &cause)
		a.StartedAt, a.RingingAt, a.AnsweredAt, a.EndedAt = val(started), val(ringing), val(answered), val(ended)
		a.Result, a.Cause = callevent.AttemptResult(val(result)), val(cause)
		return a, err
	})
}

func readOutcome(ctx context.Context, tx pgx.Tx, id string) (*OutcomeRecord, error) {
	var o OutcomeRecord
	var outcome, via *string
	var delay *int
	var keyedAt *time.Time
	err := tx.QueryRow(ctx, `SELECT status, outcome, delay_hours, keyed_at, keyed_via FROM outcome WHERE call_id = $1`, id).
		Scan(&o.Status, &outcome, &delay, &keyedAt, &via)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o.Outcome, o.DelayHours, o.KeyedAt, o.KeyedVia = callevent.Outcome(val(outcome)), val(delay), val(keyedAt), KeyedVia(val(via))
	return &o, nil
}

func readCallback(ctx context.Context, tx pgx.Tx, id string) (*CallbackRequest, error) {
	var c CallbackRequest
	var territory, specialty *int64
	var gp, doneBy, callbackCall, claimRPPS, claimCall *string
	var doneAt, claimedAt *time.Time
	err := tx.QueryRow(ctx, `SELECT id, territory_id, specialty_id, gp_rpps, created_at, done_at, done_by,
		callback_call_id::text, claim_rpps, claim_call_id::text, claimed_at, tries
		FROM callback_request WHERE call_id = $1`, id).Scan(&c.ID, &territory, &specialty, &gp, &c.CreatedAt, &doneAt, &doneBy,
		&callbackCall, &claimRPPS, &claimCall, &claimedAt, &c.Tries)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.TerritoryID, c.SpecialtyID, c.GPRPPS, c.DoneAt, c.DoneBy = val(territory), val(specialty), val(gp), val(doneAt), val(doneBy)
	c.CallbackCallID, c.ClaimRPPS, c.ClaimCallID, c.ClaimedAt = val(callbackCall), val(claimRPPS), val(claimCall), val(claimedAt)
	return &c, nil
}

// val reads a nullable column: NULL gives the zero value.
func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
