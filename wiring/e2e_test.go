package wiring

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/arisim"
)

const (
	did         = "+33179000001"
	gpNumber    = "+33611000014"
	gpRPPS      = "10003000014"
	martin      = "PJSIP/+33612000015@trunk" // cardiologie rank 1 on Monday morning
	bernard     = "PJSIP/+33612000023@trunk" // rank 2
	hospital    = "PJSIP/+33247000001@trunk" // cardiologie fallback line
	digitGap    = 250 * time.Millisecond
	ringBriefly = 2 * time.Second
)

// gpAsksCardiology types the RPPS, the PIN and picks cardiologie (1), each
// after hearing the question, then holds on.
func (l *line) gpAsksCardiology(extra ...arisim.Step) []arisim.Step {
	steps := []arisim.Step{
		arisim.WaitForSound("saisir-rpps"), arisim.Press(gpRPPS+"#", digitGap),
		arisim.WaitForSound("saisir-code"), arisim.Press(l.pins[gpRPPS]+"#", digitGap),
		arisim.WaitForSound("menu-intro"), arisim.Press("1", digitGap),
	}
	return append(steps, extra...)
}

// specialistAccepts answers after ringing, presses 1 after the whisper.
func specialistAccepts(extra ...arisim.Step) []arisim.Step {
	steps := []arisim.Step{arisim.Ring(ringBriefly), arisim.Answer(),
		arisim.WaitForSound("accepter-refuser"), arisim.Press("1", digitGap)}
	return append(steps, extra...)
}

func heardInOrder(t *testing.T, who string, heard []string, want ...string) {
	t.Helper()
	i := 0
	for _, h := range heard {
		if i < len(want) && strings.Contains(h, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s did not hear %q (in this order); heard:\n  %s", who, want[i:], strings.Join(heard, "\n  "))
	}
}

func attemptResults(rec calllog.CallRecord) []callevent.AttemptResult {
	var out []callevent.AttemptResult
	for _, a := range rec.Attempts {
		out = append(out, a.Result)
	}
	return out
}

func kinds(rec calllog.CallRecord) []callevent.Kind {
	var out []callevent.Kind
	for _, e := range rec.Events {
		out = append(out, e.Kind)
	}
	return out
}

// Path 1: identified GP, rank 1 accepts after the whisper, they talk, the GP
// hangs up, the specialist keys téléexpertise within 24 h.
func TestHappyPath(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Wait(30*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("2", digitGap),
			arisim.WaitForSound("delai-menu"), arisim.Press("1", digitGap),
			arisim.Silent())}},
	})
	gp, spec := rep.Phone("gp"), rep.Phone("martin")
	heardInOrder(t, "GP", gp.Heard(), "bienvenue", "urgence-15", "saisir-rpps", "saisir-code", "menu-intro", "recherche")
	heardInOrder(t, "specialist", spec.Heard(), "chuchotement-ligne", "territoires/cpts-coteaux", "chuchotement-docteur",
		"noms/"+gpRPPS, "chuchotement-demande", "specialites/cpts-coteaux/cardiologie", "accepter-refuser",
		"suite-menu", "delai-menu", "suite-enregistree")
	if gp.Ended == nil || gp.Ended.By != "phone" || spec.Ended == nil || spec.Ended.By != "app" {
		t.Errorf("the GP hangs up and the line ends the specialist's call: gp %+v, specialist %+v", gp.Ended, spec.Ended)
	}

	rec := l.record()
	if rec.Result != callevent.ResultBridged || rec.GPRPPS != gpRPPS || rec.SpecialistRPPS != "10002000015" {
		t.Errorf("call record: %+v", rec)
	}
	if !slices.Equal(attemptResults(rec), []callevent.AttemptResult{callevent.AttemptAccepted}) {
		t.Errorf("attempts: %v", attemptResults(rec))
	}
	if rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeTeleexpertise || rec.Outcome.DelayHours != 24 {
		t.Errorf("outcome: %+v", rec.Outcome)
	}
	if rec.TimeToSpecialist <= 0 {
		t.Errorf("time to specialist not recorded")
	}
	// Ringing is what the console shows as ring time: it must be recorded
	// between the dial and the answer.
	if a := rec.Attempts[0]; a.RingingAt.IsZero() || a.RingingAt.Before(a.StartedAt) || a.AnsweredAt.Before(a.RingingAt) {
		t.Errorf("attempt times: started %v, ringing %v, answered %v", a.StartedAt, a.RingingAt, a.AnsweredAt)
	}
}
