package realline

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
)

// Happy path on the real Asterisk: the GP identifies, picks cardiologie,
// rank 1 rings, answers, hears the whisper, presses 1, they are bridged;
// the GP hangs up and the specialist keys téléexpertise within 24 h.
func TestHappyPath(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opFrom := r.pair.Phones.Events.Len()
	g := r.dial(ctx, did, gpNumber)
	g.asksCardiology(ctx, gpRPPS)
	m := r.rung(ctx, martin, opFrom, g.cursor)
	m.accepts(ctx)
	r.bridged(ctx, g, m)
	if err := g.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	m.hearsOutcomeMenu(ctx)
	if err := m.phone.Press(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	m.press(ctx, "delai-menu", "1")
	m.hears(ctx, "suite-enregistree")
	if _, err := m.phone.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}

	heardInOrder(t, "GP", g.heard(), "bienvenue", "urgence-15", "saisir-rpps", "saisir-code", "menu-intro", "recherche")
	heardInOrder(t, "MARTIN", m.heard(), "chuchotement-ligne", "territoires/cpts-coteaux", "chuchotement-docteur",
		"noms/"+gpRPPS, "chuchotement-demande", "specialites/cpts-coteaux/cardiologie", "accepter-refuser",
		"suite-menu", "delai-menu", "suite-enregistree")
	rec := r.record()
	if rec.Result != callevent.ResultBridged || rec.GPRPPS != gpRPPS || rec.SpecialistRPPS != "10002000015" {
		t.Errorf("call record: result %q, GP %q, specialist %q", rec.Result, rec.GPRPPS, rec.SpecialistRPPS)
	}
	if rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeTeleexpertise || rec.Outcome.DelayHours != 24 {
		t.Errorf("outcome: %+v", rec.Outcome)
	}
}
