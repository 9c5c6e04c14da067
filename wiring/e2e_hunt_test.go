package wiring

import (
	"slices"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/sample"
)

const (
	martinRPPS  = "10002000015"
	bernardRPPS = "10002000023"
)

// talksThenHangsUp: once put through, the GP talks 30 s and hangs up.
var talksThenHangsUp = []arisim.Step{arisim.WaitBridged(), arisim.Wait(30 * time.Second), arisim.Hangup()}

// keysAdvice: after the conversation the specialist keys 5 (avis seul).
var keysAdvice = []arisim.Step{arisim.WaitForSound("suite-menu"), arisim.Press("5", digitGap), arisim.Silent()}

// whisper is what a specialist hears before accepting a call from GP
// Marie DUBOIS in cardiologie.
var whisper = []string{"chuchotement-ligne", "territoires/cpts-coteaux", "chuchotement-docteur", "noms/" + gpRPPS,
	"chuchotement-demande", "specialites/cpts-coteaux/cardiologie", "accepter-refuser"}

// Path 7: whatever keeps rank 1 from taking the call, rank 2 is rung next
// and takes it; the GP only ever hears the hold.
func TestHuntGoesOnToRank2(t *testing.T) {
	tests := []struct {
		name    string
		martin  []arisim.Step
		result  callevent.AttemptResult
		endedBy string
		heard   []string // by MARTIN, in order
	}{
		{"no answer", arisim.NoAnswer(), callevent.AttemptNoAnswer, "timeout", nil},
		{"declines", []arisim.Step{arisim.Ring(ringBriefly), arisim.Answer(), arisim.WaitForSound("accepter-refuser"),
			arisim.Press("2", digitGap), arisim.Silent()}, callevent.AttemptDeclined, "app", append(whisper, "refus-note")},
		{"voicemail", arisim.Voicemail(ringBriefly), callevent.AttemptVoicemail, "app", whisper},
		{"busy", arisim.IsBusy(), callevent.AttemptBusy, "phone", nil},
		{"unreachable", arisim.Unreachable(), callevent.AttemptFailed, "phone", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLine(t)
			rep := l.play(&arisim.Scenario{
				Inbound: []arisim.InboundCall{gpCall(gpNumber, did, l.gpAsksCardiology(talksThenHangsUp...)...)},
				Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: tt.martin},
					{Name: "bernard", Dial: bernard, Steps: specialistAccepts(keysAdvice...)}},
			})
			gp, m, b := rep.Phone("gp"), rep.Phone("martin"), rep.Phone("bernard")
			heardInOrder(t, "GP", gp.Heard(), "menu-intro", "recherche")
			notHeard(t, "GP", gp.Heard(), "chuchotement", "personne-joint")
			heardInOrder(t, "MARTIN", m.Heard(), tt.heard...)
			if tt.heard == nil && len(m.Heard()) > 0 {
				t.Errorf("MARTIN never answered but heard %q", m.Heard())
			}
			endedBy(t, "MARTIN", m, tt.endedBy)
			heardInOrder(t, "BERNARD", b.Heard(), append(whisper, "suite-menu", "suite-enregistree")...)

			rec := l.record()
			wantResult(t, rec, callevent.ResultBridged)
			wantAttempts(t, rec, tt.result, callevent.AttemptAccepted)
			if rec.SpecialistRPPS != bernardRPPS {
				t.Errorf("bridged to %q, want BERNARD %s", rec.SpecialistRPPS, bernardRPPS)
			}
			if len(rec.Attempts) == 2 && (rec.Attempts[0].Rank != 1 || rec.Attempts[1].Rank != 2) {
				t.Errorf("ranks rung: %d then %d", rec.Attempts[0].Rank, rec.Attempts[1].Rank)
			}
			if rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeAdvice {
				t.Errorf("outcome %+v", rec.Outcome)
			}
		})
	}
}

// Path 7, end of the chain: both ranked specialists fail, the specialty's
// fallback line hears that it is the last resort, and takes the call.
func TestHuntFallbackLine(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did, l.gpAsksCardiology(talksThenHangsUp...)...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: arisim.Unreachable()},
			{Name: "bernard", Dial: bernard, Steps: arisim.IsBusy()},
			{Name: "hospital", Dial: hospital, Steps: specialistAccepts(arisim.WaitForSound("suite-menu"),
				arisim.Press("4", digitGap), arisim.Silent())}},
	})
	heardInOrder(t, "hospital", rep.Phone("hospital").Heard(), "chuchotement-ligne", "noms/"+gpRPPS,
		"specialites/cpts-coteaux/cardiologie", "chuchotement-recours", "accepter-refuser", "suite-menu", "suite-enregistree")
	notHeard(t, "BERNARD", rep.Phone("bernard").Heard(), "chuchotement-recours")

	rec := l.record()
	wantResult(t, rec, callevent.ResultBridged)
	wantAttempts(t, rec, callevent.AttemptFailed, callevent.AttemptBusy, callevent.AttemptAccepted)
	if len(rec.Attempts) == 3 {
		if a := rec.Attempts[0]; a.Cause != 34 {
			t.Errorf("unreachable MARTIN recorded with cause %d, want 34", a.Cause)
		}
		if a := rec.Attempts[2]; a.Phone != "+33247000001" {
			t.Errorf("fallback attempt rang %q", a.Phone)
		}
	}
	if rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeHospital {
		t.Errorf("outcome %+v", rec.Outcome)
	}
}

