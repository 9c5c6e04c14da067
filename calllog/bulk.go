package calllog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// BulkLoad writes n finished calls in one transaction, through COPY: call(i)
// is the i-th call, asked once per table, so it must give the same call each
// time. Only the projected rows are written (the call, its attempts, its
// outcome, its callback request's CreatedAt, DoneAt and DoneBy), no events. The statistics of the territories loaded are recounted once at the
// end rather than by a trigger per row, and the tables analysed.
func (s *Store) BulkLoad(ctx context.Context, n int, call func(i int) CallRecord) error {
	copies := []struct {
		table   string
		columns []string
		rows    func(c CallRecord, id pgtype.UUID, emit func(row ...any))
	}{
		{"call", []string{"id", "territory_id", "did", "caller", "gp_rpps", "specialty_id", "started_at", "answered_at",
			"bridged_at", "ended_at", "result", "specialist_rpps", "attempts", "time_to_specialist_ms", "outcome_status"},
			func(c CallRecord, id pgtype.UUID, emit func(row ...any)) {
				var ms, status any
				if c.TimeToSpecialist > 0 {
					ms = int32(c.TimeToSpecialist.Milliseconds())
				}
				if c.Outcome != nil {
					status = c.Outcome.Status
				}
				emit(id, c.TerritoryID, c.DID, c.Caller, nullText(c.GPRPPS), c.SpecialtyID, c.StartedAt, nullTime(c.AnsweredAt),
					nullTime(c.BridgedAt), nullTime(c.EndedAt), string(c.Result), nullText(c.SpecialistRPPS), int32(len(c.Attempts)),
					ms, status)
			}},
		{"call_attempt", []string{"call_id", "attempt", "rank", "rpps", "phone", "started_at", "ringing_at", "answered_at",
			"ended_at", "result", "cause"},
			func(c CallRecord, id pgtype.UUID, emit func(row ...any)) {
				for _, a := range c.Attempts {
					emit(id, int32(a.Attempt), int32(a.Rank), a.RPPS, a.Phone, a.StartedAt, nullTime(a.RingingAt),
						nullTime(a.AnsweredAt), nullTime(a.EndedAt), string(a.Result), int32(a.Cause))
				}
			}},
		{"outcome", []string{"call_id", "status", "outcome", "delay_hours", "keyed_at", "keyed_via"},
			func(c CallRecord, id pgtype.UUID, emit func(row ...any)) {
				if o := c.Outcome; o != nil {
					var delay any
					if o.DelayHours > 0 {
						delay = int32(o.DelayHours)
					}
					emit(id, o.Status, nullText(string(o.Outcome)), delay, nullTime(o.KeyedAt), nullText(string(o.KeyedVia)))
				}
			}},
		{"callback_request", []string{"call_id", "territory_id", "specialty_id", "gp_rpps", "created_at", "done_at", "done_by"},
			func(c CallRecord, id pgtype.UUID, emit func(row ...any)) {
				if cb := c.Callback; cb != nil {
					emit(id, c.TerritoryID, c.SpecialtyID, nullText(c.GPRPPS), cb.CreatedAt, nullTime(cb.DoneAt), nullText(cb.DoneBy))
				}
			}},
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `ALTER TABLE call DISABLE TRIGGER USER; ALTER TABLE outcome DISABLE TRIGGER USER`); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
		territories := map[int64]bool{}
		for _, cp := range copies {
			i := 0
			var pending [][]any
			src := pgx.CopyFromFunc(func() ([]any, error) {
				for len(pending) == 0 && i < n {
					c := call(i)
					i++
					territories[c.TerritoryID] = true
					var id pgtype.UUID
					if err := id.Scan(c.ID); err != nil {
						return nil, fmt.Errorf("call %d: id %q: %w", i-1, c.ID, err)
					}
					cp.rows(c, id, func(row ...any) { pending = append(pending, row) })
				}
				if len(pending) == 0 {
					return nil, nil
				}
				row := pending[0]
				pending = pending[1:]
				return row, nil
			})
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{cp.table}, cp.columns, src); err != nil {
				return fmt.Errorf("bulk load %s: %w", cp.table, err)
			}
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE call ENABLE TRIGGER USER; ALTER TABLE outcome ENABLE TRIGGER USER`); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
		for t := range territories {
			if _, err := tx.Exec(ctx, `SELECT call_stats_rebuild($1)`, t); err != nil {
				return fmt.Errorf("bulk load: statistics of territory %d: %w", t, err)
			}
		}
		_, err := tx.Exec(ctx, `ANALYZE call; ANALYZE call_attempt; ANALYZE outcome; ANALYZE callback_request;
			ANALYZE call_stats_day; ANALYZE call_stats_wait; ANALYZE call_stats_hour`)
		return err
	})
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
