package realline

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
)

func wantAttempts(t *testing.T, rec calllog.CallRecord, want ...callevent.AttemptResult) {
	t.Helper()
	var got []callevent.AttemptResult
	for _, a := range rec.Attempts {
		got = append(got, a.Result)
	}
	if !slices.Equal(got, want) {
		t.Errorf("attempts %v, want %v", got, want)
	}
}

func wantResult(t *testing.T, rec calllog.CallRecord, want callevent.Result) {
	t.Helper()
	if rec.Result != want {
		var kinds []callevent.Kind
		for _, e := range rec.Events {
			kinds = append(kinds, e.Kind)
		}
		t.Errorf("call result %q, want %q; events %v", rec.Result, want, kinds)
	}
}

// Rank 1 is busy (486): rank 2 is rung and takes the call; the GP hangs
// up first and rank 2 keys "avis seul".
func TestRank2TakesTheCall(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opFrom := r.pair.Phones.Events.Len()
	g := r.dial(ctx, did, gpNumber)
	g.asksCardiology(ctx, gpRPPS)
	m := r.rung(ctx, martin, opFrom, g.cursor)
	if err := m.phone.Busy(ctx); err != nil {
		t.Fatal(err)
	}
	b := r.rung(ctx, bernard, opFrom, g.cursor)
	b.accepts(ctx)
	r.bridged(ctx, g, b)
	if err := g.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	b.hearsOutcomeMenu(ctx)
	if err := b.phone.Press(ctx, "5"); err != nil {
		t.Fatal(err)
	}
	b.hears(ctx, "suite-enregistree")

	notHeard(t, "GP", g.heard(), "chuchotement", "personne-joint")
	rec := r.record()
	wantResult(t, rec, callevent.ResultBridged)
	wantAttempts(t, rec, callevent.AttemptBusy, callevent.AttemptAccepted)
	if rec.SpecialistRPPS != "10002000023" {
		t.Errorf("bridged to %q, want BERNARD", rec.SpecialistRPPS)
	}
	if rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeAdvice {
		t.Errorf("outcome %+v", rec.Outcome)
	}
}

// Nobody answers (each phone rings out its 5 s): the GP is told a callback
// is registered, and it is.
func TestNobodyAnswersRegistersCallback(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec := r.nobodyAnswers(ctx)
	wantResult(t, rec, callevent.ResultCallback)
	wantAttempts(t, rec, callevent.AttemptNoAnswer, callevent.AttemptNoAnswer, callevent.AttemptNoAnswer)
	if rec.Callback == nil || rec.Callback.GPRPPS != gpRPPS {
		t.Errorf("callback request %+v", rec.Callback)
	}
}

// nobodyAnswers has the GP ask for a cardiologist while every phone of the
// chain rings out, and returns the call's record.
func (r *rig) nobodyAnswers(ctx context.Context) calllog.CallRecord {
	r.t.Helper()
	opFrom := r.pair.Phones.Events.Len()
	g := r.dial(ctx, did, gpNumber)
	g.asksCardiology(ctx, gpRPPS)
	for _, n := range []string{martin, bernard, hospital} {
		s := r.rung(ctx, n, opFrom, g.cursor)
		if err := s.phone.Ring(ctx); err != nil {
			r.t.Fatal(err)
		}
	}
	g.hears(ctx, "personne-joint")
	g.ended(ctx)
	return r.record()
}

// The GP hangs up while rank 1's phone rings: the ringing stops at once
// (the operator sees the call cancelled), nobody else is rung.
func TestGPHangsUpDuringHunt(t *testing.T) {
	t.Parallel()
	r := newRig(t, withTerritory(func(s *roster.TerritorySpec) { s.RingTimeout = 30 * time.Second }))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opFrom := r.pair.Phones.Events.Len()
	g := r.dial(ctx, did, gpNumber)
	g.asksCardiology(ctx, gpRPPS)
	m := r.rung(ctx, martin, opFrom, g.cursor)
	if err := m.phone.Ring(ctx); err != nil {
		t.Fatal(err)
	}
	hungUp := time.Now()
	if err := g.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.phone.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(hungUp); d > 3*time.Second {
		t.Errorf("MARTIN's phone rang %v after the GP hung up", d)
	}
	rec := r.record()
	wantResult(t, rec, callevent.ResultAbandoned)
	wantAttempts(t, rec, callevent.AttemptCancelled)
	for _, e := range r.pair.Phones.Events.All() {
		if e.Type == "StasisStart" && len(e.Args) == 2 && e.Args[1] == bernard {
			t.Errorf("BERNARD was rung after the GP hung up")
		}
	}
}

// The specialist hangs up first: the GP is told so and hung up; the
// outcome stays pending.
func TestSpecialistHangsUpFirst(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opFrom := r.pair.Phones.Events.Len()
	g := r.dial(ctx, did, gpNumber)
	g.asksCardiology(ctx, gpRPPS)
	m := r.rung(ctx, martin, opFrom, g.cursor)
	m.accepts(ctx)
	r.bridged(ctx, g, m)
	if err := m.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	g.hears(ctx, "specialiste-parti")
	g.ended(ctx)

	notHeard(t, "MARTIN", m.heard(), "suite-menu")
	rec := r.record()
	wantResult(t, rec, callevent.ResultBridged)
	if rec.OutcomeStatus != "pending" {
		t.Errorf("outcome status %q, want pending", rec.OutcomeStatus)
	}
}
