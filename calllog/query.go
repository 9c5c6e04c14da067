package calllog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/regul-sante/regul/calllog/callevent"
)

// Scope is what a console reader may see: the territories of their account
// and the one they are looking at. Every read model query filters on both
// in SQL, so another territory's call matches nothing, whatever its id.
type Scope struct {
	Allowed   []int64 // the coordinator's territories
	Territory int64   // the territory being looked at
}

// OutcomePendingFilter selects the calls whose specialist has not keyed the
// outcome yet; any Outcome value selects the calls keyed with it.
const OutcomePendingFilter = "pending"

// CallFilter narrows the call list. Zero fields do not filter.
type CallFilter struct {
	From, To    time.Time // started in [From, To)
	SpecialtyID int64
	Result      callevent.Result
	Outcome     string // OutcomePendingFilter or an Outcome
}

// Valid says what is wrong with the filter, for the page to show.
func (f CallFilter) Valid() error {
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return fmt.Errorf("the end of the period (%s) is not after its start (%s)", f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
	}
	if f.Result != "" && !validResult(f.Result) {
		return fmt.Errorf("%q is not a call result", f.Result)
	}
	if f.Outcome != "" && f.Outcome != OutcomePendingFilter && !validOutcome(callevent.Outcome(f.Outcome)) {
		return fmt.Errorf("%q is not an outcome", f.Outcome)
	}
	return nil
}

func validResult(r callevent.Result) bool {
	switch r {
	case callevent.ResultBridged, callevent.ResultCallback, callevent.ResultRefused, callevent.ResultAbandoned, callevent.ResultOutOfHours, callevent.ResultUnknownDID, callevent.ResultFailed,
		callevent.ResultInterrupted:
		return true
	}
	return false
}

// CallRow is one line of the call list: the call row with the names the
// console shows next to the identifiers.
type CallRow struct {
	ID               string
	Reference        string // « Réf. » unique in the territory (reference.go)
	StartedAt        time.Time
	Caller           string
	GPRPPS           string
	GPName           string // "" when the GP was not identified or is unknown
	SpecialtyID      int64
	Specialty        string           // the territory's label
	Result           callevent.Result // "" while in progress
	SpecialistRPPS   string
	SpecialistName   string
	TimeToSpecialist time.Duration // 0 when never put through
	Attempts         int
	OutcomeStatus    string // "", "pending" or "keyed"
	Outcome          callevent.Outcome
	DelayHours       int
	CallbackID       int64 // 0: no callback request
	CallbackOpen     bool
}

// CallPage is one page of the list, newest first.
type CallPage struct {
	Rows []CallRow
	// Matching counts the calls the filter selects, up to CountCap: past it
	// the list says "more than" rather than scan a year of calls to count.
	// A count that would take longer than CountBudget is not shown at all
	// (Counted false): the page comes first.
	Matching int
	Capped   bool
	Counted  bool
	More     bool // a page follows this one
}

// CountCap bounds the count of matching calls the list shows.
const CountCap = 1_000

// CountBudget bounds the time the count may take: a filter that matches few
// of a million calls would otherwise scan them all to count nothing.
const CountBudget = 100 * time.Millisecond

