package ivr

import (
	"errors"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// identified is what the GP hears up to the hunt on the happy path.
var identified = cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro"))

var accepted = []callevent.AttemptResult{callevent.AttemptAccepted}

func TestHunt(t *testing.T) {
	busy := dialPlan{ring: time.Second, fail: &DialError{Result: DialBusy, Cause: 17}}
	unreachable := dialPlan{ring: 2 * time.Second, fail: &DialError{Result: DialFailed, Cause: 27}}
	declines := dialPlan{ring: 5 * time.Second, keys: map[string]string{"accept_keys": "2"}}
	voicemail := dialPlan{ring: 5 * time.Second}
	tests := []struct {
		name        string
		setup       func(h *harness)
		result      callevent.Result
		gpHeard     []string
		attempts    []callevent.AttemptResult
		dialled     []string
		specialists [][]string // what each dialled leg heard
		check       func(t *testing.T, h *harness)
	}{{
		name: "rank 1 no answer, rank 2 accepts",
		setup: func(h *harness) {
			h.sw.plans[martinPhone] = []dialPlan{noAnswer(25 * time.Second)}
			h.sw.plans[bernardPh] = []dialPlan{accepts("gp")}
		},
		result:      callevent.ResultBridged,
		gpHeard:     cat(identified, ids("searching", "(hold)", "please_hold", "(hold)", "(/hold)")), // 25 s + 5 s
		attempts:    []callevent.AttemptResult{callevent.AttemptNoAnswer, callevent.AttemptAccepted},
		dialled:     []string{martinPhone, bernardPh},
		specialists: [][]string{nil, cat(whisperTo("cardiologie", false), ids("outcome_menu", "delay_menu", "outcome_saved"))},
		check: func(t *testing.T, h *harness) {
			callID := h.rec.all()[0].CallID
			if h.sw.dials[0].Key != callID+"-1" || h.sw.dials[1].Key != callID+"-2" {
				t.Errorf("dial keys %s, %s", h.sw.dials[0].Key, h.sw.dials[1].Key)
			}
			if ev := h.events(callevent.Bridged)[0]; ev.Attempt != 2 || ev.RPPS != "10002000023" {
				t.Errorf("bridged %+v", ev)
			}
			if ev := h.events(callevent.AttemptEnded)[0]; ev.Cause != 19 {
				t.Errorf("no-answer attempt cause %d, want 19", ev.Cause)
			}
		},
	}, {
		name: "rank 1 declines",
		setup: func(h *harness) {
			h.sw.plans[martinPhone] = []dialPlan{declines}
			h.sw.plans[bernardPh] = []dialPlan{accepts("gp")}
		},
		result:      callevent.ResultBridged,
		attempts:    []callevent.AttemptResult{callevent.AttemptDeclined, callevent.AttemptAccepted},
		dialled:     []string{martinPhone, bernardPh},
		specialists: [][]string{cat(whisperTo("cardiologie", false), ids("declined_ack")), nil},
	}, {
		name: "voicemail answers and hears the whisper",
		setup: func(h *harness) {
			h.sw.plans[martinPhone] = []dialPlan{voicemail}
			h.sw.plans[bernardPh] = []dialPlan{accepts("gp")}
		},
		result:      callevent.ResultBridged,
		attempts:    []callevent.AttemptResult{callevent.AttemptVoicemail, callevent.AttemptAccepted},
		dialled:     []string{martinPhone, bernardPh},
		specialists: [][]string{whisperTo("cardiologie", false), nil},
		check: func(t *testing.T, h *harness) {
			if l := h.leg(1); l.hungUpBy != "script" || l.waits[0] != 10*time.Second {
				t.Errorf("voicemail leg ended by %q after waiting %v", l.hungUpBy, l.waits)
			}
		},
	}, {
		name: "busy, unreachable and an originate failure are skipped",
		setup: func(h *harness) {
			h.sw.plans[martinPhone] = []dialPlan{busy}
			h.sw.plans[bernardPh] = []dialPlan{unreachable}
			h.sw.plans[petitPhone] = []dialPlan{{dialErr: errors.New("originate: 503")}}
			h.sw.plans[chuPhone] = []dialPlan{accepts("gp")}
		},
		result:      callevent.ResultBridged,
		attempts:    []callevent.AttemptResult{callevent.AttemptBusy, callevent.AttemptFailed, callevent.AttemptFailed, callevent.AttemptAccepted},
		dialled:     []string{martinPhone, bernardPh, petitPhone, chuPhone},
		specialists: [][]string{nil, nil, cat(whisperTo("cardiologie", true), ids("outcome_menu", "delay_menu", "outcome_saved"))},
		check: func(t *testing.T, h *harness) {
			if ev := h.events(callevent.AttemptStarted)[3]; ev.Rank != 0 || ev.RPPS != "" || ev.Phone != chuPhone {
				t.Errorf("fallback attempt %+v", ev)
			}
		},
	}, {
		name: "a candidate's phones in order",
		setup: func(h *harness) {
			h.roster.chains[11][0].Phones = []string{martinPhone, "+33247990015"}
			h.sw.plans[martinPhone] = []dialPlan{noAnswer(25 * time.Second)}
			h.sw.plans["+33247990015"] = []dialPlan{accepts("gp")}
		},
		result:   callevent.ResultBridged,
		attempts: []callevent.AttemptResult{callevent.AttemptNoAnswer, callevent.AttemptAccepted},
		dialled:  []string{martinPhone, "+33247990015"},
	}, {
		name: "the fallback line after every rank, with hold messages",
		setup: func(h *harness) {
			h.sw.plans[chuPhone] = []dialPlan{accepts("gp")} // the ranks ring 25 s each, unanswered
		},
		result:   callevent.ResultBridged,
		gpHeard:  cat(identified, ids("searching", "(hold)", "please_hold", "(hold)", "please_hold", "(hold)", "(/hold)")),
		attempts: []callevent.AttemptResult{callevent.AttemptNoAnswer, callevent.AttemptNoAnswer, callevent.AttemptNoAnswer, callevent.AttemptAccepted},
		dialled:  []string{martinPhone, bernardPh, petitPhone, chuPhone},
		specialists: [][]string{nil, nil, nil,
			cat(whisperTo("cardiologie", true), ids("outcome_menu", "delay_menu", "outcome_saved"))},
	}, {
		name: "an invalid key from the specialist is told, then 1",
		setup: func(h *harness) {
			p := accepts("gp")
			p.keys = map[string]string{"accept_keys": "7", "choice_invalid": "1", "outcome_menu": "5"}
			h.sw.plans[martinPhone] = []dialPlan{p}
		},
		result:      callevent.ResultBridged,
		attempts:    accepted,
		specialists: [][]string{cat(whisperTo("cardiologie", false), ids("choice_invalid", "outcome_menu", "outcome_saved"))},
	}, {
		name: "keys typed before the whisper do not count",
		setup: func(h *harness) {
			// A "1" already in the buffer on answer (a pocket, a voicemail's
			// tones) must not take the call: the whisper is heard in full
			// and, with no key after it, the leg is a voicemail.
			h.sw.plans[martinPhone] = []dialPlan{{ring: 5 * time.Second, typedEarly: "1"}}
			h.sw.plans[bernardPh] = []dialPlan{accepts("gp")}
		},
		result:      callevent.ResultBridged,
		attempts:    []callevent.AttemptResult{callevent.AttemptVoicemail, callevent.AttemptAccepted},
		specialists: [][]string{whisperTo("cardiologie", false), nil},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.happy()
			delete(h.sw.plans, martinPhone)
			tc.setup(h)
			h.run()
			if got := h.result(); got != tc.result {
				t.Errorf("result %s, want %s", got, tc.result)
			}
			if tc.gpHeard != nil {
				expectSeq(t, "GP heard", h.gp.Heard(), tc.gpHeard)
			}
			expectSeq(t, "attempts", h.attemptResults(), tc.attempts)
			expectSeq(t, "metrics attempts", h.metrics.attempts, tc.attempts)
			if tc.dialled != nil {
				expectSeq(t, "dialled", h.dialled(), tc.dialled)
			}
			for i, want := range tc.specialists {
				if want != nil {
					expectSeq(t, "specialist heard", h.leg(i+1).Heard(), want)
				}
			}
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

func TestNobodyReached(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(h *harness)
		gpHeard  []string
		attempts []callevent.AttemptResult
	}{{
		name:    "nobody on duty",
		setup:   func(h *harness) { h.roster.chains[11] = nil },
		gpHeard: cat(identified, ids("nobody_reached")),
	}, {
		name:    "the store says nobody on duty",
		setup:   func(h *harness) { h.roster.errIn["OnDuty"] = oncall.ErrNobodyOnDuty },
		gpHeard: cat(identified, ids("nobody_reached")),
	}, {
		name: "hunt timeout while the third phone rings",
		setup: func(h *harness) {
			for _, p := range []string{martinPhone, bernardPh, petitPhone, chuPhone} {
				h.sw.plans[p] = []dialPlan{noAnswer(45 * time.Second)}
			}
		},
		gpHeard: cat(identified, ids("searching", "(hold)", "please_hold", "(hold)", "please_hold", "(hold)",
			"please_hold", "(hold)", "please_hold", "(hold)", "(/hold)", "nobody_reached")),
		attempts: []callevent.AttemptResult{callevent.AttemptNoAnswer, callevent.AttemptNoAnswer, callevent.AttemptCancelled},
	}, {
		name:     "everyone unanswered before the timeout",
		setup:    func(h *harness) { h.territory(func(t *oncall.Territory) { t.HuntTimeout = 900 * time.Second }) },
		attempts: []callevent.AttemptResult{callevent.AttemptNoAnswer, callevent.AttemptNoAnswer, callevent.AttemptNoAnswer, callevent.AttemptNoAnswer},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.happy()
			delete(h.sw.plans, martinPhone)
			tc.setup(h)
			h.run()
			if got := h.result(); got != callevent.ResultCallback {
				t.Errorf("result %s, want callback", got)
			}
			if tc.gpHeard != nil {
				expectSeq(t, "GP heard", h.gp.Heard(), tc.gpHeard)
			}
			expectSeq(t, "attempts", h.attemptResults(), tc.attempts)
			if ev := h.events(callevent.CallbackRequested); len(ev) != 1 || ev[0].RPPS != marieRPPS || ev[0].SpecialtyID != 11 {
				t.Errorf("callback_requested %+v", ev)
			}
			// The callback SMS are built from the record when it is applied:
			// it must name the caller's number and the territory they called.
			if ev := h.events(callevent.CallStarted); len(ev) != 1 || ev[0].Caller != mariePhone {
				t.Errorf("call_started %+v", ev)
			}
			if ev := h.events(callevent.TerritoryResolved); len(ev) != 1 || ev[0].TerritoryID != h.roster.territories[did1].ID {
				t.Errorf("territory_resolved %+v", ev)
			}
			if len(h.sw.connected) != 0 {
				t.Error("bridged although nobody accepted")
			}
		})
	}
}

func TestGPLeavesDuringHunt(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(h *harness)
		attempts    []callevent.AttemptResult
		specialists [][]string
	}{{
		name:     "while rank 1 rings",
		setup:    func(h *harness) { h.sw.plans[martinPhone] = []dialPlan{{ring: 10 * time.Second, gpLeaves: true}} },
		attempts: []callevent.AttemptResult{callevent.AttemptCancelled},
	}, {
		name: "just as rank 1 answers",
		setup: func(h *harness) {
			p := accepts("")
			p.gpLeavesOnAnswer = true
			h.sw.plans[martinPhone] = []dialPlan{p}
		},
		attempts:    []callevent.AttemptResult{callevent.AttemptCancelled},
		specialists: [][]string{ids("caller_left")},
	}, {
		name: "on the hold message, while rank 2 rings",
		setup: func(h *harness) {
			h.gp.rules["please_hold"] = "H"
			h.sw.plans[martinPhone] = []dialPlan{noAnswer(25 * time.Second)}
			h.sw.plans[bernardPh] = []dialPlan{accepts("")}
		},
		attempts: []callevent.AttemptResult{callevent.AttemptNoAnswer, callevent.AttemptCancelled},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.happy()
			delete(h.sw.plans, martinPhone)
			tc.setup(h)
			h.run()
			if got := h.result(); got != callevent.ResultAbandoned {
				t.Errorf("result %s, want abandoned", got)
			}
			expectSeq(t, "attempts", h.attemptResults(), tc.attempts)
			if len(h.sw.connected) != 0 {
				t.Error("bridged to a GP who had left")
			}
			if n := len(h.sw.dials); n != len(tc.attempts) {
				t.Errorf("%d dials after the GP left, want %d", n, len(tc.attempts))
			}
			last := h.sw.legs[len(h.sw.legs)-1]
			if last.hungUpBy != "script" {
				t.Errorf("ringing leg ended by %q, want hung up by the script", last.hungUpBy)
			}
			for i, want := range tc.specialists {
				expectSeq(t, "specialist heard", h.leg(i+1).Heard(), want)
			}
			if len(h.events(callevent.LegHungUp)) != 1 || len(h.events(callevent.CallbackRequested)) != 0 {
				t.Errorf("leg_hung_up %v, callback_requested %v", h.events(callevent.LegHungUp), h.events(callevent.CallbackRequested))
			}
		})
	}
}
