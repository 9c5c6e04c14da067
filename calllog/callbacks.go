package calllog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/calllog/callevent"
)

// Callback requests, as coordinators work them: who asked, who was rung
// (the chain at the time of the call, with the phones rung), how old the
// request is, and who closed it, when, with what note.

// CallbackUndo is how long a closed request can be reopened.
const CallbackUndo = 10 * time.Minute

// CallbackNoteMax bounds the closing note.
const CallbackNoteMax = 500

// ChainLink is one specialist (or the fallback line) the call rang.
type ChainLink struct {
	Attempt int
	Rank    int // 0: the fallback line
	RPPS    string
	Name    string // "" for the fallback line or an unknown RPPS
	Phone   string // E.164, as rung
	Result  callevent.AttemptResult
}

// Callback is one callback request with what a coordinator needs to act.
type Callback struct {
	ID          int64
	CallID      string
	Reference   string // the call's reference, as everywhere
	CreatedAt   time.Time
	GPRPPS      string
	GPName      string
	Caller      string // the number the GP called from ("" when withheld)
	SpecialtyID int64
	Specialty   string
	Chain       []ChainLink
	DoneAt      time.Time // zero while open
	DoneBy      string
	Note        string
	// A callback through the line under way: who (name, else RPPS), since
	// when, in which call; Tries counts those that did not reach the GP.
	ClaimBy     string
	ClaimedAt   time.Time
	ClaimCallID string
	Tries       int
}

// Open callback requests, oldest first; recently closed ones, newest
// first.
func (s *Store) OpenCallbacks(ctx context.Context, scope Scope, limit int) ([]Callback, error) {
	return s.callbacks(ctx, scope, `cb.done_at IS NULL`, `cb.created_at`, limit)
}

// ClosedCallbacks lists the requests closed since a time, newest first.
func (s *Store) ClosedCallbacks(ctx context.Context, scope Scope, since time.Time, limit int) ([]Callback, error) {
	return s.callbacks(ctx, scope, `cb.done_at >= $3`, `cb.done_at DESC`, limit, since)
}

