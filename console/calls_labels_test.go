package console

import (
	"testing"

	"github.com/regul-sante/regul/calllog/callevent"
)

// A call cut by our side is shown as our incident, among the calls the
// coordinators look at first, and offered in the result filter.
func TestInterruptedResultLabel(t *testing.T) {
	r := callevent.ResultInterrupted
	if got := resultLabel(r); got != "Interrompu (incident technique)" {
		t.Errorf("label %q", got)
	}
	if !missed(r) || resultTone(r) != "danger" {
		t.Errorf("missed %v tone %q", missed(r), resultTone(r))
	}
	if labelOf(callResultChoices(), string(r)) == string(r) {
		t.Error("the result filter does not offer interrupted")
	}
}
