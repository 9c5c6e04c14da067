package wiring

import (
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/arisim"
)

// Path 13: the ARI WebSocket drops while GP and specialist talk. The call
// goes on, the controller reconnects and resynchronises, and when the GP
// hangs up later the end and the outcome are still recorded.
func TestLinkDropsMidBridge(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Wait(5*time.Second), arisim.DropWebSockets(),
				arisim.Wait(60*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("1", digitGap), arisim.Silent())}},
	})
	heardInOrder(t, "specialist", rep.Phone("martin").Heard(), "accepter-refuser", "suite-menu", "suite-enregistree")
	rec := l.record()
	if rec.Result != callevent.ResultBridged || rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeTeleconsultation {
		t.Fatalf("after the drop: result %s, outcome %+v", rec.Result, rec.Outcome)
	}
	if st := l.svc.Bridge().Stats(); st.Reconnects < 1 || !st.LinkUp {
		t.Fatalf("the link must have come back: %+v", st)
	}
}

// Path 13, second half: the GP hangs up while the link is down and a
// specialist's phone rings. Asterisk replays nothing; the resync finds the
// GP's channel gone, the call ends, and the ringing phone is hung up at
// once rather than left to ring out.
func TestGPLeavesWhileTheLinkIsDown(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitForSound("recherche"), arisim.DropWebSockets(), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: arisim.NoAnswer()}},
	})
	if end := rep.Phone("martin").Snapshot().Ended; end == nil || end.By != "app" {
		t.Fatalf("the ringing specialist must be hung up by the line, not ring out: %+v", end)
	}
	rec := l.record()
	if rec.Result != callevent.ResultAbandoned {
		t.Errorf("result %s, want abandoned", rec.Result)
	}
	if len(rec.Attempts) != 1 || rec.Attempts[0].Result != callevent.AttemptCancelled {
		t.Errorf("attempts %+v, want one cancelled", rec.Attempts)
	}
}
