package ivr

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
)

const callbackID = "0190f000-0000-7000-8000-0000000000cb"

// marieCallback is Claire MARTIN calling Marie DUBOIS back about cardiology.
func marieCallback() CallbackCall {
	return CallbackCall{CallID: callbackID, RequestCallID: "0190f000-0000-7000-8000-000000000001", DID: did1,
		SpecialtyID: 11, GPRPPS: marieRPPS, GPFirst: "Marie", GPLast: "DUBOIS", GPPhone: mariePhone,
		SpecialistRPPS: "10002000015", SpecialistPhone: martinPhone}
}

func (h *harness) script(cbs Callbacks) *Script {
	h.t.Helper()
	s, err := New(h.opts, Deps{
		Roster: h.roster, Switch: h.sw, Recorder: h.rec, Clock: h.clock,
		Logger: h.logger, Prompts: loadCatalogue(h.t), Metrics: h.metrics, Callbacks: cbs,
	})
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	return s
}

// checkCallback holds for every callback: numbered events, one call_ended
// last, every leg hung up, nothing asked to call the GP back again.
func (h *harness) checkCallback() {
	t := h.t
	t.Helper()
	evs := h.rec.all()
	for i, ev := range evs {
		if ev.Seq != i+1 || ev.CallID != callbackID {
			t.Fatalf("event %d: call %q seq %d", i, ev.CallID, ev.Seq)
		}
	}
	if last := evs[len(evs)-1]; last.Kind != callevent.CallEnded {
		t.Fatalf("last event %s", last.Kind)
	}
	for _, l := range h.sw.legs {
		if !l.gone() {
			t.Errorf("leg %s left up", l.id)
		}
	}
	if slices.Contains(h.kinds(), callevent.CallbackRequested) {
		t.Errorf("a callback registered another callback request")
	}
}

func (h *harness) legKeyed(key string) *fakeLeg {
	for _, l := range h.sw.legs {
		if l.id == key {
			return l
		}
	}
	h.t.Fatalf("no leg %s; dials %+v", key, h.sw.dials)
	return nil
}

// The specialist is rung first, confirms, then the GP, with the line's
// number; the GP hears who calls back; they are bridged; the specialist
// keys the outcome once the GP has hung up.
func TestCallBack(t *testing.T) {
	h := newHarness(t)
	h.sw.plans[martinPhone] = []dialPlan{{ring: 5 * time.Second, afterConnect: "gp",
		keys: map[string]string{"callback_press": "1", "outcome_menu": "5"}}}
	h.sw.plans[mariePhone] = []dialPlan{{ring: 5 * time.Second, keys: map[string]string{"callback_gp_press": "1"}}}
	h.script(nil).CallBack(context.Background(), marieCallback())
	h.checkCallback()

	if len(h.sw.dials) != 2 || h.sw.dials[0].Key != callbackID+"-1" || h.sw.dials[0].Phone != martinPhone ||
		h.sw.dials[1].Key != callbackID+"-2" || h.sw.dials[1].Phone != mariePhone ||
		h.sw.dials[0].CallerID != did1 || h.sw.dials[1].CallerID != did1 {
		t.Fatalf("dials %+v: want MARTIN then the GP, both from the line's number", h.sw.dials)
	}
	if got := h.result(); got != callevent.ResultBridged {
		t.Errorf("result %s", got)
	}
	for _, k := range []callevent.Kind{callevent.CallbackStarted, callevent.Identified, callevent.SpecialtyChosen,
		callevent.CallbackGPDialled, callevent.CallbackGPEnded, callevent.Bridged, callevent.OutcomeKeyed} {
		if !slices.Contains(h.kinds(), k) {
			t.Errorf("no %s event: %v", k, h.kinds())
		}
	}
	if len(h.sw.connected) != 1 || h.sw.connected[0] != [2]string{callbackID + "-2", callbackID + "-1"} {
		t.Errorf("connected %v", h.sw.connected)
	}
	wantHeard(t, h.legKeyed(callbackID+"-1").Heard(), "whisper_line", "callback_for", "whisper_asks", "callback_press",
		"callback_calling", "outcome_menu", "outcome_saved")
	wantHeard(t, h.legKeyed(callbackID+"-2").Heard(), "whisper_line", "whisper_doctor", "callback_calls_you", "callback_gp_press")
}

// wantHeard checks prompts heard in this order (others may come between).
func wantHeard(t *testing.T, heard []string, want ...string) {
	t.Helper()
	i := 0
	for _, h := range heard {
		if i < len(want) && h == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("did not hear %v in order; heard %v", want[i:], heard)
	}
}

