package realline

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
)

var callbackCodeRe = regexp.MustCompile(`code ([0-9]{8})`)

// callbackCode reads the code the line texted a specialist to call a GP
// back (sending is off in the rig: the message waits in the outbox).
func (r *rig) callbackCode(ctx context.Context, mobile string) string {
	r.t.Helper()
	var body string
	if err := r.pool.QueryRow(ctx, `SELECT body FROM sms_outbox WHERE recipient = $1 AND kind = 'callback_specialist'
		ORDER BY id DESC LIMIT 1`, mobile).Scan(&body); err != nil {
		r.t.Fatalf("callback SMS to %s: %v", mobile, err)
	}
	m := callbackCodeRe.FindStringSubmatch(body)
	if m == nil {
		r.t.Fatalf("no code in the callback SMS %q", body)
	}
	return m[1]
}

// Nobody answers, so the line registers a callback and texts the
// specialists a code; rank 1, from a phone without data, calls the line and
// types it: the line rings the GP, who accepts, they are bridged through
// the real trunk, and the specialist keys the outcome of the callback.
func TestCallbackThroughTheLine(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	origin := r.nobodyAnswers(ctx)
	wantResult(t, origin, callevent.ResultCallback)

	code := r.callbackCode(ctx, martin)
	opFrom := r.pair.Phones.Events.Len()
	spec := r.dial(ctx, did, martin)
	spec.press(ctx, "saisir-rpps", code+"#")
	spec.press(ctx, "rappel-taper-1", "1")
	gpPhone := r.rung(ctx, gpNumber, opFrom, spec.cursor)
	for _, step := range []func(context.Context) error{gpPhone.phone.Ring, gpPhone.phone.Answer} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	gpPhone.press(ctx, "rappel-generaliste-taper-1", "1")
	r.bridged(ctx, spec, gpPhone)
	heardInOrder(t, "GP called back", gpPhone.heard(), "rappel-vous-rappelle", "cardiologie")
	if err := gpPhone.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	spec.press(ctx, "suite-menu", "5")
	spec.hears(ctx, "suite-enregistree")

	back := r.record()
	wantResult(t, back, callevent.ResultBridged)
	if back.CallbackOf != origin.ID || back.Outcome == nil || back.Outcome.Outcome != callevent.OutcomeAdvice {
		t.Errorf("callback call: of %q (want %q), outcome %+v", back.CallbackOf, origin.ID, back.Outcome)
	}
	if o, err := r.svc.Calls().Call(ctx, origin.ID); err != nil || o.Callback == nil || o.Callback.CallbackCallID != back.ID {
		t.Errorf("the request is not closed by the callback: %+v %v", o.Callback, err)
	}
}
