package wiring

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/arisim"
)

// playWithCrash starts a scenario, stands in for a kill -9 of the
// controller when a phone reaches Mark("crash"), starts a new controller,
// and waits for the scenario's end.
func (l *line) playWithCrash(sc *arisim.Scenario) *arisim.Report {
	l.t.Helper()
	if sc.DefaultSound == 0 {
		sc.DefaultSound = arisim.Duration(2 * time.Second)
	}
	rep := l.sim.Play(sc)
	select {
	case m := <-l.sim.Marks():
		if m != "crash" {
			l.t.Fatalf("mark %q", m)
		}
	case <-time.After(60 * time.Second):
		l.t.Fatal("the scenario never reached its crash point")
	}
	l.crashAndRestart()
	return l.waitScenario(rep)
}

func eventCount(rec calllog.CallRecord, k callevent.Kind) int {
	n := 0
	for _, e := range rec.Events {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// A controller killed while the GP and the specialist talk: they go on
// talking (nobody hangs them up), the new controller adopts the call, and
// when the GP hangs up the specialist keys the outcome as usual. The call
// has one complete record.
func TestCrashWhileBridgedKeepsTheConversation(t *testing.T) {
	l := newLine(t)
	rep := l.playWithCrash(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Mark("crash"), arisim.Wait(30*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("2", digitGap),
			arisim.WaitForSound("delai-menu"), arisim.Press("2", digitGap), arisim.Silent())}},
	})
	gp, spec := rep.Phone("gp"), rep.Phone("martin")
	if gp.Ended == nil || gp.Ended.By != "phone" {
		t.Errorf("the GP's call ended %+v, want by the GP (never cut by the restart)", gp.Ended)
	}
	heardInOrder(t, "specialist", spec.Heard(), "accepter-refuser", "suite-menu", "delai-menu", "suite-enregistree")
	if spec.Calls != 1 {
		t.Errorf("the specialist was rung %d times", spec.Calls)
	}
	rec := l.record()
	if rec.Result != callevent.ResultBridged || rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeTeleexpertise || rec.Outcome.DelayHours != 48 {
		t.Errorf("record: result %s, outcome %+v", rec.Result, rec.Outcome)
	}
	if eventCount(rec, callevent.CallEnded) != 1 || eventCount(rec, callevent.CallAdopted) != 1 {
		t.Errorf("events %v: want one call_adopted and one call_ended", kinds(rec))
	}
}

// A controller killed right after it bridged the call, before the
// specialist's acceptance reached their channel: the successor finds the
// specialist mixed with the GP in the call's bridge and lets the
// conversation go on, as if it had read the acceptance.
func TestCrashBeforeTheAcceptanceIsRememberedKeepsTheConversation(t *testing.T) {
	l := newLine(t)
	l.sim.LoseVariables("REGUL_ACCEPTED")
	rep := l.playWithCrash(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Mark("crash"), arisim.Wait(30*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("2", digitGap),
			arisim.WaitForSound("delai-menu"), arisim.Press("2", digitGap), arisim.Silent())}},
	})
	if gp := rep.Phone("gp"); gp.Ended == nil || gp.Ended.By != "phone" {
		t.Errorf("the GP's call ended %+v, want by the GP (never cut by the restart)", gp.Ended)
	}
	heardInOrder(t, "specialist", rep.Phone("martin").Heard(), "accepter-refuser", "suite-menu", "delai-menu", "suite-enregistree")
	if rec := l.record(); rec.Result != callevent.ResultBridged || rec.Outcome == nil || rec.Outcome.DelayHours != 48 {
		t.Errorf("record: result %s, outcome %+v", rec.Result, rec.Outcome)
	}
}

