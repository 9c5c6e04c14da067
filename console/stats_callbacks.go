package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
)

// statsCallbacks are the period's callback requests and what the line did
// with them: how many were called back through the line, how long after
// the request (median, 90th percentile), and those calls' outcomes.
// Callback requests are few (a fraction of the calls): the page reads them
// directly rather than through the per-day counts.
type statsCallbacks struct {
	Requests, ThroughLine int
	Median, P90           time.Duration // 0 without any callback through the line
	Outcomes              []statsCallbackOutcome
}

type statsCallbackOutcome struct {
	Label string
	Count int
}

func (s statsCallbacks) MedianText() string { return durationOrDash(s.Median) }
func (s statsCallbacks) P90Text() string    { return durationOrDash(s.P90) }

// OutcomesText is « avis seul : 3 · téléexpertise : 1 ».
func (s statsCallbacks) OutcomesText() string {
	parts := make([]string, len(s.Outcomes))
	for i, o := range s.Outcomes {
		parts[i] = fmt.Sprintf("%s : %d", o.Label, o.Count)
	}
	return strings.Join(parts, " · ")
}

func durationOrDash(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return frDuration(d)
}

// callbacks reads the period's callback requests (by the time they were
// made), filtered on the coordinator's territories.
func (q statsQuery) callbacks(ctx context.Context, p period) (statsCallbacks, error) {
	var s statsCallbacks
	var median, p90 *float64
	err := q.pool.QueryRow(ctx, `
		SELECT count(*)::int, count(*) FILTER (WHERE cb.callback_call_id IS NOT NULL)::int,
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM cb.done_at - cb.created_at))
		         FILTER (WHERE cb.callback_call_id IS NOT NULL),
		       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM cb.done_at - cb.created_at))
		         FILTER (WHERE cb.callback_call_id IS NOT NULL)
		  FROM callback_request cb
		 WHERE `+q.scope.where("cb.territory_id", 1)+` AND cb.territory_id = $2
		   AND cb.created_at >= $3 AND cb.created_at < $4`,
		q.scope.ids(), q.territory, p.From, p.To).Scan(&s.Requests, &s.ThroughLine, &median, &p90)
	if err != nil {
		return s, err
	}
	if median != nil {
		s.Median = time.Duration(*median * float64(time.Second))
	}
	if p90 != nil {
		s.P90 = time.Duration(*p90 * float64(time.Second))
	}
	rows, err := q.pool.Query(ctx, `
		SELECT coalesce(o.outcome, ''), count(*)::int
		  FROM callback_request cb
		  LEFT JOIN outcome o ON o.call_id = cb.callback_call_id
		 WHERE `+q.scope.where("cb.territory_id", 1)+` AND cb.territory_id = $2
		   AND cb.created_at >= $3 AND cb.created_at < $4 AND cb.callback_call_id IS NOT NULL
		 GROUP BY 1 ORDER BY 2 DESC, 1`,
		q.scope.ids(), q.territory, p.From, p.To)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return s, err
		}
		label := "issue à saisir"
		if o != "" {
			label = outcomeLabel(callevent.Outcome(o))
		}
		s.Outcomes = append(s.Outcomes, statsCallbackOutcome{Label: label, Count: n})
	}
	return s, rows.Err()
}
