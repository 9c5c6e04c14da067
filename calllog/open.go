package calllog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OpenCall is a call whose record is still open in PostgreSQL (no
// call_ended applied): a controller that starts adopts it or closes it
// ResultInterrupted. Zero fields were not reached (or not known yet).
type OpenCall struct {
	ID          string
	TerritoryID int64 // 0 when the DID was not resolved (yet)
	StartedAt   time.Time
	LastEventAt time.Time // the time of its last event applied; StartedAt when none
	BridgedAt   time.Time // zero when never bridged
	SpecialtyID int64
	GPRPPS      string
	Caller      string
	Attempts    int // specialist legs started
	LastSeq     int // the highest event seq applied; the next event is LastSeq+1
}

// Bridged says whether GP and specialist were put through.
func (c OpenCall) Bridged() bool { return !c.BridgedAt.IsZero() }

// OpenCalls returns every call with no end recorded (ended_at NULL), oldest
// first, as PostgreSQL has it: events still in a spool (this process's, not
// yet applied, or another's) are not counted, so drain the spool first
// (Recorder.WaitDrained) when the answer must be complete.
func (s *Store) OpenCalls(ctx context.Context) ([]OpenCall, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.id::text, c.territory_id, c.started_at, coalesce(e.last_at, c.started_at), c.bridged_at,
		       c.specialty_id, c.gp_rpps, c.caller, c.attempts, coalesce(e.last_seq, 0)
		  FROM call c
		  LEFT JOIN LATERAL (SELECT max(at) AS last_at, max(seq) AS last_seq
		                       FROM call_event WHERE call_id = c.id) e ON true
		 WHERE c.ended_at IS NULL
		 ORDER BY c.started_at, c.id`)
	if err != nil {
		return nil, fmt.Errorf("list open calls: %w", err)
	}
	calls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OpenCall, error) {
		var c OpenCall
		var territory, specialty *int64
		var bridged *time.Time
		var gp *string
		err := row.Scan(&c.ID, &territory, &c.StartedAt, &c.LastEventAt, &bridged, &specialty, &gp, &c.Caller,
			&c.Attempts, &c.LastSeq)
		c.TerritoryID, c.SpecialtyID, c.BridgedAt, c.GPRPPS = val(territory), val(specialty), val(bridged), val(gp)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list open calls: %w", err)
	}
	return calls, nil
}

// LastSeq returns the highest event seq PostgreSQL holds for a call, 0 when
// it holds none (an unknown call is not an error: its events may still be
// in a spool). The same caveat as OpenCalls applies.
func (s *Store) LastSeq(ctx context.Context, callID string) (int, error) {
	var seq int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM call_event WHERE call_id = $1`, callID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last event seq of call %s: %w", callID, err)
	}
	return seq, nil
}
