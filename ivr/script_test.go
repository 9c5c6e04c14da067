package ivr

import (
	"errors"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

func TestHappyPath(t *testing.T) {
	h := newHarness(t)
	h.happy()
	h.run()

	if got := h.result(); got != callevent.ResultBridged {
		t.Fatalf("result %s, want bridged", got)
	}
	expectSeq(t, "GP heard", h.gp.Heard(),
		cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro", "searching", "(hold)", "(/hold)")))
	expectSeq(t, "specialist heard", h.leg(1).Heard(),
		cat(whisperTo("cardiologie", false), ids("outcome_menu", "delay_menu", "outcome_saved")))
	expectSeq(t, "events", h.kinds(), []callevent.Kind{
		callevent.CallStarted, callevent.TerritoryResolved, callevent.Answered, callevent.Identified,
		callevent.SpecialtyChosen, callevent.AttemptStarted, callevent.AttemptRinging, callevent.AttemptAnswered, callevent.AttemptEnded,
		callevent.Bridged, callevent.LegHungUp, callevent.OutcomeKeyed, callevent.CallEnded,
	})
	evs := h.rec.all()
	if ev := evs[0]; ev.DID != did1 || ev.Caller != mariePhone {
		t.Errorf("call_started %+v", ev)
	}
	if ev := h.events(callevent.Identified)[0]; ev.RPPS != marieRPPS || ev.Name != "Marie DUBOIS" {
		t.Errorf("identified %+v", ev)
	}
	if ev := h.events(callevent.SpecialtyChosen)[0]; ev.SpecialtyID != 11 || ev.Specialty != "cardiologie" {
		t.Errorf("specialty_chosen %+v", ev)
	}
	if ev := h.events(callevent.AttemptStarted)[0]; ev.Attempt != 1 || ev.Rank != 1 || ev.RPPS != "10002000015" || ev.Phone != martinPhone {
		t.Errorf("attempt_started %+v", ev)
	}
	if ev := h.events(callevent.LegHungUp)[0]; ev.Party != "gp" || ev.Cause != 16 {
		t.Errorf("leg_hung_up %+v", ev)
	}
	if ev := h.events(callevent.OutcomeKeyed)[0]; ev.Outcome != callevent.OutcomeTeleexpertise || ev.DelayHours != 24 {
		t.Errorf("outcome_keyed %+v", ev)
	}
	for i, ev := range evs[1:] {
		if ev.At.Before(evs[i].At) {
			t.Errorf("event %d at %s before event %d at %s", ev.Seq, ev.At, evs[i].Seq, evs[i].At)
		}
	}

	req := h.sw.dials[0]
	if req.For == nil || req.For.ID() != "gp-leg" {
		t.Errorf("dial made for %v, want the GP's leg", req.For)
	}
	req.For = nil
	want := DialRequest{Key: evs[0].CallID + "-1", Phone: martinPhone, CallerID: did1,
		RingTimeout: 25 * time.Second, EarlyTimeout: 8 * time.Second}
	if req != want {
		t.Errorf("dial request %+v, want %+v", req, want)
	}
	if len(h.sw.connected) != 1 || h.sw.connected[0] != [2]string{"gp-leg", req.Key} || h.sw.closed != 1 {
		t.Errorf("connected %v, closed %d", h.sw.connected, h.sw.closed)
	}
	if h.leg(1).hungUpBy != "script" {
		t.Errorf("specialist leg ended by %s, want by the script after the outcome", h.leg(1).hungUpBy)
	}
	if len(h.roster.onDutyAt) != 1 || !h.roster.onDutyAt[0].Equal(evs[0].At) {
		t.Errorf("OnDuty asked at %v, want the call's instant %s", h.roster.onDutyAt, evs[0].At)
	}
	if len(h.metrics.toSpec) != 1 || h.metrics.toSpec[0] != 5*time.Second {
		t.Errorf("time to specialist %v, want [5s] (the ring)", h.metrics.toSpec)
	}
	expectSeq(t, "outcome metrics", h.metrics.outcomes, []callevent.Outcome{callevent.OutcomeTeleexpertise})
}

// The regulation number dialled is the caller id the specialist sees.
func TestSecondRegulationNumberIsPresented(t *testing.T) {
	h := newHarness(t)
	h.gp.did = did2
	h.happy()
	h.run()
	if h.result() != callevent.ResultBridged || h.sw.dials[0].CallerID != did2 {
		t.Errorf("result %s, caller id %s", h.result(), h.sw.dials[0].CallerID)
	}
}

func TestArrivalPaths(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(h *harness)
		result callevent.Result
		heard  []string
		kinds  []callevent.Kind
	}{{
		name:   "unknown regulation number",
		setup:  func(h *harness) { h.gp.did = "+33179000077" },
		result: callevent.ResultUnknownDID,
		heard:  ids("unknown_number"),
		kinds:  []callevent.Kind{callevent.CallStarted, callevent.TerritoryUnknown, callevent.CallEnded},
	}, {
		name:   "Sunday",
		setup:  func(h *harness) { h.clock.now = time.Date(2026, 3, 15, 10, 0, 0, 0, paris(h.t)) },
		result: callevent.ResultOutOfHours,
		heard:  ids("closed"),
		kinds:  []callevent.Kind{callevent.CallStarted, callevent.TerritoryResolved, callevent.Answered, callevent.ClosedHours, callevent.CallEnded},
	}, {
		name:   "1 May, a Friday",
		setup:  func(h *harness) { h.clock.now = time.Date(2026, 5, 1, 10, 0, 0, 0, paris(h.t)) },
		result: callevent.ResultOutOfHours,
		heard:  ids("closed"),
		kinds:  []callevent.Kind{callevent.CallStarted, callevent.TerritoryResolved, callevent.Answered, callevent.ClosedHours, callevent.CallEnded},
	}, {
		name:   "Tuesday 20:00 sharp",
		setup:  func(h *harness) { h.clock.now = time.Date(2026, 3, 10, 20, 0, 0, 0, paris(h.t)) },
		result: callevent.ResultOutOfHours,
		heard:  ids("closed"),
		kinds:  []callevent.Kind{callevent.CallStarted, callevent.TerritoryResolved, callevent.Answered, callevent.ClosedHours, callevent.CallEnded},
	}, {
		name:   "Saturday 11:59 is open",
		setup:  func(h *harness) { h.clock.now = time.Date(2026, 3, 14, 11, 59, 0, 0, paris(h.t)); h.happy() },
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro", "searching", "(hold)", "(/hold)")),
	}, {
		name:   "GP hangs up during the welcome",
		setup:  func(h *harness) { h.gp.rules["emergency_15"] = "H" },
		result: callevent.ResultAbandoned,
		heard:  welcomed,
		kinds: []callevent.Kind{callevent.CallStarted, callevent.TerritoryResolved, callevent.Answered,
			callevent.LegHungUp, callevent.CallEnded},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.setup(h)
			h.run()
			if got := h.result(); got != tc.result {
				t.Errorf("result %s, want %s", got, tc.result)
			}
			expectSeq(t, "GP heard", h.gp.Heard(), tc.heard)
			if tc.kinds != nil {
				expectSeq(t, "events", h.kinds(), tc.kinds)
			}
			if tc.result == callevent.ResultUnknownDID && h.rec.all()[2].DID != "+33179000077" {
				t.Errorf("call_ended %+v lacks the DID", h.rec.all()[2])
			}
		})
	}
}