// The GP does not answer: the specialist is told, tries again (three tries
// in all), then hears that the request stays open.
func TestCallBackGPNotReached(t *testing.T) {
	h := newHarness(t)
	h.sw.plans[martinPhone] = []dialPlan{{ring: 5 * time.Second,
		keys: map[string]string{"callback_press": "1", "callback_retry": "1", "callback_retry#2": "1"}}}
	h.sw.plans[mariePhone] = []dialPlan{noAnswer(25 * time.Second),
		{ring: time.Second, fail: &DialError{Result: DialBusy, Cause: 17}},
		{ring: 5 * time.Second, keys: map[string]string{"callback_gp_press": "T"}}} // a voicemail: no key
	h.opts.AcceptTimeout = time.Second
	h.script(nil).CallBack(context.Background(), marieCallback())
	h.checkCallback()
	if got := h.result(); got != callevent.ResultCallback {
		t.Errorf("result %s, want callback (the request stays open)", got)
	}
	var tries []callevent.AttemptResult
	for _, ev := range h.rec.all() {
		if ev.Kind == callevent.CallbackGPEnded {
			tries = append(tries, ev.AttemptRes)
		}
	}
	if !slices.Equal(tries, []callevent.AttemptResult{callevent.AttemptNoAnswer, callevent.AttemptBusy, callevent.AttemptVoicemail}) {
		t.Errorf("GP tries %v", tries)
	}
	wantHeard(t, h.legKeyed(callbackID+"-1").Heard(), "callback_gp_unreached", "callback_retry", "callback_gp_unreached",
		"callback_retry", "callback_stays_open")
	if slices.Contains(h.kinds(), callevent.Bridged) {
		t.Error("bridged")
	}
}

// The specialist does not confirm (a voicemail): nobody else is rung.
func TestCallBackSpecialistVoicemail(t *testing.T) {
	h := newHarness(t)
	h.sw.plans[martinPhone] = []dialPlan{{ring: 5 * time.Second, keys: map[string]string{"callback_press": "T"}}}
	h.script(nil).CallBack(context.Background(), marieCallback())
	h.checkCallback()
	if len(h.sw.dials) != 1 || h.result() != callevent.ResultAbandoned {
		t.Errorf("dials %d, result %s: want only MARTIN, abandoned", len(h.sw.dials), h.result())
	}
}

type fakeCallbacks struct {
	code  string
	calls []string
}

func (f *fakeCallbacks) ClaimByCode(_ context.Context, territoryID int64, code, callID string, _ time.Time) (CallbackCall, error) {
	f.calls = append(f.calls, code)
	if code != f.code || territoryID != 7 {
		return CallbackCall{}, ErrNoCallback
	}
	cb := marieCallback()
	cb.CallID, cb.SpecialistPhone = callID, ""
	return cb, nil
}

// A specialist calls the line and types their code at the RPPS prompt:
// the GP is rung at once (the specialist is on the line) and bridged.
func TestCallBackByCode(t *testing.T) {
	h := newHarness(t)
	h.gp.caller = martinPhone
	h.gp.rules["enter_rpps"] = "48213905#"
	h.gp.rules["callback_press"] = "1"
	h.gp.rules["outcome_menu"] = "5"
	h.sw.plans[mariePhone] = []dialPlan{{ring: 5 * time.Second, afterConnect: "gp",
		keys: map[string]string{"callback_gp_press": "1"}}}
	cbs := &fakeCallbacks{code: "48213905"}
	h.script(cbs).Serve(context.Background(), h.gp)
	if len(h.sw.dials) != 1 || h.sw.dials[0].Phone != mariePhone || h.result() != callevent.ResultBridged {
		t.Fatalf("dials %+v, result %s, events %v", h.sw.dials, h.result(), h.kinds())
	}
	var started callevent.Event
	for _, ev := range h.rec.all() {
		if ev.Kind == callevent.CallbackStarted {
			started = ev
		}
	}
	if started.Origin == "" || started.RPPS != "10002000015" {
		t.Errorf("callback_started %+v", started)
	}
	wantHeard(t, h.gp.Heard(), "enter_rpps", "callback_for", "callback_press", "callback_calling", "outcome_menu")
	for _, e := range h.logs.All() {
		for _, v := range e.ContextMap() {
			if s, ok := v.(string); ok && s == "48213905" {
				t.Errorf("log line leaks the code: %s", e.Message)
			}
		}
	}
}

// A code that names no callback is a bad RPPS like any, and a failure
// counted against the caller number.
func TestCallBackWrongCode(t *testing.T) {
	h := newHarness(t)
	h.gp.rules["enter_rpps"] = "11112222#"
	h.gp.rules["enter_rpps#2"] = "H"
	cbs := &fakeCallbacks{code: "48213905"}
	h.script(cbs).Serve(context.Background(), h.gp)
	if len(cbs.calls) != 1 || h.roster.callerFails[mariePhone] != 1 || len(h.sw.dials) != 0 {
		t.Errorf("claims %v, caller failures %d, dials %d", cbs.calls, h.roster.callerFails[mariePhone], len(h.sw.dials))
	}
	if r := reasonsOf(h, callevent.IdentFailed); len(r) == 0 || r[0] != reasonBadRPPS {
		t.Errorf("ident failures %v", r)
	}
}

func reasonsOf(h *harness, k callevent.Kind) []string {
	var out []string
	for _, ev := range h.rec.all() {
		if ev.Kind == k {
			out = append(out, ev.Reason)
		}
	}
	return out
}
