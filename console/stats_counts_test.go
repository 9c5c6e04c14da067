package console

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/testkit/fakecalls"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The statistics read counts kept by triggers (migration 0070). The raw*
// functions below are the same statistics computed from the calls
// themselves, as the page did before those counts existed: the test holds
// the two equal through inserts, outcome keying, edits, deletes and a
// time-zone change.

// rawStats reads the statistics straight from the calls, to check the
// counts against.
type rawStats struct {
	statsQuery
	pool *pgxpool.Pool
}

// askedSQL is calllog.CountsAsAsked over a call c.
const askedSQL = `c.specialty_id IS NOT NULL AND c.result IN ('bridged', 'callback', 'abandoned')`

// menuSpecialties are a territory's specialties in menu order.
func menuSpecialties(t testing.TB, pool *pgxpool.Pool, territory int64) []specialtyOption {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, slug, label FROM specialty WHERE territory_id = $1
		ORDER BY menu_digit, slug`, territory)
	if err != nil {
		t.Fatal(err)
	}
	specialties, err := pgx.CollectRows(rows, pgx.RowToStructByPos[specialtyOption])
	if err != nil {
		t.Fatal(err)
	}
	return specialties
}

// rawSeries is series straight from the calls.
func (q rawStats) rawSeries(ctx context.Context, p period) (statsSeriesData, error) {
	rows, err := q.pool.Query(ctx, `
		SELECT date_trunc($6, c.started_at AT TIME ZONE $5)::date, c.result = 'bridged', `+askedSQL+`,
		       c.result = 'callback', round(c.time_to_specialist_ms / 1000.0)::int, count(*)
		  FROM call c
		 WHERE `+q.scope.where("c.territory_id", 1)+` AND c.territory_id = $2
		   AND c.started_at >= $3 AND c.started_at < $4
		 GROUP BY 1, 2, 3, 4, 5`,
		q.scope.ids(), q.territory, p.From, p.To, q.loc.String(), p.Bucket)
	if err != nil {
		return statsSeriesData{}, err
	}
	defer rows.Close()
	steps := p.buckets()
	index := make(map[string]int, len(steps))
	var d statsSeriesData
	for i, t := range steps {
		index[t.Format("2006-01-02")] = i
		d.labels = append(d.labels, p.bucketLabel(t))
	}
	n := len(steps)
	asked := make([]int, n)
	waits := make([]waitHistogram, n)
	var all waitHistogram
	d.bridged, d.others = make([]float64, n), make([]float64, n)
	for rows.Next() {
		var (
			step                    time.Time
			bridged, asks, callback bool
			wait                    *int
			count                   int
		)
		if err := rows.Scan(&step, &bridged, &asks, &callback, &wait, &count); err != nil {
			return d, err
		}
		d.totals.Calls += count
		if asks {
			d.totals.Asked += count
		}
		if callback {
			d.totals.Callbacks += count
		}
		if bridged {
			d.totals.Bridged += count
			if wait != nil {
				all.add(*wait, count)
			}
		}
		i, ok := index[step.Format("2006-01-02")]
		if !ok {
			continue
		}
		if bridged {
			d.bridged[i] += float64(count)
			if wait != nil {
				waits[i].add(*wait, count)
			}
		} else {
			d.others[i] += float64(count)
		}
		if asks {
			asked[i] += count
		}
	}
	if err := rows.Err(); err != nil {
		return d, err
	}
	d.finish(asked, waits, all)
	return d, nil
}

// rawOutcomes is outcomes straight from the calls.
func (q rawStats) rawOutcomes(ctx context.Context, p period) (statsOutcomesData, error) {
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
	tallies, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outcomeTally, error) {
		var t outcomeTally
		err := row.Scan(&t.specialty, &t.outcome, &t.calls)
		return t, err
	})
	return collectOutcomes(tallies), err
}

// rawHours is hours straight from the calls (whole-hour offsets only).
func (q rawStats) rawHours(ctx context.Context, p period) (statsHoursData, error) {
	rows, err := q.pool.Query(ctx, `
		SELECT date_bin('1 hour', c.started_at, timestamptz '2000-01-01 00:00:00+00'), count(*)
		  FROM call c
		 WHERE `+q.scope.where("c.territory_id", 1)+` AND c.territory_id = $2
		   AND c.started_at >= $3 AND c.started_at < $4
		 GROUP BY 1`,
		q.scope.ids(), q.territory, p.From, p.To)
	if err != nil {
		return statsHoursData{}, err
	}
	defer rows.Close()
	d := newStatsHours()
	for rows.Next() {
		var hour time.Time
		var n int
		if err := rows.Scan(&hour, &n); err != nil {
			return d, err
		}
		local := hour.In(q.loc)
		d.counts[(int(local.Weekday())+6)%7][local.Hour()] += float64(n)
	}
	return d, rows.Err()
}

func TestStatsCountsMatchTheCalls(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	ctx := context.Background()
	pool := env.pool
	februaryCalls(t, env, fx)

	specialties := specialtyIDs(t, pool, fx.coteaux)
	paris, _ := time.LoadLocation("Europe/Paris")
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, paris)
	if err := fakecalls.Generate(ctx, pool, fakecalls.Spec{TerritoryID: fx.coteaux, DID: "+33179000001",
		SpecialtyIDs: specialties, GPs: []string{"10003000014", "10003000022"}, Specialists: []string{"10002000015", "10002000023"},
		From: from, To: from.AddDate(1, 0, 0), Calls: 5000, Seed: 0.5}); err != nil {
		t.Fatal(err)
	}

	compare := func(t *testing.T, when string, loc *time.Location) {
		t.Helper()
		scope := newTerritoryScope([]accounts.Territory{{ID: fx.coteaux, Slug: "cpts-coteaux", Location: loc}})
		q := statsQuery{calls: calllog.NewStore(pool), specialties: menuSpecialties(t, pool, fx.coteaux), scope: scope,
			territory: fx.coteaux, loc: loc}
		raw := rawStats{q, pool}
		for _, pr := range [][2]string{
			{"2025-03-01", "2026-02-28"}, // weekly
			{"2025-10-15", "2025-11-10"}, // daily, over the autumn clock change
			{"2025-03-20", "2025-04-05"}, // daily, over the spring one
			{"2024-06-01", "2026-05-31"}, // monthly
			{"2026-02-01", "2026-02-28"}, // the calls recorded through events
		} {
			p, err := parsePeriod(pr[0], pr[1], from, loc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := q.series(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			want, err := raw.rawSeries(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got.totals.Calls == 0 {
				t.Errorf("%s, %v: no call counted", when, pr)
			}
			if !sameSeries(got, want) {
				t.Errorf("%s, %v: series from the counts\n%+v\nfrom the calls\n%+v", when, pr, got, want)
			}
			gotO, err := q.outcomes(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			wantO, err := raw.rawOutcomes(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gotO.rows, wantO.rows) || !slices.EqualFunc(gotO.series, wantO.series, func(a, b chartSeries) bool {
				return a.Name == b.Name && slices.Equal(a.Values, b.Values)
			}) {
				t.Errorf("%s, %v: outcomes from the counts %+v, from the calls %+v", when, pr, gotO, wantO)
			}
			gotH, err := q.hours(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			wantH, err := raw.rawHours(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(gotH.counts, wantH.counts, slices.Equal) {
				t.Errorf("%s, %v: hours from the counts %v, from the calls %v", when, pr, gotH.counts, wantH.counts)
			}
		}
	}
	compare(t, "after the bulk load", paris)

	// Changes as the line and the console make them, one statement at a
	// time, each through the triggers.
	for _, change := range []string{
		`UPDATE outcome SET status = 'keyed', outcome = 'avis_seul', keyed_at = now(), keyed_via = 'link'
		  WHERE status = 'pending' AND call_id IN (SELECT id FROM call ORDER BY id LIMIT 2000)`,
		`UPDATE call SET result = 'abandoned', time_to_specialist_ms = NULL
		  WHERE result = 'callback' AND id IN (SELECT id FROM call ORDER BY id DESC LIMIT 1500)`,
		`UPDATE call SET specialty_id = NULL WHERE id IN (SELECT id FROM call ORDER BY id LIMIT 100)`,
		`UPDATE call SET started_at = started_at + interval '5 hours' WHERE id IN (SELECT id FROM call ORDER BY id DESC LIMIT 300)`,
		`UPDATE call SET time_to_specialist_ms = time_to_specialist_ms + 700 WHERE result = 'bridged'
		  AND id IN (SELECT id FROM call ORDER BY id LIMIT 700)`,
		`UPDATE call SET result = 'failed' WHERE result = 'bridged' AND id IN (SELECT id FROM call ORDER BY id DESC LIMIT 900)`,
		`UPDATE call SET territory_id = $1 WHERE id IN (SELECT id FROM call ORDER BY id LIMIT 250)`,
		`DELETE FROM outcome WHERE call_id IN (SELECT id FROM call WHERE outcome_status = 'pending' ORDER BY id LIMIT 50)`,
		`DELETE FROM call WHERE id IN (SELECT id FROM call ORDER BY started_at LIMIT 400)`,
		`INSERT INTO call (id, territory_id, specialty_id, started_at, result, time_to_specialist_ms)
		 SELECT gen_random_uuid(), $1, $2, timestamptz '2025-10-26 00:30:00+02' + i * interval '10 minutes', 'bridged', i * 1000
		   FROM generate_series(1, 30) i`,
	} {
		var args []any
		switch {
		case strings.HasPrefix(change, "INSERT"):
			args = []any{fx.coteaux, specialties[0]}
		case strings.Contains(change, "territory_id = $1"):
			args = []any{fx.vallee}
		}
		if _, err := pool.Exec(ctx, change, args...); err != nil {
			t.Fatalf("%s: %v", change, err)
		}
	}
	compare(t, "after edits", paris)

	// A territory moved to another time zone is recounted in its days.
	if _, err := pool.Exec(ctx, `UPDATE territory SET timezone = 'America/Cayenne' WHERE id = $1`, fx.coteaux); err != nil {
		t.Fatal(err)
	}
	cayenne, _ := time.LoadLocation("America/Cayenne")
	compare(t, "after a time-zone change", cayenne)
}

func sameSeries(a, b statsSeriesData) bool {
	same := func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(p, q float64) bool { return p == q || (math.IsNaN(p) && math.IsNaN(q)) })
	}
	sameTotals := a.totals.Calls == b.totals.Calls && a.totals.Bridged == b.totals.Bridged &&
		a.totals.Asked == b.totals.Asked && a.totals.Callbacks == b.totals.Callbacks &&
		same([]float64{a.totals.AnswerRate, a.totals.Median, a.totals.P90}, []float64{b.totals.AnswerRate, b.totals.Median, b.totals.P90})
	return sameTotals && slices.Equal(a.labels, b.labels) && same(a.bridged, b.bridged) && same(a.others, b.others) &&
		same(a.rate, b.rate) && same(a.median, b.median) && same(a.p90, b.p90)
}
