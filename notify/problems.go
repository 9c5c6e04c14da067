package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNoSuchProblem is a message that is not a refused or uncertain SMS of
// the territory (or no message at all).
var ErrNoSuchProblem = errors.New("no such SMS problem")

// Scope is what a coordinator may read: the territories of their account
// and the one being looked at; every query filters on both in SQL.
type Scope struct {
	Allowed   []int64
	Territory int64
}

// Problem is an SMS that could not be delivered, or whose fate is unknown,
// not yet followed up by a coordinator.
type Problem struct {
	ID      int64
	At      time.Time
	Kind    string
	To      string
	Status  string // failed | unknown
	Code    int
	Message string
}

// CallReferences names calls as coordinators know them; calllog answers.
type CallReferences interface {
	ReferenceOf(ctx context.Context, callID string) (string, error)
}

// JournalRow is one journal row, its actor and action already named, that
// notify writes inside its own transaction with the detail only it reads.
type JournalRow interface {
	WriteTx(ctx context.Context, tx pgx.Tx, detail map[string]any) error
}

// Desk is the outbox as the coordinators follow it up.
type Desk struct {
	pool *pgxpool.Pool
	refs CallReferences
}

// NewDesk returns the follow-up desk of the outbox on an open pool.
func NewDesk(pool *pgxpool.Pool, refs CallReferences) *Desk { return &Desk{pool: pool, refs: refs} }

// Problems lists the scope territory's problems, most recent first.
func (d *Desk) Problems(ctx context.Context, scope Scope, limit int) ([]Problem, error) {
	rows, err := d.pool.Query(ctx, `SELECT id, created_at, kind, recipient, status, coalesce(error_code, 0), coalesce(error_message, '')
		FROM sms_outbox WHERE territory_id = ANY($1::bigint[]) AND territory_id = $2
		 AND status IN ('failed', 'unknown') AND handled_at IS NULL
		ORDER BY created_at DESC LIMIT $3`, scope.Allowed, scope.Territory, limit)
	if err != nil {
		return nil, fmt.Errorf("SMS problems: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Problem])
	if err != nil {
		return nil, fmt.Errorf("SMS problems: %w", err)
	}
	return list, nil
}

// ProblemCount counts them, however old: the partial index
// sms_outbox_territory_problems serves it.
func (d *Desk) ProblemCount(ctx context.Context, scope Scope) (int, error) {
	var n int
	err := d.pool.QueryRow(ctx, `SELECT count(*) FROM sms_outbox o WHERE o.territory_id = ANY($1::bigint[]) AND o.territory_id = $2
		AND o.status IN ('failed', 'unknown') AND o.handled_at IS NULL`, scope.Allowed, scope.Territory).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("SMS problems: %w", err)
	}
	return n, nil
}

// Backlog is the territory's messages not sent yet (see Waiting).
func (d *Desk) Backlog(ctx context.Context, territoryID int64) (Backlog, error) {
	return Waiting(ctx, d.pool, territoryID)
}

// MarkHandled records that a coordinator followed a problem up, and
// journals it in the same transaction with the message's row id, its kind
// and its call's reference — never its text or recipient. Marking it again
// (a second tab, a double click) changes nothing and writes no second row.
// ErrNoSuchProblem when the message is not a problem of the territory.
func (d *Desk) MarkHandled(ctx context.Context, scope Scope, id int64, by string, at time.Time, j JournalRow) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// FOR UPDATE: of two concurrent marks, the second reads the first's
		// handled_at once it commits, so only one journal row is written.
		var kind string
		var callID *string
		var handled bool
		err := tx.QueryRow(ctx, `SELECT kind, call_id::text, handled_at IS NOT NULL FROM sms_outbox o
			WHERE id = $3 AND status IN ('failed', 'unknown') AND territory_id = ANY($1::bigint[]) AND territory_id = $2
			FOR UPDATE OF o`, scope.Allowed, scope.Territory, id).Scan(&kind, &callID, &handled)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoSuchProblem
		}
		if err != nil || handled {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sms_outbox SET handled_at = $2, handled_by = $3 WHERE id = $1`, id, at, by); err != nil {
			return err
		}
		detail := map[string]any{"sms": id, "kind": kind}
		if callID != nil {
			ref, err := d.refs.ReferenceOf(ctx, *callID)
			if err != nil {
				return err
			}
			if ref != "" {
				detail["reference"] = ref
			}
		}
		return j.WriteTx(ctx, tx, detail)
	})
	if err != nil {
		return fmt.Errorf("mark SMS %d handled: %w", id, err)
	}
	return nil
}
