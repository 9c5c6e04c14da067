package calllog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestProjectionOfABridgedCall(t *testing.T) {
	store := NewStore(pgtest.New(t))
	log, _ := observed()
	r := openRecorder(t, store, t.TempDir(), log)
	defer closeRecorder(t, r)

	id := newCallID()
	evs := bridgedCall(id, t0)
	for _, ev := range evs {
		r.Record(ev)
	}
	drain(t, r)

	rec := getCall(t, store, id)
	checkEventsOnce(t, store, evs)
	if rec.DID != "+33179000001" || rec.Caller != "+33611000014" || rec.TerritoryID != 1 || rec.SpecialtyID != 7 {
		t.Errorf("call row = %+v", rec)
	}
	if rec.GPRPPS != "10003000014" || rec.SpecialistRPPS != "10002000023" || rec.Result != callevent.ResultBridged {
		t.Errorf("gp %q specialist %q result %q", rec.GPRPPS, rec.SpecialistRPPS, rec.Result)
	}
	if !rec.StartedAt.Equal(t0) || !rec.AnsweredAt.Equal(t0.Add(time.Second)) ||
		!rec.BridgedAt.Equal(t0.Add(66*time.Second)) || !rec.EndedAt.Equal(t0.Add(411*time.Second)) {
		t.Errorf("times: started %s answered %s bridged %s ended %s", rec.StartedAt, rec.AnsweredAt, rec.BridgedAt, rec.EndedAt)
	}
	if rec.AttemptCount != 2 || rec.TimeToSpecialist != 40*time.Second {
		t.Errorf("attempts %d, time to specialist %s; want 2, 40s (first dial to bridge)", rec.AttemptCount, rec.TimeToSpecialist)
	}
	if len(rec.Attempts) != 2 {
		t.Fatalf("%d attempt rows, want 2", len(rec.Attempts))
	}
	a1, a2 := rec.Attempts[0], rec.Attempts[1]
	if a1.Result != callevent.AttemptNoAnswer || a1.Cause != 19 || a1.RPPS != "10002000015" || a1.Rank != 1 ||
		!a1.RingingAt.Equal(t0.Add(28*time.Second)) || !a1.AnsweredAt.IsZero() {
		t.Errorf("attempt 1 = %+v", a1)
	}
	if a2.Result != callevent.AttemptAccepted || a2.Phone != "+33612000023" || !a2.AnsweredAt.Equal(t0.Add(60*time.Second)) {
		t.Errorf("attempt 2 = %+v", a2)
	}
	if rec.Outcome == nil || rec.Outcome.Status != "keyed" || rec.Outcome.Outcome != callevent.OutcomeTeleexpertise ||
		rec.Outcome.DelayHours != 48 || rec.Outcome.KeyedVia != ViaPhone || rec.OutcomeStatus != "keyed" {
		t.Errorf("outcome = %+v (call says %q)", rec.Outcome, rec.OutcomeStatus)
	}
	if rec.Callback != nil {
		t.Errorf("unexpected callback request %+v", rec.Callback)
	}
}

func TestProjectionOfACallback(t *testing.T) {
	store := NewStore(pgtest.New(t))
	id := newCallID()
	if _, err := store.ApplyEvents(context.Background(), callbackCall(id, t0)); err != nil {
		t.Fatal(err)
	}
	rec := getCall(t, store, id)
	if rec.Result != callevent.ResultCallback || rec.Outcome != nil || !rec.BridgedAt.IsZero() {
		t.Errorf("call = %+v", rec)
	}
	cb := rec.Callback
	if cb == nil || cb.TerritoryID != 1 || cb.SpecialtyID != 8 || cb.GPRPPS != "10003000022" ||
		!cb.CreatedAt.Equal(t0.Add(23*time.Second)) || !cb.DoneAt.IsZero() {
		t.Errorf("callback = %+v", cb)
	}
}

func TestApplyingTwiceChangesNothing(t *testing.T) {
	store := NewStore(pgtest.New(t))
	ctx := context.Background()
	id := newCallID()
	evs := bridgedCall(id, t0)
	if n, err := store.ApplyEvents(ctx, evs); err != nil || n != len(evs) {
		t.Fatalf("first apply: %d new, %v", n, err)
	}
	before := getCall(t, store, id)
	if n, err := store.ApplyEvents(ctx, evs); err != nil || n != 0 {
		t.Fatalf("replay: %d new, %v; want 0", n, err)
	}
	after := getCall(t, store, id)
	if len(after.Events) != len(evs) || after.AttemptCount != before.AttemptCount ||
		after.TimeToSpecialist != before.TimeToSpecialist || len(after.Attempts) != 2 {
		t.Errorf("replay changed the record: before %+v after %+v", before, after)
	}
}

func TestUnknownCall(t *testing.T) {
	store := NewStore(pgtest.New(t))
	if _, err := store.Call(context.Background(), newCallID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestKeyOutcomeThroughTheLink(t *testing.T) {
	store := NewStore(pgtest.New(t))
	ctx := context.Background()
	id := newCallID()
	evs := bridgedCall(id, t0)
	evs[14] = callevent.Event{CallID: id, Seq: 15, At: t0.Add(405 * time.Second), Kind: callevent.OutcomePending}
	if _, err := store.ApplyEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if rec := getCall(t, store, id); rec.Outcome == nil || rec.Outcome.Status != "pending" || rec.OutcomeStatus != "pending" {
		t.Fatalf("outcome before keying = %+v", rec.Outcome)
	}
	keyedAt := t0.Add(2 * time.Hour)
	if err := store.KeyOutcome(ctx, id, callevent.OutcomeVisit, 48, ViaLink, keyedAt); err != nil {
		t.Fatal(err)
	}
	// The same link opened twice: no error, nothing changes.
	if err := store.KeyOutcome(ctx, id, callevent.OutcomeVisit, 48, ViaLink, keyedAt.Add(time.Minute)); err != nil {
		t.Fatalf("keying the same outcome again: %v", err)
	}
	if err := store.KeyOutcome(ctx, id, callevent.OutcomeAdvice, 0, ViaLink, keyedAt); !errors.Is(err, ErrOutcomeKeyed) {
		t.Fatalf("keying another outcome: %v, want ErrOutcomeKeyed", err)
	}
	rec := getCall(t, store, id)
	o := rec.Outcome
	if o.Status != "keyed" || o.Outcome != callevent.OutcomeVisit || o.DelayHours != 48 || o.KeyedVia != ViaLink ||
		!o.KeyedAt.Equal(keyedAt) || rec.OutcomeStatus != "keyed" {
		t.Errorf("outcome = %+v", o)
	}
	if err := store.KeyOutcome(ctx, newCallID(), callevent.OutcomeAdvice, 0, ViaLink, keyedAt); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown call: %v, want ErrNotFound", err)
	}
	if err := store.KeyOutcome(ctx, id, "bogus", 0, ViaLink, keyedAt); err == nil {
		t.Error("a bogus outcome was accepted")
	}
}
