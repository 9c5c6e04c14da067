package wiring

import (
	"slices"
	"strings"
	"testing"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/arisim"
)

// coordinatorContact is what a refused caller hears last: how to reach the
// territory's coordination (+33179000099), then goodbye.
var coordinatorContact = []string{"regul/contact-coordination", "digits:0179000099", "regul/au-revoir"}

// gpCall is one GP dialling a number with a script.
func gpCall(from, dialled string, steps ...arisim.Step) arisim.InboundCall {
	return arisim.InboundCall{Name: "gp", From: from, DID: dialled, Steps: steps}
}

// gpOnly plays a scenario where the GP is the only phone.
func (l *line) gpOnly(call arisim.InboundCall) *arisim.PhoneReport {
	l.t.Helper()
	return l.play(&arisim.Scenario{Inbound: []arisim.InboundCall{call}}).Phone(call.Name)
}

// identifies types an RPPS then the PIN, each after its question.
func (l *line) identifies(rpps string) []arisim.Step {
	return []arisim.Step{
		arisim.WaitForSound("saisir-rpps"), arisim.Press(rpps+"#", digitGap),
		arisim.WaitForSound("saisir-code"), arisim.Press(l.pins[rpps]+"#", digitGap),
	}
}

// steps joins step lists.
func steps(parts ...[]arisim.Step) []arisim.Step { return slices.Concat(parts...) }

// notHeard fails when the phone heard any sound containing one of sounds.
func notHeard(t *testing.T, who string, heard []string, sounds ...string) {
	t.Helper()
	for _, h := range heard {
		for _, s := range sounds {
			if strings.Contains(h, s) {
				t.Errorf("%s heard %q and should not have; heard:\n  %s", who, h, strings.Join(heard, "\n  "))
			}
		}
	}
}

// count says how many sounds heard contain part.
func count(heard []string, part string) int {
	n := 0
	for _, h := range heard {
		if strings.Contains(h, part) {
			n++
		}
	}
	return n
}

// reasons lists the Reason of each event of a kind, in order.
func reasons(rec calllog.CallRecord, kind callevent.Kind) []string {
	var out []string
	for _, e := range rec.Events {
		if e.Kind == kind {
			out = append(out, e.Reason)
		}
	}
	return out
}

func hasEvent(rec calllog.CallRecord, kind callevent.Kind) bool {
	return slices.Contains(kinds(rec), kind)
}

// wantResult checks the call's result, naming its events when wrong.
func wantResult(t *testing.T, rec calllog.CallRecord, want callevent.Result) {
	t.Helper()
	if rec.Result != want {
		t.Errorf("call result %q, want %q; events %v", rec.Result, want, kinds(rec))
	}
}

// wantAttempts checks the attempts' results in order.
func wantAttempts(t *testing.T, rec calllog.CallRecord, want ...callevent.AttemptResult) {
	t.Helper()
	if got := attemptResults(rec); !slices.Equal(got, want) {
		t.Errorf("attempts %v, want %v", got, want)
	}
}

// endedBy checks who ended a phone's call ("phone", "app", "timeout").
func endedBy(t *testing.T, who string, p *arisim.PhoneReport, by string) {
	t.Helper()
	if p.Ended == nil {
		t.Errorf("%s: call never ended", who)
		return
	}
	if p.Ended.By != by {
		t.Errorf("%s: call ended by %q (cause %d), want by %q", who, p.Ended.By, p.Ended.Cause, by)
	}
}