func (s *Store) callbacks(ctx context.Context, scope Scope, where, order string, limit int, args ...any) ([]Callback, error) {
	if s.names == nil {
		return nil, errors.New("callbacks: the store has no names (WithNames)")
	}
	rows, err := s.pool.Query(ctx, `
		SELECT cb.id, cb.call_id::text, coalesce(cl.reference, ''), cb.created_at, coalesce(cb.gp_rpps, ''),
		       coalesce(cl.caller, ''), coalesce(cb.specialty_id, 0),
		       cb.done_at, coalesce(cb.done_by, ''), coalesce(cb.done_note, ''),
		       coalesce(cb.claim_rpps, ''), cb.claimed_at,
		       coalesce(cb.claim_call_id::text, ''), cb.tries,
		       coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'rank', a.rank, 'rpps', a.rpps,
		                   'phone', a.phone, 'result', coalesce(a.result, '')) ORDER BY a.attempt)
		                   FROM call_attempt a WHERE a.call_id = cb.call_id), '[]')
		  FROM callback_request cb
		  JOIN call cl ON cl.id = cb.call_id
		 WHERE cb.territory_id = ANY($1::bigint[]) AND cb.territory_id = $2 AND `+where+`
		 ORDER BY `+order+` LIMIT `+fmt.Sprint(limit), append([]any{scope.Allowed, scope.Territory}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("callbacks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Callback, error) {
		var c Callback
		var done, claimed *time.Time
		var chain []struct {
			Attempt int    `json:"attempt"`
			Rank    int    `json:"rank"`
			RPPS    string `json:"rpps"`
			Phone   string `json:"phone"`
			Result  string `json:"result"`
		}
		err := row.Scan(&c.ID, &c.CallID, &c.Reference, &c.CreatedAt, &c.GPRPPS, &c.Caller, &c.SpecialtyID,
			&done, &c.DoneBy, &c.Note, &c.ClaimBy, &claimed, &c.ClaimCallID, &c.Tries, &chain)
		if done != nil {
			c.DoneAt = *done
		}
		if claimed != nil {
			c.ClaimedAt = *claimed
		}
		for _, l := range chain {
			c.Chain = append(c.Chain, ChainLink{Attempt: l.Attempt, Rank: l.Rank, RPPS: l.RPPS,
				Phone: l.Phone, Result: callevent.AttemptResult(l.Result)})
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("callbacks: %w", err)
	}
	if err := s.nameCallbacks(ctx, out); err != nil {
		return nil, fmt.Errorf("callbacks: %w", err)
	}
	return out, nil
}

// CallbackRef names a request by its id or by its call's id.
type CallbackRef struct {
	ID     int64
	CallID string
}

func (r CallbackRef) where(arg int) (string, any) {
	if r.CallID != "" {
		return fmt.Sprintf("call_id = $%d::uuid", arg), r.CallID
	}
	return fmt.Sprintf("id = $%d", arg), r.ID
}

// ErrCallbackClosed says the request is already closed (another tab, a
// colleague); ErrUndoTooLate that it was closed too long ago to reopen.
var (
	ErrCallbackClosed = errors.New("callback request already closed")
	ErrUndoTooLate    = errors.New("callback request closed too long ago to reopen")
)

// AuditFunc writes the journal row of a change in its transaction; it
// gets the call's reference.
type AuditFunc func(ctx context.Context, tx pgx.Tx, reference string) error

// CloseCallback closes an open request of the scope's territory, by a
// coordinator, with an optional note (trimmed, at most CallbackNoteMax
// characters), and journals it in the same transaction. ErrNotFound for
// no such request in the territory; ErrCallbackClosed when already closed.
func (s *Store) CloseCallback(ctx context.Context, scope Scope, ref CallbackRef, by, note string, at time.Time, audit AuditFunc) (Callback, error) {
	note = strings.TrimSpace(note)
	if n := []rune(note); len(n) > CallbackNoteMax {
		note = string(n[:CallbackNoteMax])
	}
	cond, id := ref.where(3)
	var out Callback
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var done *time.Time
		err := tx.QueryRow(ctx, `SELECT cb.id, cb.call_id::text, cb.done_at,
				(SELECT coalesce(reference, '') FROM call WHERE id = cb.call_id)
			FROM callback_request cb
			WHERE `+cond+` AND territory_id = ANY($1::bigint[]) AND territory_id = $2 FOR UPDATE`,
			scope.Allowed, scope.Territory, id).Scan(&out.ID, &out.CallID, &done, &out.Reference)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if done != nil {
			return ErrCallbackClosed
		}
		if _, err := tx.Exec(ctx, `UPDATE callback_request SET done_at = $2, done_by = $3, done_note = nullif($4, '') WHERE id = $1`,
			out.ID, at, by, note); err != nil {
			return err
		}
		out.DoneAt, out.DoneBy, out.Note = at, by, note
		return audit(ctx, tx, out.Reference)
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCallbackClosed) {
		return out, fmt.Errorf("close callback: %w", err)
	}
	return out, err
}

// ReopenCallback undoes a close made less than CallbackUndo before now, and
// journals it. ErrNotFound for no such request in the territory (or one
// still open); ErrUndoTooLate past the delay.
func (s *Store) ReopenCallback(ctx context.Context, scope Scope, ref CallbackRef, now time.Time, audit AuditFunc) (Callback, error) {
	cond, id := ref.where(3)
	var out Callback
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var done *time.Time
		err := tx.QueryRow(ctx, `SELECT cb.id, cb.call_id::text, cb.done_at,
				(SELECT coalesce(reference, '') FROM call WHERE id = cb.call_id)
			FROM callback_request cb
			WHERE `+cond+` AND territory_id = ANY($1::bigint[]) AND territory_id = $2 FOR UPDATE`,
			scope.Allowed, scope.Territory, id).Scan(&out.ID, &out.CallID, &done, &out.Reference)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && done == nil) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if now.Sub(*done) > CallbackUndo {
			return ErrUndoTooLate
		}
		if _, err := tx.Exec(ctx, `UPDATE callback_request SET done_at = NULL, done_by = NULL, done_note = NULL WHERE id = $1`, out.ID); err != nil {
			return err
		}
		return audit(ctx, tx, out.Reference)
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUndoTooLate) {
		return out, fmt.Errorf("reopen callback: %w", err)
	}
	return out, err
}

// CallbackOf returns the callback request of one call of the scope's
// territory, or ErrNotFound.
func (s *Store) CallbackOf(ctx context.Context, scope Scope, callID string) (Callback, error) {
	list, err := s.callbacks(ctx, scope, `cb.call_id = $3::uuid`, `cb.id`, 1, callID)
	if err != nil {
		return Callback{}, err
	}
	if len(list) == 0 {
		return Callback{}, ErrNotFound
	}
	return list[0], nil
}
