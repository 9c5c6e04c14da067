package console

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog/callevent"
)

// statsQuery reads one territory's statistics, filtered in SQL on the
// coordinator's territories (scope): another territory's id matches no row.
type statsQuery struct {
	pool      *pgxpool.Pool
	scope     territoryScope
	territory int64
	loc       *time.Location
}

// The answer rate counts the calls that asked for a specialty and could
// have been put through: bridged, callback (nobody reached) or abandoned
// (the GP hung up while waiting). Refusals and out-of-hours calls never
// reached a specialist and are left out, and so are our own incidents
// (failed, interrupted): they are counted apart.
const askedSQL = `c.specialty_id IS NOT NULL AND c.result IN ('bridged', 'callback', 'abandoned')`

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
	rows, err := q.pool.Query(ctx, `
		SELECT date_trunc($5, d.day::timestamp)::date, d.result, d.specialty_id <> 0, sum(d.calls)::int
		  FROM call_stats_day d
		 WHERE `+q.scope.where("d.territory_id", 1)+` AND d.territory_id = $2
		   AND d.day >= $3::date AND d.day < $4::date
		 GROUP BY 1, 2, 3
		HAVING sum(d.calls) <> 0`,
		q.scope.ids(), q.territory, from, to, p.Bucket)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		var (
			step          time.Time
			result        string
			withSpecialty bool
			count         int
		)
		if err := rows.Scan(&step, &result, &withSpecialty, &count); err != nil {
			rows.Close()
			return d, err
		}
		bridged := result == string(callevent.ResultBridged)
		asks := withSpecialty && askedResult(result)
		d.totals.Calls += count
		if asks {
			d.totals.Asked += count
		}
		if result == string(callevent.ResultCallback) {
			d.totals.Callbacks += count
		}
		if bridged {
			d.totals.Bridged += count
		}
		i, ok := index[step.Format("2006-01-02")]
		if !ok {
			continue
		}
		if bridged {
			d.bridged[i] += float64(count)
		} else {
			d.others[i] += float64(count)
		}
		if asks {
			asked[i] += count
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}

	waits := make([]waitHistogram, n)
	var all waitHistogram
	rows, err = q.pool.Query(ctx, `
		SELECT date_trunc($5, w.day::timestamp)::date, w.seconds, sum(w.calls)::int
		  FROM call_stats_wait w
		 WHERE `+q.scope.where("w.territory_id", 1)+` AND w.territory_id = $2
		   AND w.day >= $3::date AND w.day < $4::date
		 GROUP BY 1, 2
		HAVING sum(w.calls) <> 0`,
		q.scope.ids(), q.territory, from, to, p.Bucket)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			step           time.Time
			seconds, count int
		)
		if err := rows.Scan(&step, &seconds, &count); err != nil {
			return d, err
		}
		all.add(seconds, count)
		if i, ok := index[step.Format("2006-01-02")]; ok {
			waits[i].add(seconds, count)
		}
	}
	if err := rows.Err(); err != nil {
		return d, err
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

// askedResult says whether a call with a specialty and this result counts
// in the answer rate (see askedSQL).
func askedResult(result string) bool {
	switch callevent.Result(result) {
	case callevent.ResultBridged, callevent.ResultCallback, callevent.ResultAbandoned:
		return true
	}
	return false
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
// specialty.
func (q statsQuery) outcomes(ctx context.Context, p period) (statsOutcomesData, error) {
	from, to := p.days()
	rows, err := q.pool.Query(ctx, `
		SELECT coalesce(s.label, 'sans spécialité'), d.outcome, sum(d.calls)::int
		  FROM call_stats_day d
		  LEFT JOIN specialty s ON s.id = d.specialty_id
		 WHERE `+q.scope.where("d.territory_id", 1)+` AND d.territory_id = $2
		   AND d.day >= $3::date AND d.day < $4::date AND d.outcome <> ''
		 GROUP BY s.menu_digit, 1, 2
		HAVING sum(d.calls) <> 0
		 ORDER BY s.menu_digit NULLS LAST`,
		q.scope.ids(), q.territory, from, to)
	if err != nil {
		return statsOutcomesData{}, err
	}
	return collectOutcomes(rows)
}

// collectOutcomes reads rows of (specialty label, outcome key, calls) into
// the chart's rows and series.
func collectOutcomes(rows pgx.Rows) (statsOutcomesData, error) {
	defer rows.Close()
	labels := outcomeLabels()
	var d statsOutcomesData
	for _, l := range labels {
		d.series = append(d.series, chartSeries{Name: l.Label, Color: l.Color})
	}
	rowIndex := map[string]int{}
	for rows.Next() {
		var specialty, outcome string
		var n int
		if err := rows.Scan(&specialty, &outcome, &n); err != nil {
			return d, err
		}
		i, ok := rowIndex[specialty]
		if !ok {
			i = len(d.rows)
			rowIndex[specialty] = i
			d.rows = append(d.rows, specialty)
			for k := range d.series {
				d.series[k].Values = append(d.series[k].Values, 0)
			}
		}
		for k, l := range labels {
			if l.Key == outcome {
				d.series[k].Values[i] += float64(n)
			}
		}
	}
	return d, rows.Err()
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
	rows, err := q.pool.Query(ctx, `
		SELECT extract(isodow FROM h.day)::int, h.hour, sum(h.calls)::int
		  FROM call_stats_hour h
		 WHERE `+q.scope.where("h.territory_id", 1)+` AND h.territory_id = $2
		   AND h.day >= $3::date AND h.day < $4::date
		 GROUP BY 1, 2`,
		q.scope.ids(), q.territory, from, to)
	if err != nil {
		return statsHoursData{}, err
	}
	defer rows.Close()
	d := newStatsHours()
	for rows.Next() {
		var isoWeekday, hour, n int
		if err := rows.Scan(&isoWeekday, &hour, &n); err != nil {
			return d, err
		}
		d.counts[isoWeekday-1][hour] += float64(n)
	}
	return d, rows.Err()
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
