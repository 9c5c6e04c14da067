package console

import (
	"context"
	"fmt"
	"strings"
	"time"
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
	st, err := q.calls.CallbackStats(ctx, q.callScope(), p.From, p.To)
	if err != nil {
		return statsCallbacks{}, err
	}
	s := statsCallbacks{Requests: st.Requests, ThroughLine: st.ThroughLine, Median: st.Median, P90: st.P90}
	for _, o := range st.Outcomes {
		label := "issue à saisir"
		if o.Outcome != "" {
			label = outcomeLabel(o.Outcome)
		}
		s.Outcomes = append(s.Outcomes, statsCallbackOutcome{Label: label, Count: o.Count})
	}
	return s, nil
}
