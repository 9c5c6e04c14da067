package console

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// statsSource is the calls' owner (calllog) as the statistics and the ARS
// export read it: counts, filtered on the coordinator's territories.
type statsSource interface {
	DayCounts(ctx context.Context, scope calllog.Scope, fromDay, toDay, bucket string) ([]calllog.DayCount, error)
	WaitCounts(ctx context.Context, scope calllog.Scope, fromDay, toDay, bucket string) ([]calllog.WaitCount, error)
	OutcomeCounts(ctx context.Context, scope calllog.Scope, fromDay, toDay string) ([]calllog.OutcomeCount, error)
	HourCounts(ctx context.Context, scope calllog.Scope, fromDay, toDay string) ([]calllog.HourCount, error)
	CallbackStats(ctx context.Context, scope calllog.Scope, from, to time.Time) (calllog.CallbackStats, error)
	ARSRows(ctx context.Context, scope calllog.Scope, start, end time.Time, loc *time.Location) ([]calllog.ARSRow, error)
}

// statsQuery reads one territory's statistics, filtered on the
// coordinator's territories (scope): another territory's id matches no row.
type statsQuery struct {
	calls       statsSource
	specialties []specialtyOption // the territory's, in menu order
	scope       territoryScope
	territory   int64
	loc         *time.Location
}

func (q statsQuery) callScope() calllog.Scope {
	return calllog.Scope{Allowed: q.scope.ids(), Territory: q.territory}
}

// specialtyRank orders specialties as the menu does, unknown ones last,
// with their labels ("sans spécialité" for none).
func (q statsQuery) specialtyRank(id int64) (rank int, label string) {
	for i, s := range q.specialties {
		if s.ID == id {
			return i, s.Label
		}
	}
	return len(q.specialties), "sans spécialité"
}

type statsSeriesData struct {
	labels                             []string
	bridged, others, rate, median, p90 []float64
	totals                             statsTotals
}

// The page reads the counts kept by migration 0070's triggers, never the
// calls themselves: a year of a region is a million calls, the counts a
// few tens of thousands of rows. days are the period's bounds as the
// territory's local dates, the counts' own keys.
func (p period) days() (from, to string) {
	return p.From.Format("2006-01-02"), p.To.Format("2006-01-02")
}

// series is the aggregate behind the calls, answer-rate and delay charts
// and the period's totals. The medians and 90th percentiles come from the
// per-second histograms of time to specialist (percentile_cont's
// interpolation at one-second resolution).
func (q statsQuery) series(ctx context.Context, p period) (statsSeriesData, error) {
	steps := p.buckets()
	index := make(map[string]int, len(steps))
	var d statsSeriesData
	for i, t := range steps {
		index[t.Format("2006-01-02")] = i
		d.labels = append(d.labels, p.bucketLabel(t))
	}
	n := len(steps)
	asked := make([]int, n)
	d.bridged, d.others = make([]float64, n), make([]float64, n)
	from, to := p.days()
	days, err := q.calls.DayCounts(ctx, q.callScope(), from, to, p.Bucket)
	if err != nil {
		return d, err
	}
	for _, c := range days {
		bridged := c.Result == callevent.ResultBridged
		asks := calllog.CountsAsAsked(c.Result, c.WithSpecialty)
		d.totals.Calls += c.Calls
		if asks {
			d.totals.Asked += c.Calls
		}
		if c.Result == callevent.ResultCallback {
			d.totals.Callbacks += c.Calls
		}
		if bridged {
			d.totals.Bridged += c.Calls
		}
		i, ok := index[c.Step.Format("2006-01-02")]
		if !ok {
			continue
		}
		if bridged {
			d.bridged[i] += float64(c.Calls)
		} else {
			d.others[i] += float64(c.Calls)
		}
		if asks {
			asked[i] += c.Calls
		}
	}

	waits := make([]waitHistogram, n)
	var all waitHistogram
	counts, err := q.calls.WaitCounts(ctx, q.callScope(), from, to, p.Bucket)
	if err != nil {
		return d, err
	}
	for _, c := range counts {
		all.add(c.Seconds, c.Calls)
		if i, ok := index[c.Step.Format("2006-01-02")]; ok {
			waits[i].add(c.Seconds, c.Calls)
		}
	}

	d.finish(asked, waits, all)
	return d, nil
}

// finish turns the per-step counts and wait histograms into the rates
// and percentiles the charts draw, and the period's.
func (d *statsSeriesData) finish(asked []int, waits []waitHistogram, all waitHistogram) {
	n := len(asked)
	d.rate, d.median, d.p90 = nanSlice(n), nanSlice(n), nanSlice(n)
	for i := range n {
		if asked[i] > 0 {
			d.rate[i] = d.bridged[i] / float64(asked[i])
		}
		d.median[i], d.p90[i] = waits[i].percentile(0.5), waits[i].percentile(0.9)
	}
	d.totals.AnswerRate = math.NaN()
	if d.totals.Asked > 0 {
		d.totals.AnswerRate = float64(d.totals.Bridged) / float64(d.totals.Asked)
	}
	d.totals.Median, d.totals.P90 = all.percentile(0.5), all.percentile(0.9)
}

// waitHistogram counts waits by whole second.
type waitHistogram map[int]int

func (h *waitHistogram) add(seconds, count int) {
	if *h == nil {
		*h = waitHistogram{}
	}
	(*h)[seconds] += count
}