func TestOurFailuresApologise(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(h *harness)
		heard      []string
		specialist []string
	}{{
		name:  "roster down at the first lookup",
		setup: func(h *harness) { h.roster.errIn["TerritoryByDID"] = errors.New("connection refused") },
		heard: ids("technical_error"),
	}, {
		name: "roster down after the RPPS",
		setup: func(h *harness) {
			h.happy()
			h.roster.errIn["Requerant"] = errors.New("connection refused")
		},
		heard: cat(welcomed, ids("enter_rpps", "technical_error")),
	}, {
		name: "a step panics",
		setup: func(h *harness) {
			h.happy()
			h.roster.panicIn = "OnDuty"
		},
		heard: cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro", "technical_error")),
	}, {
		name: "the switch cannot bridge",
		setup: func(h *harness) {
			h.happy()
			h.sw.connectErr = errors.New("bridge create: 500")
		},
		heard:      cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro", "searching", "(hold)", "(/hold)", "technical_error")),
		specialist: cat(whisperTo("cardiologie", false), ids("technical_error")),
	}, {
		name: "a territory without any specialty",
		setup: func(h *harness) {
			h.happy()
			h.territory(func(t *oncall.Territory) { t.Specialties = nil })
		},
		heard: cat(welcomed, ids("enter_rpps", "enter_pin", "technical_error")),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.setup(h)
			h.run()
			if got := h.result(); got != callevent.ResultFailed {
				t.Errorf("result %s, want failed", got)
			}
			expectSeq(t, "GP heard", h.gp.Heard(), tc.heard)
			if tc.specialist != nil {
				expectSeq(t, "specialist heard", h.leg(1).Heard(), tc.specialist)
			}
		})
	}
}

func TestNewChecksOptionsAndDeps(t *testing.T) {
	cat := loadCatalogue(t)
	deps := Deps{Roster: &fakeRoster{}, Switch: &fakeSwitch{}, Recorder: &captureRecorder{},
		Prompts: cat}
	if _, err := New(Options{}, deps); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	if _, err := New(Options{AcceptTimeout: -time.Second}, deps); err == nil {
		t.Error("negative AcceptTimeout accepted")
	}
	if _, err := New(Options{InterDigitTimeout: time.Millisecond}, deps); err == nil {
		t.Error("a 1 ms inter-digit timeout accepted")
	}
	if _, err := New(Options{MaxTries: 12}, deps); err == nil {
		t.Error("12 tries accepted")
	}
	noSwitch := deps
	noSwitch.Switch = nil
	if _, err := New(Options{}, noSwitch); err == nil {
		t.Error("nil Switch accepted")
	}
}
