package calllog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/calllog/callevent"
)

// askedSQL is CountsAsAsked in SQL, over a call c.
const askedSQL = `c.specialty_id IS NOT NULL AND c.result IN ('bridged', 'callback', 'abandoned')`

// CountsAsAsked says whether a call counts in the answer rate: it asked
// for a specialty and could have been put through (bridged, callback:
// nobody reached, or abandoned: the GP hung up while waiting). Refusals and
// out-of-hours calls never reached a specialist, and our own incidents
// (failed, interrupted) are counted apart.
func CountsAsAsked(result callevent.Result, withSpecialty bool) bool {
	switch result {
	case callevent.ResultBridged, callevent.ResultCallback, callevent.ResultAbandoned:
		return withSpecialty
	}
	return false
}

// ARSOutcomes are the outcome columns of the ARS aggregates, in keypad
// order, then "pending" (not keyed yet).
var ARSOutcomes = []string{string(callevent.OutcomeTeleconsultation), string(callevent.OutcomeTeleexpertise), string(callevent.OutcomeVisit),
	string(callevent.OutcomeHospital), string(callevent.OutcomeAdvice), "pending"}

// ARSResults are the result columns of the ARS aggregates.
var ARSResults = []callevent.Result{callevent.ResultCallback, callevent.ResultRefused, callevent.ResultAbandoned, callevent.ResultOutOfHours, callevent.ResultFailed, callevent.ResultInterrupted}

// ARSRow is one month's aggregate, for one specialty or (Total) the whole
// territory: never an identifier.
type ARSRow struct {
	Month       string // YYYY-MM, territory time
	SpecialtyID int64  // 0: none
	Total       bool
	Calls       int
	Bridged     int
	Asked       int
	// MedianMS and P90MS are the time to specialist of the bridged calls,
	// over whole seconds as the statistics' histograms count them; nil
	// without any.
	MedianMS, P90MS  *float64
	Results          []int // per ARSResults
	Outcomes         []int // per ARSOutcomes
	CallbackRequests int
	CallbacksDone    int
}

// ARSRows aggregates the calls that started in [start, end) per month (in
// loc) and specialty, with one total per month; by month, the total
// after the specialties.
func (s *Store) ARSRows(ctx context.Context, scope Scope, start, end time.Time, loc *time.Location) ([]ARSRow, error) {
	var cols []string
	for _, r := range ARSResults {
		cols = append(cols, fmt.Sprintf(`count(*) FILTER (WHERE c.result = '%s')`, r))
	}
	for _, o := range ARSOutcomes {
		if o == "pending" {
			cols = append(cols, `count(*) FILTER (WHERE o.status = 'pending')`)
			continue
		}
		cols = append(cols, fmt.Sprintf(`count(*) FILTER (WHERE o.outcome = '%s')`, o))
	}
	rows, err := s.pool.Query(ctx, `
		SELECT m.month, coalesce(c.specialty_id, 0), GROUPING(c.specialty_id) > 0,
		       count(*), count(*) FILTER (WHERE c.result = 'bridged'), count(*) FILTER (WHERE `+askedSQL+`),
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY round(c.time_to_specialist_ms / 1000.0) * 1000) FILTER (WHERE c.result = 'bridged'),
		       percentile_cont(0.9) WITHIN GROUP (ORDER BY round(c.time_to_specialist_ms / 1000.0) * 1000) FILTER (WHERE c.result = 'bridged'),
		       `+strings.Join(cols, ", ")+`,
		       count(cb.id), count(cb.done_at)
		  FROM call c
		 CROSS JOIN LATERAL (SELECT to_char(c.started_at AT TIME ZONE $5, 'YYYY-MM') AS month) m
		  LEFT JOIN outcome o ON o.call_id = c.id
		  LEFT JOIN callback_request cb ON cb.call_id = c.id
		 WHERE c.territory_id = ANY($1::bigint[]) AND c.territory_id = $2
		   AND c.started_at >= $3 AND c.started_at < $4
		 GROUP BY GROUPING SETS ((m.month, c.specialty_id), (m.month))
		 ORDER BY m.month, GROUPING(c.specialty_id), c.specialty_id`,
		scope.Allowed, scope.Territory, start, end, loc.String())
	if err != nil {
		return nil, fmt.Errorf("ars aggregates: %w", err)
	}
	return collectStats(rows, "ars aggregates", func(row pgx.CollectableRow) (ARSRow, error) {
		r := ARSRow{Results: make([]int, len(ARSResults)), Outcomes: make([]int, len(ARSOutcomes))}
		dest := []any{&r.Month, &r.SpecialtyID, &r.Total, &r.Calls, &r.Bridged, &r.Asked, &r.MedianMS, &r.P90MS}
		for i := range r.Results {
			dest = append(dest, &r.Results[i])
		}
		for i := range r.Outcomes {
			dest = append(dest, &r.Outcomes[i])
		}
		dest = append(dest, &r.CallbackRequests, &r.CallbacksDone)
		return r, row.Scan(dest...)
	})
}
