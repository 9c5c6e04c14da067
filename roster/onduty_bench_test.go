package roster

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/testkit/pgtest"
)

// BenchmarkOnDuty measures the call path's roster lookup with a year of
// shifts for 20 specialties (2 twelve-hour shifts a day at ranks 1 and 2:
// 29,200 shifts) plus a few hundred overrides, at random instants. It
// reports p50 and p99 latency; the target is p99 ≤ 1 ms.
func BenchmarkOnDuty(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	const seed = `
	INSERT INTO territory (slug, name) VALUES ('bench', 'Banc d''essai');
	INSERT INTO specialty (territory_id, slug, label, menu_digit, fallback_label, fallback_phone)
	SELECT 1, 'sp' || n, 'spécialité ' || n, 1 + (n % 9), 'ligne ' || n, '+3324700' || lpad(n::text, 4, '0')
	  FROM generate_series(1, 20) n;
	INSERT INTO practitioner (rpps, last_name, first_name)
	SELECT lpad((20000000000 + n)::text, 11, '0'), 'NOM' || n, 'Prénom'
	  FROM generate_series(1, 60) n;
	INSERT INTO enrolment (territory_id, rpps, role, specialty_id, phones)
	SELECT 1, lpad((20000000000 + (s - 1) * 3 + k)::text, 11, '0'), 'requis', s,
	       ARRAY['+336' || lpad(((s - 1) * 3 + k)::text, 8, '0')]
	  FROM generate_series(1, 20) s, generate_series(1, 3) k;
	INSERT INTO shift (territory_id, specialty_id, rpps, during, rank)
	SELECT 1, s, lpad((20000000000 + (s - 1) * 3 + 1 + ((h + r) % 3))::text, 11, '0'),
	       tstzrange(timestamptz '2026-01-01 08:00 Europe/Paris' + h * interval '12 hours',
	                 timestamptz '2026-01-01 08:00 Europe/Paris' + (h + 1) * interval '12 hours', '[)'),
	       r
	  FROM generate_series(1, 20) s, generate_series(0, 729) h, generate_series(1, 2) r;
	INSERT INTO override (territory_id, specialty_id, rpps, during, rank)
	SELECT 1, s, lpad((20000000000 + (s - 1) * 3 + 3)::text, 11, '0'),
	       tstzrange(timestamptz '2026-01-01 10:00 Europe/Paris' + d * interval '1 day',
	                 timestamptz '2026-01-01 14:00 Europe/Paris' + d * interval '1 day', '[)'), 1
	  FROM generate_series(1, 20) s, generate_series(0, 364, 20) d;`
	// The fixture's menu digits (1..9) cannot hold 20 specialties: this
	// synthetic territory drops that uniqueness for the benchmark only.
	if _, err := pool.Exec(ctx, `ALTER TABLE specialty DROP CONSTRAINT specialty_territory_id_menu_digit_key`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, seed); err != nil {
		b.Fatalf("seed: %v", err)
	}
	// Settle the new rows (hint bits, visibility map, statistics) as a
	// database that has run for a while would be.
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	var shifts int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM shift`).Scan(&shifts); err != nil {
		b.Fatal(err)
	}
	store := NewStore(pool)
	yearStart := time.Date(2026, 1, 1, 7, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	instant := func() (int64, time.Time) {
		return 1 + rng.Int64N(20), yearStart.Add(time.Duration(rng.Int64N(int64(364 * 24 * time.Hour))))
	}

	var plan []string
	rows, err := pool.Query(ctx, "EXPLAIN "+onDutySQL, int64(1), int64(3), yearStart.Add(100*time.Hour))
	if err == nil {
		for rows.Next() {
			var line string
			_ = rows.Scan(&line)
			plan = append(plan, line)
		}
		rows.Close()
	}
	b.Logf("%d shifts; plan:\n%s", shifts, strings.Join(plan, "\n"))

	for range 200 { // warm the pool's connections and the plan cache
		sp, at := instant()
		if _, err := store.OnDuty(ctx, 1, sp, at); err != nil {
			b.Fatal(err)
		}
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sp, at := instant()
		start := time.Now()
		chain, err := store.OnDuty(ctx, 1, sp, at)
		latencies = append(latencies, time.Since(start))
		if err != nil || len(chain) < 2 {
			b.Fatalf("on duty for %d at %s: %v, %v", sp, at, chain, err)
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds())
	}
	b.ReportMetric(float64(shifts), "shifts")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
