package calllog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/calllog/callevent"
)

// The statistics read the counts kept by migration 0070's triggers, never
// the calls themselves: a year of a region is a million calls, the counts a
// few tens of thousands of rows. Days are the territory's local dates
// (YYYY-MM-DD), the counts' own keys: [fromDay, toDay). A bucket is
// PostgreSQL's date_trunc field: day, week or month.

// DayCount is the calls of one step with one result.
type DayCount struct {
	Step          time.Time // the step's first day
	Result        callevent.Result
	WithSpecialty bool
	Calls         int
}

// DayCounts counts the scope's calls per step, result and whether a
// specialty was asked for.
func (s *Store) DayCounts(ctx context.Context, scope Scope, fromDay, toDay, bucket string) ([]DayCount, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT date_trunc($5, d.day::timestamp)::date, d.result, d.specialty_id <> 0, sum(d.calls)::int
		  FROM call_stats_day d
		 WHERE d.territory_id = ANY($1::bigint[]) AND d.territory_id = $2
		   AND d.day >= $3::date AND d.day < $4::date
		 GROUP BY 1, 2, 3
		HAVING sum(d.calls) <> 0`,
		scope.Allowed, scope.Territory, fromDay, toDay, bucket)
	if err != nil {
		return nil, fmt.Errorf("day counts: %w", err)
	}
	return collectStats(rows, "day counts", func(row pgx.CollectableRow) (DayCount, error) {
		var c DayCount
		var result string
		err := row.Scan(&c.Step, &result, &c.WithSpecialty, &c.Calls)
		c.Result = callevent.Result(result)
		return c, err
	})
}

// WaitCount is how many bridged calls of a step waited so many whole
// seconds for their specialist.
type WaitCount struct {
	Step    time.Time
	Seconds int
	Calls   int
}

// WaitCounts is the per-second histogram of time to specialist, per step.
func (s *Store) WaitCounts(ctx context.Context, scope Scope, fromDay, toDay, bucket string) ([]WaitCount, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT date_trunc($5, w.day::timestamp)::date, w.seconds, sum(w.calls)::int
		  FROM call_stats_wait w
		 WHERE w.territory_id = ANY($1::bigint[]) AND w.territory_id = $2
		   AND w.day >= $3::date AND w.day < $4::date
		 GROUP BY 1, 2
		HAVING sum(w.calls) <> 0`,
		scope.Allowed, scope.Territory, fromDay, toDay, bucket)
	if err != nil {
		return nil, fmt.Errorf("wait counts: %w", err)
	}
	return collectStats(rows, "wait counts", func(row pgx.CollectableRow) (WaitCount, error) {
		var c WaitCount
		err := row.Scan(&c.Step, &c.Seconds, &c.Calls)
		return c, err
	})
}

// OutcomeCount is how many bridged calls of a specialty had an outcome
// ("pending": not keyed yet).
type OutcomeCount struct {
	SpecialtyID int64 // 0: none
	Outcome     string
	Calls       int
}

