package calllog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// callbackThroughLine is the call placed through the line to answer the
// request of call origin: the specialist (attempt 1) then the GP, bridged.
func callbackThroughLine(id, origin string, start time.Time, bridged bool) []callevent.Event {
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, At: at(0), DID: "+33179000002"},
		{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: 1},
		{Kind: callevent.Identified, At: at(0), RPPS: "10003000022", Name: "Jean Lambert"},
		{Kind: callevent.SpecialtyChosen, At: at(0), SpecialtyID: 8, Specialty: "dermatologie"},
		{Kind: callevent.CallbackStarted, At: at(0), Origin: origin, RPPS: "10002000049"},
		{Kind: callevent.AttemptStarted, At: at(0), Attempt: 1, RPPS: "10002000049", Phone: "+33612000049"},
		{Kind: callevent.AttemptAnswered, At: at(5), Attempt: 1},
		{Kind: callevent.AttemptEnded, At: at(12), Attempt: 1, AttemptRes: callevent.AttemptAccepted},
		{Kind: callevent.CallbackGPDialled, At: at(12), Attempt: 2, Phone: "+33611000022"},
	}
	if bridged {
		evs = append(evs,
			callevent.Event{Kind: callevent.CallbackGPEnded, At: at(20), Attempt: 2, AttemptRes: callevent.AttemptAccepted},
			callevent.Event{Kind: callevent.Bridged, At: at(20), Attempt: 1, RPPS: "10002000049"},
			callevent.Event{Kind: callevent.OutcomeKeyed, At: at(300), Outcome: callevent.OutcomeAdvice, RPPS: "10002000049"},
			callevent.Event{Kind: callevent.CallEnded, At: at(301), Result: callevent.ResultBridged})
	} else {
		evs = append(evs,
			callevent.Event{Kind: callevent.CallbackGPEnded, At: at(40), Attempt: 2, AttemptRes: callevent.AttemptNoAnswer, Cause: 19},
			callevent.Event{Kind: callevent.CallEnded, At: at(45), Result: callevent.ResultCallback})
	}
	return number(id, evs)
}

func claim(t *testing.T, s *Store, origin, rpps, callID string, now time.Time) error {
	t.Helper()
	return pgx.BeginFunc(context.Background(), s.pool, func(tx pgx.Tx) error {
		return ClaimCallbackTx(context.Background(), tx, origin, rpps, callID, now, now.Add(15*time.Minute))
	})
}

// Two specialists claim at once: one wins. The winner's call does not
// reach the GP: the claim is released, the request stays open; the next
// claim's call bridges: the request is closed, linked to that call, and
// no claim works any more.
func TestCallbackClaimIsFirstComeFirstServed(t *testing.T) {
	store := NewStore(pgtest.New(t))
	log, _ := observed()
	r := openRecorder(t, store, t.TempDir(), log)
	defer closeRecorder(t, r)
	origin := newCallID()
	for _, ev := range callbackCall(origin, t0) {
		r.Record(ev)
	}
	drain(t, r)

	if err := claim(t, store, newCallID(), "10002000049", newCallID(), t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("claim of a call without a request: %v", err)
	}
	first, second := newCallID(), newCallID()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []string{first, second} {
		wg.Go(func() { errs[i] = claim(t, store, origin, "1000200004"+string(rune('0'+i)), id, t0.Add(time.Minute)) })
	}
	wg.Wait()
	won := ""
	switch {
	case errs[0] == nil && errors.Is(errs[1], ErrCallbackTaken):
		won = first
	case errs[1] == nil && errors.Is(errs[0], ErrCallbackTaken):
		won = second
	default:
		t.Fatalf("two claims at once: %v, %v; want one nil, one ErrCallbackTaken", errs[0], errs[1])
	}
	for _, ev := range callbackThroughLine(won, origin, t0.Add(time.Minute), false) {
		r.Record(ev)
	}
	drain(t, r)
	if rec := getCall(t, store, origin); rec.Callback == nil || !rec.Callback.DoneAt.IsZero() {
		t.Fatalf("request after a callback that did not reach the GP: %+v", rec.Callback)
	}
	third := newCallID()
	if err := claim(t, store, origin, "10002000049", third, t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("claim after the first callback ended: %v", err)
	}
	for _, ev := range callbackThroughLine(third, origin, t0.Add(2*time.Minute), true) {
		r.Record(ev)
	}
	drain(t, r)
	rec := getCall(t, store, origin)
	if rec.Callback == nil || rec.Callback.DoneBy != "rappel" || rec.Callback.CallbackCallID != third ||
		!rec.Callback.DoneAt.Equal(t0.Add(2*time.Minute+20*time.Second)) || rec.Callback.Tries != 2 {
		t.Fatalf("request after the callback bridged: %+v", rec.Callback)
	}
	if err := claim(t, store, origin, "10002000049", newCallID(), t0.Add(3*time.Minute)); !errors.Is(err, ErrCallbackDone) {
		t.Errorf("claim of a closed request: %v", err)
	}
	cb := getCall(t, store, third)
	if cb.CallbackOf != origin || cb.GPRPPS != "10003000022" || cb.SpecialistRPPS != "10002000049" ||
		cb.Outcome == nil || cb.Outcome.Outcome != callevent.OutcomeAdvice {
		t.Errorf("callback call record: %+v", cb)
	}
}

// A claim whose call never released it (its controller died) lapses.
func TestCallbackClaimLapses(t *testing.T) {
	store := NewStore(pgtest.New(t))
	log, _ := observed()
	r := openRecorder(t, store, t.TempDir(), log)
	defer closeRecorder(t, r)
	origin := newCallID()
	for _, ev := range callbackCall(origin, t0) {
		r.Record(ev)
	}
	drain(t, r)
	if err := claim(t, store, origin, "10002000049", newCallID(), t0); err != nil {
		t.Fatal(err)
	}
	if err := claim(t, store, origin, "10002000040", newCallID(), t0.Add(14*time.Minute)); !errors.Is(err, ErrCallbackTaken) {
		t.Errorf("claim while another holds it: %v", err)
	}
	if err := claim(t, store, origin, "10002000040", newCallID(), t0.Add(15*time.Minute)); err != nil {
		t.Errorf("claim once the first lapsed: %v", err)
	}
}