// Path 8: nobody takes the call within the hunt timeout (120 s; each phone
// rings 80 s here, so the timeout falls in the middle of rank 2's ringing):
// the GP is told their callback request is registered, and it is.
func TestHuntTimeoutRegistersCallback(t *testing.T) {
	l := newLine(t, withTerritory(func(s *roster.TerritorySpec) { s.RingTimeout = 80 * time.Second }))
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did, l.gpAsksCardiology(arisim.Silent())...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: arisim.NoAnswer()},
			{Name: "bernard", Dial: bernard, Steps: arisim.NoAnswer()},
			{Name: "hospital", Dial: hospital, Steps: specialistAccepts()}},
	})
	gp := rep.Phone("gp")
	heardInOrder(t, "GP", gp.Heard(), "recherche", "patienter", "personne-joint")
	endedBy(t, "GP", gp, "app")
	endedBy(t, "BERNARD", rep.Phone("bernard"), "app")
	if n := rep.Phone("hospital").Calls; n != 0 {
		t.Errorf("the fallback line was rung %d times after the hunt timeout", n)
	}

	rec := l.record()
	wantResult(t, rec, callevent.ResultCallback)
	wantAttempts(t, rec, callevent.AttemptNoAnswer, callevent.AttemptCancelled)
	if rec.Callback == nil || rec.Callback.GPRPPS != gpRPPS || rec.Callback.SpecialtyID != rec.SpecialtyID {
		t.Errorf("callback request %+v (call specialty %d)", rec.Callback, rec.SpecialtyID)
	}
}

// Path 8, empty chain: pédiatrie has a gap at lunchtime on Wednesday
// 2026-11-25 and no fallback line; the GP is told at once, nobody is rung.
func TestNobodyOnDutyRegistersCallback(t *testing.T) {
	l := newLine(t, at(time.Date(2026, 11, 25, 13, 0, 0, 0, sample.Paris)))
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did, steps(l.identifies(gpRPPS),
			[]arisim.Step{arisim.WaitForSound("menu-intro"), arisim.Press("3", digitGap), arisim.Silent()})...)},
		Outbound: []arisim.Endpoint{{Name: "moreau", Dial: "PJSIP/+33612000064@trunk", Steps: specialistAccepts()}},
	})
	gp := rep.Phone("gp")
	heardInOrder(t, "GP", gp.Heard(), "menu-intro", "personne-joint")
	notHeard(t, "GP", gp.Heard(), "recherche", "patienter")
	endedBy(t, "GP", gp, "app")
	if n := rep.Phone("moreau").Calls; n != 0 {
		t.Errorf("MOREAU, off duty, was rung %d times", n)
	}

	rec := l.record()
	wantResult(t, rec, callevent.ResultCallback)
	wantAttempts(t, rec)
	if !hasEvent(rec, callevent.NobodyOnDuty) {
		t.Errorf("no nobody_on_duty event: %v", kinds(rec))
	}
	if rec.Callback == nil || rec.Callback.GPRPPS != gpRPPS {
		t.Errorf("callback request %+v", rec.Callback)
	}
}

// Path 9: the GP hangs up while rank 1 rings: the ringing stops at once,
// the attempt is cancelled, and nobody else is rung or bridged. (Phones ring
// 60 s here and the GP leaves after 20 s, well inside the ringing.)
func TestGPHangsUpDuringHunt(t *testing.T) {
	l := newLine(t, withTerritory(func(s *roster.TerritorySpec) { s.RingTimeout = 60 * time.Second }))
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did,
			l.gpAsksCardiology(arisim.WaitForSound("recherche"), arisim.Wait(20*time.Second), arisim.Hangup())...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: arisim.NoAnswer()},
			{Name: "bernard", Dial: bernard, Steps: specialistAccepts()}},
	})
	m := rep.Phone("martin")
	endedBy(t, "GP", rep.Phone("gp"), "phone")
	endedBy(t, "MARTIN (ringing)", m, "app")
	// Left alone, MARTIN's phone would ring some 40 s more; "at once" is
	// judged far from that, as emulated time runs 50 times faster.
	if gpEnd := rep.Phone("gp").Ended; m.Ended != nil && gpEnd != nil && m.Ended.At.Sub(gpEnd.At) > 20*time.Second {
		t.Errorf("MARTIN's phone rang on %s after the GP hung up", m.Ended.At.Sub(gpEnd.At))
	}
	if n := rep.Phone("bernard").Calls; n != 0 {
		t.Errorf("BERNARD was rung %d times after the GP hung up", n)
	}

	rec := l.record()
	wantResult(t, rec, callevent.ResultAbandoned)
	wantAttempts(t, rec, callevent.AttemptCancelled)
	if !rec.BridgedAt.IsZero() || hasEvent(rec, callevent.Bridged) {
		t.Errorf("abandoned call bridged: %v", kinds(rec))
	}
}

