package calllog

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// A controller that starts finds the calls a dead one left open: a bridged
// one and a hunting one, each with its last event and seq; a finished call
// is not listed. Closing one "interrupted" takes it off the list, and the
// console's filter and statistics know the result.
func TestOpenCallsAndInterrupted(t *testing.T) {
	ctx := context.Background()
	store := NewStore(pgtest.New(t))

	done := bridgedCall(newCallID(), t0)
	bridged := bridgedCall(newCallID(), t0.Add(time.Minute))[:14]  // up to the GP's hang-up, no outcome, no end
	hunting := bridgedCall(newCallID(), t0.Add(2*time.Minute))[:9] // attempt 2 started, ringing
	var all []callevent.Event
	for _, evs := range [][]callevent.Event{done, bridged, hunting} {
		all = append(all, evs...)
	}
	if _, err := store.ApplyEvents(ctx, all); err != nil {
		t.Fatal(err)
	}

	open, err := store.OpenCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].ID != bridged[0].CallID || open[1].ID != hunting[0].CallID {
		t.Fatalf("open calls = %+v, want the bridged then the hunting one", open)
	}
	b, h := open[0], open[1]
	if !b.Bridged() || !b.BridgedAt.Equal(t0.Add(time.Minute+66*time.Second)) || b.LastSeq != 14 ||
		!b.LastEventAt.Equal(t0.Add(time.Minute+400*time.Second)) || b.Attempts != 2 {
		t.Errorf("bridged open call = %+v", b)
	}
	if h.Bridged() || h.LastSeq != 9 || !h.LastEventAt.Equal(t0.Add(2*time.Minute+51*time.Second)) || h.Attempts != 2 ||
		h.TerritoryID != 1 || h.SpecialtyID != 7 || h.GPRPPS != "10003000014" || h.Caller != "+33611000014" ||
		!h.StartedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("hunting open call = %+v", h)
	}
	for _, c := range []struct {
		id   string
		want int
	}{{done[0].CallID, 16}, {hunting[0].CallID, 9}, {newCallID(), 0}} {
		if got, err := store.LastSeq(ctx, c.id); err != nil || got != c.want {
			t.Errorf("LastSeq(%s) = %d, %v; want %d", c.id, got, err, c.want)
		}
	}

	// The next controller closes the hunting call at its last event.
	end := callevent.Event{CallID: h.ID, Seq: h.LastSeq + 1, At: h.LastEventAt, Kind: callevent.CallEnded, Result: callevent.ResultInterrupted}
	if _, err := store.ApplyEvents(ctx, []callevent.Event{end}); err != nil {
		t.Fatalf("PostgreSQL refuses the interrupted result: %v", err)
	}
	open, err = store.OpenCalls(ctx)
	if err != nil || len(open) != 1 || open[0].ID != b.ID {
		t.Fatalf("open calls after closing one = %+v, %v", open, err)
	}
	rec := getCall(t, store, h.ID)
	if rec.Result != callevent.ResultInterrupted || !rec.EndedAt.Equal(h.LastEventAt) {
		t.Errorf("closed call: result %q ended %s", rec.Result, rec.EndedAt)
	}
	if err := (CallFilter{Result: callevent.ResultInterrupted}).Valid(); err != nil {
		t.Errorf("the calls filter refuses interrupted: %v", err)
	}
	var counted int
	if err := store.pool.QueryRow(ctx, `SELECT coalesce(sum(calls), 0) FROM call_stats_day WHERE result = 'interrupted'`).
		Scan(&counted); err != nil || counted != 1 {
		t.Errorf("statistics count %d interrupted calls (%v), want 1", counted, err)
	}
}
