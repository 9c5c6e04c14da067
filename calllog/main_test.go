package calllog

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/testclock"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

var callCounter atomic.Int64

// newCallID returns a fresh UUID-shaped call id, distinct across a test binary.
func newCallID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", callCounter.Add(1))
}

// bridgedCall is a GP put through to the second specialist of the chain
// after the first did not answer; the specialist keys a téléexpertise.
func bridgedCall(id string, start time.Time) []callevent.Event {
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, At: at(0), DID: "+33179000001", Caller: "+33611000014"},
		{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: 1},
		{Kind: callevent.Answered, At: at(1)},
		{Kind: callevent.Identified, At: at(20), RPPS: "10003000014", Name: "Marie Dubois"},
		{Kind: callevent.SpecialtyChosen, At: at(25), SpecialtyID: 7, Specialty: "cardiologie"},
		{Kind: callevent.AttemptStarted, At: at(26), Attempt: 1, Rank: 1, RPPS: "10002000015", Phone: "+33612000015"},
		{Kind: callevent.AttemptRinging, At: at(28), Attempt: 1},
		{Kind: callevent.AttemptEnded, At: at(51), Attempt: 1, AttemptRes: callevent.AttemptNoAnswer, Cause: 19},
		{Kind: callevent.AttemptStarted, At: at(51), Attempt: 2, Rank: 2, RPPS: "10002000023", Phone: "+33612000023"},
		{Kind: callevent.AttemptRinging, At: at(53), Attempt: 2},
		{Kind: callevent.AttemptAnswered, At: at(60), Attempt: 2},
		{Kind: callevent.AttemptEnded, At: at(66), Attempt: 2, AttemptRes: callevent.AttemptAccepted},
		{Kind: callevent.Bridged, At: at(66), Attempt: 2, RPPS: "10002000023"},
		{Kind: callevent.LegHungUp, At: at(400), Party: "gp", Cause: 16},
		{Kind: callevent.OutcomeKeyed, At: at(410), Outcome: callevent.OutcomeTeleexpertise, DelayHours: 48},
		{Kind: callevent.CallEnded, At: at(411), Result: callevent.ResultBridged},
	}
	return number(id, evs)
}

// callbackCall is a GP for whom nobody answered: a callback is registered.
func callbackCall(id string, start time.Time) []callevent.Event {
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, At: at(0), DID: "+33179000002", Caller: "+33611000022"},
		{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: 1},
		{Kind: callevent.Answered, At: at(1)},
		{Kind: callevent.Identified, At: at(15), RPPS: "10003000022", Name: "Jean Lambert"},
		{Kind: callevent.SpecialtyChosen, At: at(18), SpecialtyID: 8, Specialty: "dermatologie"},
		{Kind: callevent.AttemptStarted, At: at(19), Attempt: 1, Rank: 1, RPPS: "10002000049", Phone: "+33612000049"},
		{Kind: callevent.AttemptEnded, At: at(22), Attempt: 1, AttemptRes: callevent.AttemptBusy, Cause: 17},
		{Kind: callevent.CallbackRequested, At: at(23)},
		{Kind: callevent.CallEnded, At: at(30), Result: callevent.ResultCallback},
	}
	return number(id, evs)
}

func number(id string, evs []callevent.Event) []callevent.Event {
	for i := range evs {
		evs[i].CallID, evs[i].Seq = id, i+1
	}
	return evs
}

// observed returns a logger whose entries the test can inspect.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

func openRecorder(t *testing.T, store *Store, dir string, log *zap.Logger, tune ...func(*Options)) *Recorder {
	t.Helper()
	opts := Options{Dir: dir, Log: log, Clock: testclock.New(t0), MaxBackoff: 100 * time.Millisecond}
	for _, f := range tune {
		f(&opts)
	}
	r, err := OpenRecorder(store, opts)
	if err != nil {
		t.Fatalf("open recorder: %v", err)
	}
	return r
}

func drain(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.WaitDrained(ctx); err != nil {
		t.Fatalf("%v (stats %+v)", err, r.Stats())
	}
}

func closeRecorder(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitStats waits, without sleeping, until the counters satisfy cond.
func waitStats(t *testing.T, r *Recorder, what string, cond func(Stats) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		r.mu.Lock()
		st, ch := r.stats, r.changed
		r.mu.Unlock()
		if cond(st) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s (stats %+v)", what, st)
		}
	}
}

func getCall(t *testing.T, s *Store, id string) CallRecord {
	t.Helper()
	rec, err := s.Call(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// checkEventsOnce fails unless the call's events are exactly want, in order.
func checkEventsOnce(t *testing.T, s *Store, want []callevent.Event) {
	t.Helper()
	rec := getCall(t, s, want[0].CallID)
	if len(rec.Events) != len(want) {
		t.Fatalf("call %s: %d events stored, want %d", want[0].CallID, len(rec.Events), len(want))
	}
	for i, ev := range rec.Events {
		if ev.Seq != want[i].Seq || ev.Kind != want[i].Kind || !ev.At.Equal(want[i].At) {
			t.Fatalf("call %s event %d = %s/%d at %s, want %s/%d at %s", ev.CallID, i, ev.Kind, ev.Seq, ev.At,
				want[i].Kind, want[i].Seq, want[i].At)
		}
	}
}