// percentile is PostgreSQL's percentile_cont over the counted values:
// linear interpolation between the two values around position q·(n−1).
// NaN when empty.
func (h waitHistogram) percentile(q float64) float64 {
	total := 0
	keys := make([]int, 0, len(h))
	for k, n := range h {
		keys = append(keys, k)
		total += n
	}
	if total == 0 {
		return math.NaN()
	}
	sort.Ints(keys)
	pos := q * float64(total-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	value := func(rank int) float64 {
		seen := 0
		for _, k := range keys {
			seen += h[k]
			if rank < seen {
				return float64(k)
			}
		}
		return float64(keys[len(keys)-1])
	}
	a, b := value(lo), value(hi)
	return a + (b-a)*(pos-float64(lo))
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// outcomeLabels names the outcomes in the charts and exports, in the
// order the specialist's keypad offers them, then "not keyed yet".
func outcomeLabels() []struct{ Key, Label, Color string } {
	return []struct{ Key, Label, Color string }{
		{string(callevent.OutcomeTeleconsultation), "Téléconsultation", "#0b5563"},
		{string(callevent.OutcomeTeleexpertise), "Téléexpertise", "#3a8fa0"},
		{string(callevent.OutcomeVisit), "Consultation en présentiel", "#1e7a46"},
		{string(callevent.OutcomeHospital), "Orientation hôpital / urgences", "#b42318"},
		{string(callevent.OutcomeAdvice), "Avis seul", "#8a97a8"},
		{"pending", "Issue non saisie", "#e0a526"},
	}
}

type statsOutcomesData struct {
	rows   []string
	series []chartSeries
}

// statsOutcomes counts the outcomes of the period's bridged calls per
// specialty, in menu order.
func (q statsQuery) outcomes(ctx context.Context, p period) (statsOutcomesData, error) {
	from, to := p.days()
	counts, err := q.calls.OutcomeCounts(ctx, q.callScope(), from, to)
	if err != nil {
		return statsOutcomesData{}, err
	}
	tallies := make([]outcomeTally, 0, len(counts))
	ranks := make([]int, 0, len(counts))
	for _, c := range counts {
		rank, label := q.specialtyRank(c.SpecialtyID)
		tallies, ranks = append(tallies, outcomeTally{specialty: label, outcome: c.Outcome, calls: c.Calls}), append(ranks, rank)
	}
	order := make([]int, len(tallies))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ranks[order[a]] < ranks[order[b]] })
	sorted := make([]outcomeTally, len(tallies))
	for i, k := range order {
		sorted[i] = tallies[k]
	}
	return collectOutcomes(sorted), nil
}

// outcomeTally is how many calls of a specialty had an outcome.
type outcomeTally struct {
	specialty, outcome string
	calls              int
}

// collectOutcomes turns tallies, in row order, into the chart's rows and
// series.
func collectOutcomes(tallies []outcomeTally) statsOutcomesData {
	labels := outcomeLabels()
	var d statsOutcomesData
	for _, l := range labels {
		d.series = append(d.series, chartSeries{Name: l.Label, Color: l.Color})
	}
	rowIndex := map[string]int{}
	for _, t := range tallies {
		i, ok := rowIndex[t.specialty]
		if !ok {
			i = len(d.rows)
			rowIndex[t.specialty] = i
			d.rows = append(d.rows, t.specialty)
			for k := range d.series {
				d.series[k].Values = append(d.series[k].Values, 0)
			}
		}
		for k, l := range labels {
			if l.Key == t.outcome {
				d.series[k].Values[i] += float64(t.calls)
			}
		}
	}
	return d
}

type statsHoursData struct {
	days, hours []string
	counts      [][]float64 // [weekday Monday..Sunday][hour 0..23]
}

// newStatsHours is an empty week of hours, Monday first.
func newStatsHours() statsHoursData {
	d := statsHoursData{days: []string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}}
	for h := range 24 {
		d.hours = append(d.hours, time.Date(2000, 1, 1, h, 0, 0, 0, time.UTC).Format("15h"))
	}
	d.counts = make([][]float64, 7)
	for i := range d.counts {
		d.counts[i] = make([]float64, 24)
	}
	return d
}

// hours counts the period's calls per weekday and hour, territory time.
func (q statsQuery) hours(ctx context.Context, p period) (statsHoursData, error) {
	from, to := p.days()
	counts, err := q.calls.HourCounts(ctx, q.callScope(), from, to)
	if err != nil {
		return statsHoursData{}, err
	}
	d := newStatsHours()
	for _, c := range counts {
		d.counts[c.ISOWeekday-1][c.Hour] += float64(c.Calls)
	}
	return d, nil
}

// all runs the page's three aggregates at once, each on its own
// connection.
func (q statsQuery) all(ctx context.Context, p period) (statsSeriesData, statsOutcomesData, statsHoursData, error) {
	var (
		series   statsSeriesData
		outcomes statsOutcomesData
		hours    statsHoursData
		errs     [3]error
		wg       sync.WaitGroup
	)
	wg.Go(func() { series, errs[0] = q.series(ctx, p) })
	wg.Go(func() { outcomes, errs[1] = q.outcomes(ctx, p) })
	wg.Go(func() { hours, errs[2] = q.hours(ctx, p) })
	wg.Wait()
	for i, what := range []string{"series", "outcomes", "hours"} {
		if errs[i] != nil {
			return series, outcomes, hours, fmt.Errorf("statistics %s: %w", what, errs[i])
		}
	}
	return series, outcomes, hours, nil
}

// statsQuery is the statistics of the request's territory.
func (c *console) statsQuery(r *http.Request) (statsQuery, error) {
	v := visitOf(r)
	specialties, err := c.territorySpecialties(r)
	if err != nil {
		return statsQuery{}, err
	}
	return statsQuery{calls: c.stats, specialties: specialties, scope: v.scope, territory: v.current.ID,
		loc: v.current.Location}, nil
}
