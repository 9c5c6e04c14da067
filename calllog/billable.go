package calllog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/calllog/callevent"
)

// BillableCall is what billing reads of a call that may lead to acts: a
// call put through to a specialist who keyed its outcome.
type BillableCall struct {
	ID             string
	Reference      string
	StartedAt      time.Time
	GPRPPS         string // "" when the GP was not identified
	SpecialistRPPS string
	Outcome        callevent.Outcome
	DelayHours     int // the delay the specialist committed to; 0 when none
}

// Record is the call as a CallRecord, with what a BillableCall knows.
func (b BillableCall) Record(territoryID int64) CallRecord {
	return CallRecord{ID: b.ID, Reference: b.Reference, TerritoryID: territoryID, StartedAt: b.StartedAt,
		Result: callevent.ResultBridged, GPRPPS: b.GPRPPS, SpecialistRPPS: b.SpecialistRPPS, OutcomeStatus: "keyed",
		Outcome: &OutcomeRecord{Status: "keyed", Outcome: b.Outcome, DelayHours: b.DelayHours}}
}

// BillableCalls lists the territory's bridged calls with a keyed outcome
// that started in [from, to), by start then id: the order in which a
// weekly cap counts them.
func (s *Store) BillableCalls(ctx context.Context, territoryID int64, from, to time.Time) ([]BillableCall, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.id::text, coalesce(c.reference, ''), c.started_at, coalesce(c.gp_rpps, ''), coalesce(c.specialist_rpps, ''),
		       o.outcome, coalesce(o.delay_hours, 0)
		  FROM call c
		  JOIN outcome o ON o.call_id = c.id AND o.status = 'keyed'
		 WHERE c.territory_id = $1 AND c.result = 'bridged' AND c.started_at >= $2 AND c.started_at < $3
		 ORDER BY c.started_at, c.id`, territoryID, from, to)
	if err != nil {
		return nil, fmt.Errorf("billable calls of territory %d: %w", territoryID, err)
	}
	calls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (BillableCall, error) {
		var b BillableCall
		var outcome string
		err := row.Scan(&b.ID, &b.Reference, &b.StartedAt, &b.GPRPPS, &b.SpecialistRPPS, &outcome, &b.DelayHours)
		b.Outcome = callevent.Outcome(outcome)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("billable calls of territory %d: %w", territoryID, err)
	}
	return calls, nil
}
