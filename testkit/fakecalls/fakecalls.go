// Package fakecalls fills the call records with synthetic calls (a million
// in seconds, in SQL) for the console's and exports' benchmarks. The calls
// look like a region's traffic: three quarters bridged, most with a keyed
// outcome, the rest callbacks, refusals, abandons and out-of-hours calls.
// They carry no events: only the projected rows the pages read.
package fakecalls

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Spec says what to generate.
type Spec struct {
	TerritoryID  int64
	DID          string
	SpecialtyIDs []int64
	GPs          []string // RPPS numbers of requérants
	Specialists  []string // RPPS numbers of requis
	From, To     time.Time
	Calls        int
	Seed         float64 // -1..1, for setseed: the same seed gives the same calls
}

// Generate inserts the calls, their attempts, outcomes and callback
// requests in one transaction. The statistics' counts are rebuilt once at
// the end, as a bulk load does, rather than by a trigger call per row.
func Generate(ctx context.Context, pool *pgxpool.Pool, s Spec) error {
	if s.Calls <= 0 || len(s.SpecialtyIDs) == 0 || len(s.GPs) == 0 || len(s.Specialists) == 0 || !s.To.After(s.From) {
		return fmt.Errorf("fakecalls: incomplete spec %+v", s)
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT setseed($1)`, s.Seed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE fake_call ON COMMIT DROP AS
			SELECT gen_random_uuid() AS id, i,
			       $1::timestamptz + ($2::timestamptz - $1::timestamptz) * random() AS t,
			       random() AS r, random() AS o, (random() * 240)::int AS tts
			FROM generate_series(1, $3::int) i`, s.From, s.To, s.Calls); err != nil {
			return fmt.Errorf("fakecalls: draw: %w", err)
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE call DISABLE TRIGGER USER; ALTER TABLE outcome DISABLE TRIGGER USER`); err != nil {
			return fmt.Errorf("fakecalls: bulk load: %w", err)
		}
		steps := []string{
			`INSERT INTO call (id, territory_id, did, caller, gp_rpps, specialty_id, started_at, answered_at,
			        bridged_at, ended_at, result, specialist_rpps, attempts, time_to_specialist_ms, outcome_status)
			 SELECT id, $1, $2, '+336110' || lpad((i % 100000)::text, 5, '0'),
			        ($3::text[])[1 + i % cardinality($3::text[])],
			        ($4::bigint[])[1 + i % cardinality($4::bigint[])],
			        t, t + interval '1 second',
			        CASE WHEN r < 0.75 THEN t + make_interval(secs => 20 + tts) END,
			        t + make_interval(secs => 60 + tts * 3),
			        CASE WHEN r < 0.75 THEN 'bridged' WHEN r < 0.85 THEN 'callback' WHEN r < 0.92 THEN 'refused'
			             WHEN r < 0.97 THEN 'abandoned' ELSE 'out_of_hours' END,
			        CASE WHEN r < 0.75 THEN ($5::text[])[1 + i % cardinality($5::text[])] END,
			        CASE WHEN r < 0.85 THEN 1 + (tts % 3) ELSE 0 END,
			        CASE WHEN r < 0.75 THEN (5 + tts) * 1000 END,
			        CASE WHEN r < 0.75 THEN CASE WHEN o < 0.85 THEN 'keyed' ELSE 'pending' END END
			 FROM fake_call`,
			`INSERT INTO call_attempt (call_id, attempt, rank, rpps, phone, started_at, ringing_at, answered_at, ended_at, result, cause)
			 SELECT c.id, a, a, c2.specialist, '+33612000000', c.started_at + make_interval(secs => 10 * a),
			        c.started_at + make_interval(secs => 10 * a + 1),
			        CASE WHEN a = c.attempts AND c.result = 'bridged' THEN c.started_at + make_interval(secs => 10 * a + 5) END,
			        c.started_at + make_interval(secs => 10 * a + 9),
			        CASE WHEN a = c.attempts AND c.result = 'bridged' THEN 'accepted' ELSE 'no_answer' END,
			        CASE WHEN a = c.attempts AND c.result = 'bridged' THEN 16 ELSE 19 END
			 FROM call c JOIN fake_call f ON f.id = c.id
			 CROSS JOIN LATERAL generate_series(1, c.attempts) a
			 CROSS JOIN LATERAL (SELECT coalesce(c.specialist_rpps, ($1::text[])[1]) AS specialist) c2`,
			`INSERT INTO outcome (call_id, status, outcome, delay_hours, keyed_at, keyed_via)
			 SELECT c.id, c.outcome_status,
			        CASE WHEN c.outcome_status = 'keyed' THEN (ARRAY['teleconsultation','teleexpertise','consultation_presentiel',
			             'orientation_hopital','avis_seul'])[1 + (f.o * 1000)::int % 5] END,
			        CASE WHEN c.outcome_status = 'keyed' AND (f.o * 1000)::int % 5 IN (1, 2) THEN (ARRAY[24, 48, 168])[1 + f.tts % 3] END,
			        CASE WHEN c.outcome_status = 'keyed' THEN c.ended_at END,
			        CASE WHEN c.outcome_status = 'keyed' THEN 'phone' END
			 FROM call c JOIN fake_call f ON f.id = c.id WHERE c.outcome_status IS NOT NULL`,
			`INSERT INTO callback_request (call_id, territory_id, specialty_id, gp_rpps, created_at, done_at, done_by)
			 SELECT c.id, c.territory_id, c.specialty_id, c.gp_rpps, c.ended_at,
			        CASE WHEN f.o < 0.9 THEN c.ended_at + interval '2 hours' END,
			        CASE WHEN f.o < 0.9 THEN 'bench' END
			 FROM call c JOIN fake_call f ON f.id = c.id WHERE c.result = 'callback'`,
		}
		args := [][]any{
			{s.TerritoryID, s.DID, s.GPs, s.SpecialtyIDs, s.Specialists},
			{s.Specialists},
			nil,
			nil,
		}
		steps = append(steps, `ALTER TABLE call ENABLE TRIGGER USER; ALTER TABLE outcome ENABLE TRIGGER USER`,
			`SELECT call_stats_rebuild($1)`)
		args = append(args, nil, []any{s.TerritoryID})
		for i, q := range steps {
			if _, err := tx.Exec(ctx, q, args[i]...); err != nil {
				return fmt.Errorf("fakecalls: step %d: %w", i+1, err)
			}
		}
		_, err := tx.Exec(ctx, `ANALYZE call; ANALYZE call_attempt; ANALYZE outcome; ANALYZE callback_request;
			ANALYZE call_stats_day; ANALYZE call_stats_wait; ANALYZE call_stats_hour`)
		return err
	})
}