// OutcomeCounts counts the outcomes of the bridged calls per specialty.
func (s *Store) OutcomeCounts(ctx context.Context, scope Scope, fromDay, toDay string) ([]OutcomeCount, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT d.specialty_id, d.outcome, sum(d.calls)::int
		  FROM call_stats_day d
		 WHERE d.territory_id = ANY($1::bigint[]) AND d.territory_id = $2
		   AND d.day >= $3::date AND d.day < $4::date AND d.outcome <> ''
		 GROUP BY 1, 2
		HAVING sum(d.calls) <> 0`,
		scope.Allowed, scope.Territory, fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("outcome counts: %w", err)
	}
	return collectStats(rows, "outcome counts", func(row pgx.CollectableRow) (OutcomeCount, error) {
		var c OutcomeCount
		err := row.Scan(&c.SpecialtyID, &c.Outcome, &c.Calls)
		return c, err
	})
}

// HourCount is the calls of one weekday (ISO: Monday 1) and hour.
type HourCount struct {
	ISOWeekday, Hour int
	Calls            int
}

// HourCounts counts the calls per weekday and hour, territory time.
func (s *Store) HourCounts(ctx context.Context, scope Scope, fromDay, toDay string) ([]HourCount, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT extract(isodow FROM h.day)::int, h.hour, sum(h.calls)::int
		  FROM call_stats_hour h
		 WHERE h.territory_id = ANY($1::bigint[]) AND h.territory_id = $2
		   AND h.day >= $3::date AND h.day < $4::date
		 GROUP BY 1, 2`,
		scope.Allowed, scope.Territory, fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("hour counts: %w", err)
	}
	return collectStats(rows, "hour counts", func(row pgx.CollectableRow) (HourCount, error) {
		var c HourCount
		err := row.Scan(&c.ISOWeekday, &c.Hour, &c.Calls)
		return c, err
	})
}

func collectStats[T any](rows pgx.Rows, what string, scan pgx.RowToFunc[T]) ([]T, error) {
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// CallbackStats are the callback requests made in a period and what the
// line did with them.
type CallbackStats struct {
	Requests, ThroughLine int
	// Median and P90 are from request to callback through the line; 0
	// without any.
	Median, P90 time.Duration
	// Outcomes of the callbacks through the line, most frequent first: ""
	// when not keyed yet.
	Outcomes []OutcomeTally
}

// OutcomeTally is how many calls had an outcome.
type OutcomeTally struct {
	Outcome callevent.Outcome
	Count   int
}

// CallbackStats reads the requests made in [from, to). Requests are few (a
// fraction of the calls): they are read directly rather than through the
// per-day counts.
func (s *Store) CallbackStats(ctx context.Context, scope Scope, from, to time.Time) (CallbackStats, error) {
	var st CallbackStats
	var median, p90 *float64
	err := s.pool.QueryRow(ctx, `
		SELECT count(*)::int, count(*) FILTER (WHERE cb.callback_call_id IS NOT NULL)::int,
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM cb.done_at - cb.created_at))
		         FILTER (WHERE cb.callback_call_id IS NOT NULL),
		       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM cb.done_at - cb.created_at))
		         FILTER (WHERE cb.callback_call_id IS NOT NULL)
		  FROM callback_request cb
		 WHERE cb.territory_id = ANY($1::bigint[]) AND cb.territory_id = $2
		   AND cb.created_at >= $3 AND cb.created_at < $4`,
		scope.Allowed, scope.Territory, from, to).Scan(&st.Requests, &st.ThroughLine, &median, &p90)
	if err != nil {
		return st, fmt.Errorf("callback statistics: %w", err)
	}
	if median != nil {
		st.Median = time.Duration(*median * float64(time.Second))
	}
	if p90 != nil {
		st.P90 = time.Duration(*p90 * float64(time.Second))
	}
	rows, err := s.pool.Query(ctx, `
		SELECT coalesce(o.outcome, ''), count(*)::int
		  FROM callback_request cb
		  LEFT JOIN outcome o ON o.call_id = cb.callback_call_id
		 WHERE cb.territory_id = ANY($1::bigint[]) AND cb.territory_id = $2
		   AND cb.created_at >= $3 AND cb.created_at < $4 AND cb.callback_call_id IS NOT NULL
		 GROUP BY 1 ORDER BY 2 DESC, 1`,
		scope.Allowed, scope.Territory, from, to)
	if err != nil {
		return st, fmt.Errorf("callback statistics: %w", err)
	}
	st.Outcomes, err = collectStats(rows, "callback statistics", func(row pgx.CollectableRow) (OutcomeTally, error) {
		var t OutcomeTally
		var o string
		err := row.Scan(&o, &t.Count)
		t.Outcome = callevent.Outcome(o)
		return t, err
	})
	return st, err
}
