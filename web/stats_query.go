package web

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog"
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
// reached a specialist and are left out.
const askedSQL = `c.specialty_id IS NOT NULL AND c.result IN ('bridged', 'callback', 'abandoned')`

type statsSeriesData struct {
	labels                             []string
	bridged, others, rate, median, p90 []float64
	totals                             statsTotals
}

// statsSeries is the per-step aggregate behind the calls, answer-rate and
// delay charts, with the period's totals in the same pass (grouping sets).
func (q statsQuery) series(ctx context.Context, p period) (statsSeriesData, error) {
	loc := q.loc
	rows, err := q.pool.Query(ctx, `
		SELECT b.step,
		       count(*), count(*) FILTER (WHERE c.result = 'bridged'),
		       count(*) FILTER (WHERE `+askedSQL+`),
		       count(*) FILTER (WHERE c.result = 'callback'),
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.time_to_specialist_ms) FILTER (WHERE c.result = 'bridged'),
		       percentile_cont(0.9) WITHIN GROUP (ORDER BY c.time_to_specialist_ms) FILTER (WHERE c.result = 'bridged')
		  FROM call c
		 CROSS JOIN LATERAL (SELECT to_char(date_trunc($6, c.started_at AT TIME ZONE $5), 'YYYY-MM-DD') AS step) b
		 WHERE `+q.scope.where("c.territory_id", 1)+` AND c.territory_id = $2
		   AND c.started_at >= $3 AND c.started_at < $4
		 GROUP BY GROUPING SETS ((b.step), ())`,
		q.scope.ids(), q.territory, p.From, p.To, loc.String(), p.Bucket)
	if err != nil {
		return statsSeriesData{}, err
	}
	defer rows.Close()
	steps := p.buckets()
	index := make(map[string]int, len(steps))
	d := statsSeriesData{totals: statsTotals{AnswerRate: math.NaN(), Median: math.NaN(), P90: math.NaN()}}
	for i, t := range steps {
		index[t.Format("2006-01-02")] = i
		d.labels = append(d.labels, p.bucketLabel(t))
	}
	n := len(steps)
	d.bridged, d.others = make([]float64, n), make([]float64, n)
	d.rate, d.median, d.p90 = nanSlice(n), nanSlice(n), nanSlice(n)
	for rows.Next() {
		var (
			step                           *string
			calls, bridged, asked, callbck int
			median, p90                    *float64
		)
		if err := rows.Scan(&step, &calls, &bridged, &asked, &callbck, &median, &p90); err != nil {
			return d, err
		}
		rate := math.NaN()
		if asked > 0 {
			rate = float64(bridged) / float64(asked)
		}
		if step == nil {
			d.totals = statsTotals{Calls: calls, Bridged: bridged, Asked: asked, Callbacks: callbck,
				AnswerRate: rate, Median: seconds(median), P90: seconds(p90)}
			continue
		}
		i, ok := index[*step]
		if !ok {
			continue
		}
		d.bridged[i], d.others[i] = float64(bridged), float64(calls-bridged)
		d.rate[i], d.median[i], d.p90[i] = rate, seconds(median), seconds(p90)
	}
	return d, rows.Err()
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

func seconds(ms *float64) float64 {
	if ms == nil {
		return math.NaN()
	}
	return *ms / 1000
}

// outcomeLabels names the outcomes in the charts and exports, in the
// order the specialist's keypad offers them, then "not keyed yet".
func outcomeLabels() []struct{ Key, Label, Color string } {
	return []struct{ Key, Label, Color string }{
		{string(calllog.OutcomeTeleconsultation), "Téléconsultation", "#0b5563"},
		{string(calllog.OutcomeTeleexpertise), "Téléexpertise", "#3a8fa0"},
		{string(calllog.OutcomeVisit), "Consultation en présentiel", "#1e7a46"},
		{string(calllog.OutcomeHospital), "Orientation hôpital / urgences", "#b42318"},
		{string(calllog.OutcomeAdvice), "Avis seul", "#8a97a8"},
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
	rows, err := q.pool.Query(ctx, `
		SELECT coalesce(s.label, 'sans spécialité'), coalesce(o.outcome, 'pending'), count(*)
		  FROM call c
		  JOIN outcome o ON o.call_id = c.id
		  LEFT JOIN specialty s ON s.id = c.specialty_id
		 WHERE `+q.scope.where("c.territory_id", 1)+` AND c.territory_id = $2
		   AND c.started_at >= $3 AND c.started_at < $4
		 GROUP BY s.menu_digit, 1, 2
		 ORDER BY s.menu_digit NULLS LAST`,
		q.scope.ids(), q.territory, p.From, p.To)
	if err != nil {
		return statsOutcomesData{}, err
	}
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

// statsHours counts the period's calls per weekday and hour, territory time.
func (q statsQuery) hours(ctx context.Context, p period) (statsHoursData, error) {
	rows, err := q.pool.Query(ctx, `
		SELECT extract(isodow FROM c.started_at AT TIME ZONE $5)::int,
		       extract(hour FROM c.started_at AT TIME ZONE $5)::int, count(*)
		  FROM call c
		 WHERE `+q.scope.where("c.territory_id", 1)+` AND c.territory_id = $2
		   AND c.started_at >= $3 AND c.started_at < $4
		 GROUP BY 1, 2`,
		q.scope.ids(), q.territory, p.From, p.To, q.loc.String())
	if err != nil {
		return statsHoursData{}, err
	}
	defer rows.Close()
	d := statsHoursData{days: []string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}}
	for h := range 24 {
		d.hours = append(d.hours, time.Date(2000, 1, 1, h, 0, 0, 0, time.UTC).Format("15h"))
	}
	d.counts = make([][]float64, 7)
	for i := range d.counts {
		d.counts[i] = make([]float64, 24)
	}
	for rows.Next() {
		var dow, hour, n int
		if err := rows.Scan(&dow, &hour, &n); err != nil {
			return d, err
		}
		if dow >= 1 && dow <= 7 && hour >= 0 && hour < 24 {
			d.counts[dow-1][hour] = float64(n)
		}
	}
	return d, rows.Err()
}