// ListCalls returns the page of calls (limit per page, page from 1) that
// the filter selects in the scope, newest first.
func (s *Store) ListCalls(ctx context.Context, scope Scope, f CallFilter, page, limit int) (CallPage, error) {
	if err := f.Valid(); err != nil {
		return CallPage{}, fmt.Errorf("list calls: %w", err)
	}
	if page < 1 {
		page = 1
	}
	where, args := callWhere(scope, f)
	var out CallPage
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		n := len(args)
		rows, err := tx.Query(ctx, callRowsSQL(where, fmt.Sprintf("LIMIT $%d OFFSET $%d", n+1, n+2)),
			append(args, limit+1, (page-1)*limit)...)
		if err != nil {
			return err
		}
		if out.Rows, err = pgx.CollectRows(rows, scanCallRow); err != nil {
			return err
		}
		if len(out.Rows) > limit {
			out.Rows, out.More = out.Rows[:limit], true
		}
		// In a savepoint: a count cancelled by its budget leaves the
		// transaction usable and the page without a count.
		err = pgx.BeginFunc(ctx, tx, func(sub pgx.Tx) error {
			if _, err := sub.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", CountBudget.Milliseconds())); err != nil {
				return err
			}
			return sub.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM call c WHERE `+where+
				fmt.Sprintf(` LIMIT $%d) m`, n+1), append(args, CountCap+1)...).Scan(&out.Matching)
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "57014" { // query_canceled: the budget ran out
			return nil
		}
		out.Counted = err == nil
		return err
	})
	if err != nil {
		return CallPage{}, fmt.Errorf("list calls of territory %d: %w", scope.Territory, err)
	}
	if out.Matching > CountCap {
		out.Matching, out.Capped = CountCap, true
	}
	return out, nil
}

// EachCall streams every call the filter selects in the scope, newest
// first, to fn (the CSV export): nothing is held in memory.
func (s *Store) EachCall(ctx context.Context, scope Scope, f CallFilter, fn func(CallRow) error) error {
	if err := f.Valid(); err != nil {
		return fmt.Errorf("export calls: %w", err)
	}
	where, args := callWhere(scope, f)
	rows, err := s.pool.Query(ctx, callRowsSQL(where, ""), args...)
	if err != nil {
		return fmt.Errorf("export calls of territory %d: %w", scope.Territory, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanCallRow(rows)
		if err != nil {
			return fmt.Errorf("export calls of territory %d: %w", scope.Territory, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export calls of territory %d: %w", scope.Territory, err)
	}
	return nil
}

// callWhere builds the filter on call c with only the conditions that
// apply: a plan per shape of filter, never a generic plan full of
// "$n IS NULL OR …" that no index serves.
func callWhere(scope Scope, f CallFilter) (string, []any) {
	args := []any{scope.Allowed, scope.Territory}
	conds := []string{"c.territory_id = ANY($1::bigint[])", "c.territory_id = $2"}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if !f.From.IsZero() {
		add("c.started_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("c.started_at < ?", f.To)
	}
	if f.SpecialtyID != 0 {
		add("c.specialty_id = ?", f.SpecialtyID)
	}
	if f.Result != "" {
		add("c.result = ?", string(f.Result))
	}
	switch {
	case f.Outcome == OutcomePendingFilter:
		conds = append(conds, "c.outcome_status = 'pending'")
	case f.Outcome != "":
		conds = append(conds, "c.outcome_status = 'keyed'")
		add("EXISTS (SELECT 1 FROM outcome fo WHERE fo.call_id = c.id AND fo.outcome = ?)", f.Outcome)
	}
	return strings.Join(conds, " AND "), args
}

// callRowsSQL picks the page's calls first and only then joins the names,
// so the joins run for one page, not for every matching call.
func callRowsSQL(where, limit string) string {
	return `WITH picked AS (
		SELECT c.id, c.reference, c.started_at, c.caller, c.gp_rpps, c.specialty_id, c.result, c.specialist_rpps,
		       c.time_to_specialist_ms, c.attempts, c.outcome_status, c.bridged_at
		  FROM call c
		 WHERE ` + where + `
		 ORDER BY c.started_at DESC, c.id DESC ` + limit + `)
	SELECT c.id::text, coalesce(c.reference, ''), c.started_at, c.caller, coalesce(c.gp_rpps, ''),
	       coalesce(gp.first_name || ' ' || gp.last_name, ''), coalesce(c.specialty_id, 0), coalesce(s.label, ''),
	       coalesce(c.result, ''), coalesce(c.specialist_rpps, ''),
	       coalesce(sp.first_name || ' ' || sp.last_name, ''),
	       CASE WHEN c.bridged_at IS NOT NULL THEN coalesce(c.time_to_specialist_ms, 0) ELSE 0 END,
	       c.attempts, coalesce(c.outcome_status, ''), coalesce(o.outcome, ''), coalesce(o.delay_hours, 0),
	       coalesce(cb.id, 0), cb.id IS NOT NULL AND cb.done_at IS NULL
	  FROM picked c
	  LEFT JOIN practitioner gp ON gp.rpps = c.gp_rpps
	  LEFT JOIN practitioner sp ON sp.rpps = c.specialist_rpps
	  LEFT JOIN specialty s ON s.id = c.specialty_id
	  LEFT JOIN outcome o ON o.call_id = c.id
	  LEFT JOIN callback_request cb ON cb.call_id = c.id
	 ORDER BY c.started_at DESC, c.id DESC`
}

func scanCallRow(row pgx.CollectableRow) (CallRow, error) {
	var r CallRow
	var result, outcome string
	var ttsMs int64
	err := row.Scan(&r.ID, &r.Reference, &r.StartedAt, &r.Caller, &r.GPRPPS, &r.GPName, &r.SpecialtyID, &r.Specialty,
		&result, &r.SpecialistRPPS, &r.SpecialistName, &ttsMs, &r.Attempts, &r.OutcomeStatus, &outcome,
		&r.DelayHours, &r.CallbackID, &r.CallbackOpen)
	r.Result, r.Outcome = callevent.Result(result), callevent.Outcome(outcome)
	r.TimeToSpecialist = time.Duration(ttsMs) * time.Millisecond
	return r, err
}

// CallIn returns the record of one call of the scope's territory, or
// ErrNotFound — also for another territory's call, so a forged id learns
// nothing.
func (s *Store) CallIn(ctx context.Context, scope Scope, id string) (CallRecord, error) {
	return s.readCall(ctx, id, &scope)
}
