package console

import (
	"context"
	"io"
	"sort"
	"testing"
	"time"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/fakecalls"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// BenchmarkExportsAndStats1M measures, with a million calls over a year in
// the database (generated once, about 80 s), a month's billing statement
// (target ≤ 2 s), a year of statistics, the four aggregates of the
// Statistiques page (target ≤ 1 s) and a year of ARS statistics. Figures
// are printed (ms, p95 over the runs), never asserted.
func BenchmarkExportsAndStats1M(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		b.Fatal(err)
	}
	var territory int64
	if err := pool.QueryRow(ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-coteaux', 'CPTS des Coteaux') RETURNING id`).Scan(&territory); err != nil {
		b.Fatal(err)
	}
	var specialties []int64
	for i, slug := range []string{"cardiologie", "dermatologie", "pediatrie"} {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO specialty (territory_id, slug, label, menu_digit) VALUES ($1, $2, $2, $3) RETURNING id`,
			territory, slug, i+1).Scan(&id); err != nil {
			b.Fatal(err)
		}
		specialties = append(specialties, id)
	}
	specialists := []string{"10002000015", "10002000023", "10002000031", "10002000049", "10002000056", "10002000064"}
	gps := []string{"10003000014", "10003000022", "10003000030", "10003000048", "10001045367"}
	if _, err := pool.Exec(ctx, `INSERT INTO practitioner (rpps, last_name) SELECT unnest($1::text[]), 'NOM'`,
		append(append([]string{}, specialists...), gps...)); err != nil {
		b.Fatal(err)
	}
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, paris)
	to := from.AddDate(1, 0, 0)
	start := time.Now()
	if err := fakecalls.Generate(ctx, pool, fakecalls.Spec{TerritoryID: territory, DID: "+33179000001",
		SpecialtyIDs: specialties, GPs: gps, Specialists: specialists, From: from, To: to, Calls: 1_000_000, Seed: 0.25}); err != nil {
		b.Fatal(err)
	}
	// Autovacuum does this on its own after a bulk insert; the benchmark
	// does not wait for it.
	for _, table := range []string{"call", "outcome", "callback_request"} {
		if _, err := pool.Exec(ctx, `VACUUM ANALYZE `+table); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("1,000,000 calls generated in %s", time.Since(start).Round(time.Second))

	scope := newTerritoryScope([]accounts.Territory{{ID: territory, Slug: "cpts-coteaux", Location: paris}})
	q := statsQuery{calls: calllog.NewStore(pool), specialties: menuSpecialties(b, pool, territory), scope: scope,
		territory: territory, loc: paris}
	store := billing.NewStore(pool, billing.Sources{Calls: calllog.NewStore(pool), Directory: roster.NewStore(pool)}).WithinTerritories(scope.ids())

	measure := func(b *testing.B, run func() error) {
		var times []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if err := run(); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(t0))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median_ms")
		b.ReportMetric(float64(times[(len(times)*95)/100].Microseconds())/1000, "p95_ms")
	}
	b.Run("billing-month", func(b *testing.B) {
		lines := 0
		measure(b, func() error {
			st, err := store.Statement(ctx, territory, billing.Month{Year: 2025, Month: time.October})
			if err != nil {
				return err
			}
			lines = len(st.Lines)
			return st.WriteCSV(io.Discard)
		})
		b.ReportMetric(float64(lines), "acts")
	})
	year, _ := parsePeriod(from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02"), to, paris)
	b.Run("statistics-year", func(b *testing.B) {
		measure(b, func() error {
			_, _, _, err := q.all(ctx, year)
			return err
		})
	})
	for name, f := range map[string]func() error{
		"series":   func() error { _, err := q.series(ctx, year); return err },
		"outcomes": func() error { _, err := q.outcomes(ctx, year); return err },
		"hours":    func() error { _, err := q.hours(ctx, year); return err },
	} {
		b.Run("statistics-year-"+name, func(b *testing.B) { measure(b, f) })
	}
	b.Run("ars-year", func(b *testing.B) {
		measure(b, func() error {
			_, err := q.writeARS(ctx, from, to, io.Discard)
			return err
		})
	})
}