// A controller killed while the rank-1 specialist's phone rings: the new
// controller hangs that leg up, apologises to the GP, and goes on with the
// chain without ringing that phone again.
func TestCrashDuringTheHuntResumesIt(t *testing.T) {
	// The new controller adopts after a second of real time (it lists the
	// application twice): at the usual speed the phone would have stopped
	// ringing (25 s) by then.
	l := newLine(t, atSpeed(5))
	rep := l.playWithCrash(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitForSound("recherche"), arisim.Mark("crash"), arisim.WaitBridged(),
				arisim.Wait(10*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{
			{Name: "martin", Dial: martin, Steps: []arisim.Step{arisim.Ring(0)}},
			{Name: "bernard", Dial: bernard, Steps: specialistAccepts(keysAdvice...)},
		},
	})
	gp, martinPhone, bernardPhone := rep.Phone("gp"), rep.Phone("martin"), rep.Phone("bernard")
	heardInOrder(t, "GP", gp.Heard(), "recherche", "reprise", "recherche")
	if martinPhone.Calls != 1 || bernardPhone.Calls != 1 {
		t.Errorf("martin rung %d times, bernard %d: want once each", martinPhone.Calls, bernardPhone.Calls)
	}
	if martinPhone.Ended == nil || martinPhone.Ended.By != "app" {
		t.Errorf("martin's ringing leg ended %+v, want hung up by the line", martinPhone.Ended)
	}
	rec := l.record()
	if rec.Result != callevent.ResultBridged || rec.SpecialistRPPS != "10002000023" {
		t.Errorf("record: result %s, specialist %s", rec.Result, rec.SpecialistRPPS)
	}
	if got := attemptResults(rec); !slices.Equal(got, []callevent.AttemptResult{callevent.AttemptCancelled, callevent.AttemptAccepted}) {
		t.Errorf("attempts %v", got)
	}
	if eventCount(rec, callevent.CallEnded) != 1 {
		t.Errorf("events %v", kinds(rec))
	}
}

// A controller killed while the GP types the PIN: the new one apologises
// and the identification starts over.
func TestCrashDuringIdentificationStartsItOver(t *testing.T) {
	l := newLine(t)
	rep := l.playWithCrash(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: append([]arisim.Step{arisim.WaitForSound("saisir-rpps"), arisim.Mark("crash")},
				l.gpAsksCardiology(arisim.WaitBridged(), arisim.Wait(10*time.Second), arisim.Hangup())...)}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(keysAdvice...)}},
	})
	heardInOrder(t, "GP", rep.Phone("gp").Heard(), "saisir-rpps", "reprise", "saisir-rpps", "saisir-code", "recherche")
	rec := l.record()
	if rec.Result != callevent.ResultBridged || rec.GPRPPS != gpRPPS {
		t.Errorf("record: result %s, GP %s", rec.Result, rec.GPRPPS)
	}
}

// Asterisk restarts while a GP waits for a specialist: the GP did not hang
// up, so the call ends interrupted (not abandoned) and the GP gets the
// callback path.
func TestAsteriskRestartDuringTheHuntIsInterrupted(t *testing.T) {
	l := newLine(t)
	rep := l.sim.Play(&arisim.Scenario{
		DefaultSound: arisim.Duration(2 * time.Second),
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitForSound("recherche"), arisim.Mark("restart"), arisim.Silent())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: []arisim.Step{arisim.Ring(0)}}},
	})
	select {
	case <-l.sim.Marks():
	case <-time.After(60 * time.Second):
		t.Fatal("the scenario never reached its restart point")
	}
	l.sim.Restart()
	l.waitScenario(rep)
	rec := l.record()
	if rec.Result != callevent.ResultInterrupted {
		t.Errorf("result %s, want interrupted", rec.Result)
	}
	if rec.Callback == nil {
		t.Errorf("no callback request for a GP cut off by an Asterisk restart")
	}
}