// Path 9, later: the GP hangs up while rank 1 listens to the whisper;
// MARTIN is told the caller left, and the attempt is cancelled. (The
// whisper's first sentence lasts 30 s here: MARTIN answers after 1 s, the GP
// leaves after 10 s, well inside it.)
func TestGPHangsUpDuringWhisper(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Sounds: map[string]arisim.Duration{"sound:regul/chuchotement-ligne": arisim.Duration(30 * time.Second)},
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did,
			l.gpAsksCardiology(arisim.WaitForSound("recherche"), arisim.Wait(10*time.Second), arisim.Hangup())...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: arisim.AnswersAfter(time.Second)}},
	})
	m := rep.Phone("martin")
	heardInOrder(t, "MARTIN", m.Heard(), "chuchotement-ligne", "appelant-parti")
	notHeard(t, "MARTIN", m.Heard(), "accepter-refuser")
	endedBy(t, "MARTIN", m, "app")

	rec := l.record()
	wantResult(t, rec, callevent.ResultAbandoned)
	wantAttempts(t, rec, callevent.AttemptCancelled)
}

// Path 10: the specialist hangs up first: the GP is told so and hung up; the
// outcome is left to key later.
func TestSpecialistHangsUpFirst(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did, l.gpAsksCardiology(arisim.WaitBridged(), arisim.Silent())...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin,
			Steps: specialistAccepts(arisim.WaitBridged(), arisim.Wait(20*time.Second), arisim.Hangup())}},
	})
	gp, m := rep.Phone("gp"), rep.Phone("martin")
	heardInOrder(t, "GP", gp.Heard(), "recherche", "specialiste-parti")
	endedBy(t, "GP", gp, "app")
	endedBy(t, "MARTIN", m, "phone")
	notHeard(t, "MARTIN", m.Heard(), "suite-menu")

	rec := l.record()
	wantResult(t, rec, callevent.ResultBridged)
	if rec.Outcome == nil || rec.Outcome.Status != "pending" || rec.OutcomeStatus != "pending" {
		t.Errorf("outcome %+v, status %q: want pending", rec.Outcome, rec.OutcomeStatus)
	}
	var parties []string
	for _, e := range rec.Events {
		if e.Kind == callevent.LegHungUp {
			parties = append(parties, e.Party)
		}
	}
	if !slices.Equal(parties, []string{"specialist"}) {
		t.Errorf("hang-ups recorded %q, want the specialist's only", parties)
	}
}

// After the conversation, an invalid key is told and asked again.
func TestOutcomeInvalidKeyThenRight(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did, l.gpAsksCardiology(talksThenHangsUp...)...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("9", digitGap),
			arisim.WaitForSound("suite-menu"), arisim.Press("1", digitGap), arisim.Silent())}},
	})
	m := rep.Phone("martin")
	heardInOrder(t, "MARTIN", m.Heard(), "suite-menu", "choix-invalide", "suite-menu", "suite-enregistree")
	notHeard(t, "MARTIN", m.Heard(), "delai-menu", "suite-plus-tard")
	endedBy(t, "MARTIN", m, "app")

	rec := l.record()
	if rec.Outcome == nil || rec.Outcome.Status != "keyed" || rec.Outcome.Outcome != callevent.OutcomeTeleconsultation {
		t.Errorf("outcome %+v, want téléconsultation keyed", rec.Outcome)
	}
}

// After the conversation, a specialist who keys nothing is told they can
// key the outcome later; it stays pending.
func TestOutcomeNeverKeyed(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound:  []arisim.InboundCall{gpCall(gpNumber, did, l.gpAsksCardiology(talksThenHangsUp...)...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(arisim.Silent())}},
	})
	m := rep.Phone("martin")
	heardInOrder(t, "MARTIN", m.Heard(), "suite-menu", "aucune-saisie", "suite-menu", "aucune-saisie", "suite-menu",
		"suite-plus-tard")
	notHeard(t, "MARTIN", m.Heard(), "suite-enregistree")
	endedBy(t, "MARTIN", m, "app")

	rec := l.record()
	wantResult(t, rec, callevent.ResultBridged)
	if rec.Outcome == nil || rec.Outcome.Status != "pending" {
		t.Errorf("outcome %+v, want pending", rec.Outcome)
	}
}
