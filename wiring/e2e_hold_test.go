package wiring

import (
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/arisim"
)

// On an Asterisk without music-on-hold classes (an empty moh folder) and
// without regul's hold file, the GP still never waits more than 2 s in
// silence while the specialist's phone rings: regul plays Asterisk's own
// chime, and /readyz says the hold sound is degraded.
func TestHuntIsNeverSilentWithoutHoldMusic(t *testing.T) {
	// Slower than the other tests: silences are measured on the emulated
	// clock, and a REST round trip must stay far below 2 s of it.
	l := newLine(t, atSpeed(5), withEmulator(func(o *arisim.Options) {
		o.NoMOHClasses = true
		o.MissingSounds = map[string]bool{"sound:regul/attente": true}
	}))
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: append(
			[]arisim.Step{arisim.Ring(12 * time.Second), arisim.Answer(), arisim.WaitForSound("accepter-refuser"),
				arisim.Press("1", digitGap)}, keysAdvice...)}},
	})
	gp := rep.Phone("gp")
	from, ok := gp.First(arisim.EntrySound, "sound:regul/recherche")
	if !ok {
		t.Fatalf("the GP never heard that we search: %v", gp.Heard())
	}
	to, ok := gp.First(arisim.EntryBridged, "")
	if !ok {
		t.Fatalf("the GP was never bridged: %v", gp.Heard())
	}
	if to.Sub(from) < 10*time.Second {
		t.Fatalf("the hunt lasted %v, want the 12 s of ringing", to.Sub(from))
	}
	if s := gp.LongestSilence(from, to); s > 2*time.Second {
		t.Errorf("the GP waited %v in silence during the hunt; heard %v", s, gp.Heard())
	}
	if count(gp.Heard(), "tone:") == 0 {
		t.Errorf("the GP never heard the fallback chime: %v", gp.Heard())
	}
	if rec := l.record(); rec.Result != callevent.ResultBridged {
		t.Errorf("result %s", rec.Result)
	}
	if p := l.svc.ari.HoldProblem(); p == "" {
		t.Errorf("the missing hold sound is not reported")
	}
}
