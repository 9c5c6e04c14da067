package calllog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// The counts follow every other way the calls change: an outcome keyed
// through the link, statements over many calls, deletes, a time-zone
// change.
func TestStatsFollowEveryChange(t *testing.T) {
	pool := pgtest.New(t)
	store := NewStore(pool)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO territory (id, slug, name) VALUES (1, 'cpts-un', 'Un'), (2, 'cpts-deux', 'Deux')
		ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	var events []callevent.Event
	var pending []string
	for i := range 60 {
		id := newCallID()
		start := t0.Add(time.Duration(i) * 37 * time.Minute)
		var evs []callevent.Event
		switch i % 3 {
		case 0:
			evs = bridgedCall(id, start)
		case 1:
			evs = callbackCall(id, start)
		default:
			evs = bridgedCall(id, start)
			evs[14] = callevent.Event{CallID: id, Seq: evs[14].Seq, Kind: callevent.OutcomePending, At: evs[14].At}
			pending = append(pending, id)
		}
		if i%4 == 0 {
			evs[1].TerritoryID = 2
		}
		events = append(events, evs...)
	}
	if _, err := store.ApplyEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	checkStatsMatchCalls(t, pool, "after the events")

	if err := store.KeyOutcome(ctx, pending[0], callevent.OutcomeHospital, 0, ViaLink, t0); err != nil {
		t.Fatal(err)
	}
	checkStatsMatchCalls(t, pool, "after an outcome keyed through the link")

	for _, change := range []string{
		`UPDATE outcome SET status = 'keyed', outcome = 'avis_seul', keyed_at = now(), keyed_via = 'link' WHERE status = 'pending'`,
		`UPDATE call SET specialty_id = NULL WHERE id IN (SELECT id FROM call ORDER BY id LIMIT 10)`,
		`UPDATE call SET started_at = started_at + interval '5 hours' WHERE id IN (SELECT id FROM call ORDER BY id DESC LIMIT 20)`,
		`UPDATE call SET result = 'failed', time_to_specialist_ms = time_to_specialist_ms + 1700 WHERE result = 'bridged'
		  AND id IN (SELECT id FROM call ORDER BY id LIMIT 30)`,
		`UPDATE call SET territory_id = 2 WHERE territory_id = 1 AND id IN (SELECT id FROM call ORDER BY id DESC LIMIT 15)`,
		`DELETE FROM outcome WHERE call_id IN (SELECT id FROM call ORDER BY id LIMIT 20)`,
		`DELETE FROM call WHERE id IN (SELECT id FROM call ORDER BY started_at LIMIT 12)`,
		`INSERT INTO outcome (call_id, status) SELECT id, 'pending' FROM call WHERE result = 'failed' ON CONFLICT DO NOTHING`,
		`INSERT INTO call (id, territory_id, specialty_id, started_at, result, time_to_specialist_ms)
		 SELECT gen_random_uuid(), 1, 7, timestamptz '2026-03-29 00:30:00+01' + i * interval '10 minutes', 'bridged', i * 1000
		   FROM generate_series(1, 30) i`,
		`UPDATE territory SET timezone = 'America/Cayenne' WHERE id = 1`,
	} {
		if _, err := pool.Exec(ctx, change); err != nil {
			t.Fatalf("%s: %v", change, err)
		}
		checkStatsMatchCalls(t, pool, "after "+change)
	}
}

// checkStatsMatchCalls fails unless the statistics' counts are what
// counting the calls gives (call_stats_rebuild's query).
func checkStatsMatchCalls(t *testing.T, pool *pgxpool.Pool, when string) {
	t.Helper()
	const source = `WITH src AS (
		SELECT c.territory_id, c.specialty_id, c.result, c.time_to_specialist_ms,
		       c.started_at AT TIME ZONE coalesce(t.timezone, 'Europe/Paris') AS local_start,
		       call_stats_outcome_key(o.call_id IS NOT NULL, o.outcome) AS outcome_key
		  FROM call c LEFT JOIN territory t ON t.id = c.territory_id LEFT JOIN outcome o ON o.call_id = c.id
		 WHERE c.territory_id IS NOT NULL)`
	for _, q := range [][2]string{
		{source + ` SELECT territory_id, local_start::date, coalesce(specialty_id, 0), coalesce(result, ''), outcome_key, count(*)::int
			FROM src GROUP BY 1, 2, 3, 4, 5`,
			`SELECT territory_id, day, specialty_id, result, outcome, calls FROM call_stats_day WHERE calls <> 0`},
		{source + ` SELECT territory_id, local_start::date, extract(hour FROM local_start)::smallint, count(*)::int FROM src GROUP BY 1, 2, 3`,
			`SELECT territory_id, day, hour, calls FROM call_stats_hour WHERE calls <> 0`},
		{source + ` SELECT territory_id, local_start::date, round(time_to_specialist_ms / 1000.0)::integer, count(*)::int
			FROM src WHERE result = 'bridged' AND time_to_specialist_ms IS NOT NULL GROUP BY 1, 2, 3`,
			`SELECT territory_id, day, seconds, calls FROM call_stats_wait WHERE calls <> 0`},
	} {
		var diff []string
		rows, err := pool.Query(context.Background(), `SELECT 'missing ' || x::text FROM ((`+q[0]+`) EXCEPT (`+q[1]+`)) x
			UNION ALL SELECT 'extra ' || y::text FROM ((`+q[1]+`) EXCEPT (`+q[0]+`)) y`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			diff = append(diff, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(diff) > 0 {
			t.Errorf("%s: counts differ from the calls:\n%s", when, strings.Join(diff, "\n"))
		}
	}
}