// ARI answers 503 for 10 s while the GP waits for a specialist: the calls
// requests fail, but the hang-up that ends the call is retried until
// Asterisk takes it, so the GP is not left in silence once it answers again.
func TestRESTOutageDuringTheHuntStillEndsTheCall(t *testing.T) {
	l := newLine(t, atSpeed(5))
	rep := l.sim.Play(&arisim.Scenario{
		DefaultSound: arisim.Duration(2 * time.Second),
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitForSound("recherche"), arisim.Mark("outage"),
				arisim.Wait(10*time.Second), arisim.Mark("recovered"), arisim.Silent())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: []arisim.Step{arisim.Ring(0)}}},
	})
	for _, want := range []string{"outage", "recovered"} {
		select {
		case m := <-l.sim.Marks():
			if m != want {
				t.Fatalf("mark %q, want %q", m, want)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("the scenario never reached %q", want)
		}
		l.sim.RefuseREST(map[string]int{"outage": 503, "recovered": 0}[want])
	}
	l.waitScenario(rep)
	gp := rep.Phone("gp")
	if gp.Ended == nil || gp.Ended.By != "app" {
		t.Fatalf("the GP's call ended %+v, want hung up by the line", gp.Ended)
	}
	// The retries back off to 5 s of real time at most (25 s here); without
	// them the GP would wait until the next controller start.
	recovered, _ := gp.First(arisim.EntryMark, "recovered")
	if late := gp.Ended.At.Sub(recovered); late > time.Minute {
		t.Errorf("the GP was hung up %v after ARI answered again", late)
	}
	rec := l.record()
	if rec.Result == "" || rec.EndedAt.IsZero() {
		t.Errorf("the call record is still open: %+v", rec)
	}
}

// The controller dies while a GP waits for a specialist, and the GP hangs
// up before a new one starts: nothing is left to adopt, and the call's
// record would stay open for ever. The next controller closes it as
// interrupted at the time of its last event, with the GP's callback
// request, once it has been silent longer than any live call can be.
func TestCallLeftOpenByADeadControllerIsClosed(t *testing.T) {
	l := newLine(t)
	rep := l.sim.Play(&arisim.Scenario{
		DefaultSound: arisim.Duration(2 * time.Second),
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitForSound("recherche"), arisim.Mark("crash"),
				arisim.Wait(5*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: []arisim.Step{arisim.Ring(0)}}},
	})
	select {
	case <-l.sim.Marks():
	case <-time.After(60 * time.Second):
		t.Fatal("the scenario never reached its crash point")
	}
	l.crash()
	l.waitScenario(rep)
	l.start()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.svc.Recorder().WaitDrained(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := l.svc.SweepLeftOpen(ctx, l.clock.Now()); err != nil || n != 0 {
		t.Fatalf("swept %d (%v) right away: a call silent for seconds may be alive elsewhere", n, err)
	}
	if n, err := l.svc.SweepLeftOpen(ctx, l.clock.Now().Add(11*time.Minute)); err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want the call left open", n, err)
	}
	if n, _ := l.svc.SweepLeftOpen(ctx, l.clock.Now().Add(12*time.Minute)); n != 0 {
		t.Fatalf("swept %d more: a call is closed once", n)
	}
	rec := l.record()
	if rec.Result != callevent.ResultInterrupted || rec.Callback == nil {
		t.Errorf("record: result %s, callback %+v", rec.Result, rec.Callback)
	}
	if eventCount(rec, callevent.CallEnded) != 1 {
		t.Errorf("events %v", kinds(rec))
	}
	if last := rec.Events[len(rec.Events)-1].At; rec.EndedAt.After(last) {
		t.Errorf("ended at %v, after its last event %v", rec.EndedAt, last)
	}
}

// The controller dies while the specialist, alone after the GP hung up,
// hears the outcome menu: the new one asks it again, and the key lands in
// the call's one record.
func TestCrashDuringOutcomeKeyingAsksAgain(t *testing.T) {
	l := newLine(t)
	rep := l.playWithCrash(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Wait(10*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Mark("crash"),
			arisim.WaitForSound("suite-menu"), arisim.Press("4", digitGap), arisim.Silent())}},
	})
	heardInOrder(t, "specialist", rep.Phone("martin").Heard(), "suite-menu", "suite-menu", "suite-enregistree")
	rec := l.record()
	if rec.Result != callevent.ResultBridged || rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeHospital {
		t.Errorf("record: result %s, outcome %+v", rec.Result, rec.Outcome)
	}
	if eventCount(rec, callevent.CallEnded) != 1 {
		t.Errorf("events %v", kinds(rec))
	}
}
