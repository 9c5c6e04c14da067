package ivr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// after identification, a bridged call sounds like this to the GP.
var huntedAndBridged = ids("menu_intro", "searching", "(hold)", "(/hold)")

func TestIdentification(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(h *harness)
		result  callevent.Result
		heard   []string
		reasons []string // ident_failed reasons, in order
		check   func(t *testing.T, h *harness)
	}{{
		name:   "right RPPS and PIN",
		setup:  func(h *harness) { h.happy() },
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
		check: func(t *testing.T, h *harness) {
			expectSeq(t, "GP waits", h.gp.waits[:12], []time.Duration{10 * time.Second,
				5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second,
				5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second})
		},
	}, {
		name:   "national 12-character form",
		setup:  func(h *harness) { h.happy(); h.gp.rules["enter_rpps"] = "8" + marieRPPS + "#" },
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
	}, {
		name: "wrong Luhn key then right",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_rpps"] = "10003000015#"
			h.gp.rules["enter_rpps#2"] = marieRPPS + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "rpps_invalid", "enter_rpps", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonBadRPPS},
	}, {
		name: "a PIN typed at the RPPS prompt is not recorded",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_rpps"] = mariePIN + "#"
			h.gp.rules["enter_rpps#2"] = marieRPPS + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "rpps_invalid", "enter_rpps", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonBadRPPS},
		check: func(t *testing.T, h *harness) {
			if ev := h.events(callevent.IdentFailed)[0]; ev.RPPS != strings.Repeat("•", len(mariePIN)) {
				t.Errorf("recorded %q for a PIN typed at the RPPS prompt", ev.RPPS)
			}
		},
	}, {
		name:   "star mid-entry starts over",
		setup:  func(h *harness) { h.happy(); h.gp.rules["enter_rpps"] = "10099*" + marieRPPS + "#" },
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
	}, {
		name: "no digit at all, then right",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_rpps"] = "T"
			h.gp.rules["enter_rpps#2"] = marieRPPS + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "no_input", "enter_rpps", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonTimeout},
		check: func(t *testing.T, h *harness) {
			if h.gp.waits[0] != 10*time.Second {
				t.Errorf("first wait %s, want the 10 s first-digit timeout", h.gp.waits[0])
			}
		},
	}, {
		name:   "inter-digit timeout ends the entry like '#'",
		setup:  func(h *harness) { h.happy(); h.gp.rules["enter_rpps"] = marieRPPS + "T" },
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
		check: func(t *testing.T, h *harness) {
			if h.gp.waits[11] != 5*time.Second {
				t.Errorf("wait after the 11th digit %s, want the 5 s inter-digit timeout", h.gp.waits[11])
			}
		},
	}, {
		name: "ten digits then silence",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_rpps"] = "1000300001T"
			h.gp.rules["enter_rpps#2"] = marieRPPS + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "rpps_invalid", "enter_rpps", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonBadRPPS},
	}, {
		name: "too many digits",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_rpps"] = "1000300001400#"
			h.gp.rules["enter_rpps#2"] = marieRPPS + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "rpps_invalid", "enter_rpps", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonBadRPPS},
	}, {
		name: "'#' with no digits",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_rpps"] = "#"
			h.gp.rules["enter_rpps#2"] = marieRPPS + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "rpps_invalid", "enter_rpps", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonBadRPPS},
	}, {
		name: "three bad RPPS",
		setup: func(h *harness) {
			h.gp.rules["enter_rpps"] = "12345678901#"
			h.gp.rules["enter_rpps#2"] = "#"
			h.gp.rules["enter_rpps#3"] = "10003000015#"
		},
		result: callevent.ResultRefused,
		heard: cat(welcomed, ids("enter_rpps", "rpps_invalid", "enter_rpps", "rpps_invalid", "enter_rpps",
			"rpps_invalid", "too_many_tries"), coordinator),
		reasons: []string{reasonBadRPPS, reasonBadRPPS, reasonBadRPPS},
		check: func(t *testing.T, h *harness) {
			if r := h.events(callevent.Refused); len(r) != 1 || r[0].Reason != reasonBadRPPS {
				t.Errorf("refused %+v", r)
			}
			if h.roster.pinChecks != 0 || len(h.sw.dials) != 0 {
				t.Errorf("%d PIN checks, %d dials after a refusal", h.roster.pinChecks, len(h.sw.dials))
			}
		},
	}, {
		name:    "silence three times",
		setup:   func(h *harness) {},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "no_input", "enter_rpps", "no_input", "enter_rpps", "no_input", "too_many_tries"), coordinator),
		reasons: []string{reasonTimeout, reasonTimeout, reasonTimeout},
	}, {
		name:   "GP hangs up mid-entry",
		setup:  func(h *harness) { h.gp.rules["enter_rpps"] = "10003H" },
		result: callevent.ResultAbandoned,
		heard:  cat(welcomed, ids("enter_rpps")),
		check: func(t *testing.T, h *harness) {
			if ev := h.events(callevent.LegHungUp); len(ev) != 1 || ev[0].Party != "gp" {
				t.Errorf("leg_hung_up %+v", ev)
			}
		},
	}, {
		name: "valid RPPS not enrolled here: asked for the PIN like anyone",
		setup: func(h *harness) {
			h.gp.rules["enter_rpps"] = "10001045367#"
			h.gp.rules["enter_pin"] = "0000#"
			h.gp.rules["enter_pin#2"] = "1111#"
			h.gp.rules["enter_pin#3"] = "2222#"
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "pin_wrong", "enter_pin", "pin_wrong", "enter_pin", "pin_wrong", "identification_impossible"), coordinator),
		reasons: []string{reasonNotEnrolled, reasonNotEnrolled, reasonNotEnrolled},
		check: func(t *testing.T, h *harness) {
			if ev := h.events(callevent.IdentFailed)[0]; ev.RPPS != "10001045367" {
				t.Errorf("ident_failed %+v lacks the RPPS", ev)
			}
			if h.roster.refusals != 3 {
				t.Errorf("an unknown RPPS must be counted as a wrong PIN is: %d refusals", h.roster.refusals)
			}
		},
	}, {
		name: "rpps policy: unknown RPPS refused without a PIN to ask",
		setup: func(h *harness) {
			h.territory(func(t *oncall.Territory) { t.Policy = oncall.PolicyRPPS })
			h.gp.rules["enter_rpps"] = "10001045367#"
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "identification_impossible"), coordinator),
		reasons: []string{reasonNotEnrolled},
		check: func(t *testing.T, h *harness) {
			if n := h.roster.callerFails[mariePhone]; n != 1 {
				t.Errorf("an unknown RPPS must count against the caller number: %d failures", n)
			}
		},
	}, {
		name: "locked caller number is refused before any question",
		setup: func(h *harness) {
			h.happy()
			h.roster.callerLocks = map[string]time.Time{mariePhone: h.clock.Now().Add(time.Hour)}
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("locked"), coordinator),
		reasons: []string{reasonLocked},
	}, {
		name: "withheld numbers share one lock: refused before any question",
		setup: func(h *harness) {
			h.happy()
			h.gp.caller = ""
			h.roster.callerLocks = map[string]time.Time{"": h.clock.Now().Add(time.Hour)}
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("locked"), coordinator),
		reasons: []string{reasonLocked},
	}, {
		name: "rpps policy: an unknown RPPS from a withheld number is counted",
		setup: func(h *harness) {
			h.territory(func(t *oncall.Territory) { t.Policy = oncall.PolicyRPPS })
			h.gp.caller = ""
			h.gp.rules["enter_rpps"] = "10001045367#"
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "identification_impossible"), coordinator),
		reasons: []string{reasonNotEnrolled},
		check: func(t *testing.T, h *harness) {
			if n := h.roster.callerFails[""]; n != 1 {
				t.Errorf("withheld failures counted: %d, want 1", n)
			}
		},
	}, {
		name: "caller lock not checkable: the call goes on",
		setup: func(h *harness) {
			h.happy()
			h.roster.errIn = map[string]error{"CheckCaller": errors.New("database unavailable")}
		},
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
	}, {
		name: "wrong PIN three times locks",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_pin"] = "0000#"
			h.gp.rules["enter_pin#2"] = "1111#"
			h.gp.rules["enter_pin#3"] = "2222#"
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "pin_wrong", "enter_pin", "pin_wrong", "enter_pin", "locked"), coordinator),
		reasons: []string{reasonWrongPIN, reasonWrongPIN, reasonLocked},
		check: func(t *testing.T, h *harness) {
			if r := h.events(callevent.Refused); len(r) != 1 || r[0].Reason != reasonLocked {
				t.Errorf("refused %+v", r)
			}
		},
	}, {
		name: "wrong PIN three times, store not locking yet",
		setup: func(h *harness) {
			h.happy()
			h.roster.lockAfter = 5
			h.gp.rules["enter_pin"] = "0000#"
			h.gp.rules["enter_pin#2"] = "1111#"
			h.gp.rules["enter_pin#3"] = "2222#"
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "pin_wrong", "enter_pin", "pin_wrong", "enter_pin", "pin_wrong", "identification_impossible"), coordinator),
		reasons: []string{reasonWrongPIN, reasonWrongPIN, reasonWrongPIN},
	}, {
		name: "PIN timeout then right",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_pin"] = "T"
			h.gp.rules["enter_pin#2"] = mariePIN + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "no_input", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonTimeout},
	}, {
		name: "PIN too short is wrong without asking the store",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_pin"] = "47#"
			h.gp.rules["enter_pin#2"] = mariePIN + "#"
		},
		result:  callevent.ResultBridged,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "pin_wrong", "enter_pin"), huntedAndBridged),
		reasons: []string{reasonWrongPIN},
		check: func(t *testing.T, h *harness) {
			if h.roster.pinChecks != 1 {
				t.Errorf("%d PIN checks, want 1", h.roster.pinChecks)
			}
		},
	}, {
		name: "PIN with a star restart",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_pin"] = "99*" + mariePIN + "#"
		},
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
	}, {
		name: "GP hangs up while typing the PIN",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["enter_pin"] = "47H"
		},
		result: callevent.ResultAbandoned,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin")),
	}, {
		name: "an RPPS lock is the roster's to apply, after the PIN",
		setup: func(h *harness) {
			h.happy()
			h.gp.caller = "+33699999999" // not one of her phones
			e := h.roster.requerants[marieRPPS]
			e.LockedUntil = h.clock.now.Add(10 * time.Minute)
			h.roster.requerants[marieRPPS] = e
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "locked"), coordinator),
		reasons: []string{reasonLocked},
	}, {
		name: "store says locked (from another caller number)",
		setup: func(h *harness) {
			h.happy()
			h.roster.errIn["VerifyPIN"] = &oncall.LockedError{Until: h.clock.now.Add(time.Hour)}
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "locked"), coordinator),
		reasons: []string{reasonLocked},
	}, {
		name: "enrolled without a PIN: answered as an unknown RPPS",
		setup: func(h *harness) {
			h.happy()
			e := h.roster.requerants[marieRPPS]
			e.HasPIN = false
			h.roster.requerants[marieRPPS] = e
			h.gp.rules["enter_pin#2"] = "1111#"
			h.gp.rules["enter_pin#3"] = "2222#"
		},
		result:  callevent.ResultRefused,
		heard:   cat(welcomed, ids("enter_rpps", "enter_pin", "pin_wrong", "enter_pin", "pin_wrong", "enter_pin", "pin_wrong", "identification_impossible"), coordinator),
		reasons: []string{reasonNoPIN, reasonNoPIN, reasonNoPIN},
	}, {
		name: "callerid+pin: known number skips the RPPS",
		setup: func(h *harness) {
			h.happy()
			h.territory(func(t *oncall.Territory) { t.Policy = oncall.PolicyCallerIDPIN })
		},
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_pin"), huntedAndBridged),
	}, {
		name: "callerid+pin: unknown number types the RPPS",
		setup: func(h *harness) {
			h.happy()
			h.gp.caller = "+33699999999"
			h.territory(func(t *oncall.Territory) { t.Policy = oncall.PolicyCallerIDPIN })
		},
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
	}, {
		name: "callerid+pin: hidden number types the RPPS",
		setup: func(h *harness) {
			h.happy()
			h.gp.caller = ""
			h.territory(func(t *oncall.Territory) { t.Policy = oncall.PolicyCallerIDPIN })
		},
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps", "enter_pin"), huntedAndBridged),
	}, {
		name: "callerid+pin: the GP's own phone and PIN get through a lock of their RPPS",
		setup: func(h *harness) {
			h.happy()
			e := h.roster.requerants[marieRPPS]
			e.LockedUntil = h.clock.now.Add(10 * time.Minute)
			h.roster.requerants[marieRPPS] = e
			h.territory(func(t *oncall.Territory) { t.Policy = oncall.PolicyCallerIDPIN })
		},
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_pin"), huntedAndBridged),
	}, {
		name: "policy rpps: no PIN",
		setup: func(h *harness) {
			h.happy()
			h.territory(func(t *oncall.Territory) { t.Policy = oncall.PolicyRPPS })
		},
		result: callevent.ResultBridged,
		heard:  cat(welcomed, ids("enter_rpps"), huntedAndBridged),
	}, {
		name: "typing during the welcome barges in",
		setup: func(h *harness) {
			h.happy()
			delete(h.gp.rules, "enter_rpps")
			h.gp.rules["welcome"] = marieRPPS + "#"
		},
		result: callevent.ResultBridged,
		heard:  ids("welcome", "enter_rpps", "enter_pin", "menu_intro", "searching", "(hold)", "(/hold)"),
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
			var reasons []string
			for _, ev := range h.events(callevent.IdentFailed) {
				reasons = append(reasons, ev.Reason)
			}
			expectSeq(t, "ident_failed reasons", reasons, tc.reasons)
			if tc.result == callevent.ResultBridged {
				if ev := h.events(callevent.Identified); len(ev) != 1 || ev[0].RPPS != marieRPPS {
					t.Errorf("identified %+v", ev)
				}
			}
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

func TestSpecialtyMenu(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(h *harness)
		result    callevent.Result
		heard     []string
		specialty string
		dialled   []string
	}{{
		name: "second key picks dermatology",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["menu_intro"] = "2"
			h.sw.plans[durandPhone] = []dialPlan{accepts("gp")}
		},
		result:    callevent.ResultBridged,
		heard:     cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro", "searching", "(hold)", "(/hold)")),
		specialty: "dermatologie",
		dialled:   []string{durandPhone},
	}, {
		name:      "menu heard in full when nobody types",
		setup:     func(h *harness) { h.happy(); delete(h.gp.rules, "menu_intro"); h.gp.rules["digits:3"] = "1" },
		result:    callevent.ResultBridged,
		heard:     cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro"), menuItems, ids("searching", "(hold)", "(/hold)")),
		specialty: "cardiologie",
		dialled:   []string{martinPhone},
	}, {
		name: "invalid key told and asked again",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["menu_intro"] = "9"
			h.gp.rules["choice_invalid"] = "1"
		},
		result:    callevent.ResultBridged,
		heard:     cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro", "choice_invalid", "searching", "(hold)", "(/hold)")),
		specialty: "cardiologie",
		dialled:   []string{martinPhone},
	}, {
		name: "three invalid keys",
		setup: func(h *harness) {
			h.happy()
			h.gp.rules["menu_intro"] = "9"
			h.gp.rules["digits:3"] = "#"   // after hearing the menu again in full
			h.gp.rules["digits:3#2"] = "0" // and once more
		},
		result: callevent.ResultRefused,
		heard: cat(welcomed, ids("enter_rpps", "enter_pin", "menu_intro", "choice_invalid"), menuItems,
			ids("choice_invalid"), menuItems, ids("choice_invalid", "too_many_tries"), coordinator),
	}, {
		name: "one specialty skips the menu",
		setup: func(h *harness) {
			h.happy()
			h.territory(func(t *oncall.Territory) { t.Specialties = t.Specialties[:1] })
		},
		result:    callevent.ResultBridged,
		heard:     cat(welcomed, ids("enter_rpps", "enter_pin", "searching", "(hold)", "(/hold)")),
		specialty: "cardiologie",
		dialled:   []string{martinPhone},
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
			expectSeq(t, "dialled", h.dialled(), tc.dialled)
			if tc.specialty != "" {
				if ev := h.events(callevent.SpecialtyChosen); len(ev) != 1 || ev[0].Specialty != tc.specialty {
					t.Errorf("specialty_chosen %+v, want %s", ev, tc.specialty)
				}
			}
		})
	}
}

// TestUnknownAndEnrolledAlike: the same keys typed for an enrolled RPPS with
// a wrong PIN, for an RPPS enrolled without a PIN and for an RPPS nobody
// enrolled give the same prompts in the same order, and the roster the
// same number of PIN checks: the line does not tell who is enrolled.
func TestUnknownAndEnrolledAlike(t *testing.T) {
	run := func(rpps string, setup func(h *harness)) ([]string, int) {
		h := newHarness(t)
		h.happy()
		h.roster.lockAfter = 10
		setup(h)
		h.gp.rules["enter_rpps"] = rpps + "#"
		h.gp.rules["enter_pin"] = "0000#"
		h.gp.rules["enter_pin#2"] = "1111#"
		h.gp.rules["enter_pin#3"] = "2222#"
		h.run()
		return h.gp.Heard(), h.roster.pinChecks
	}
	enrolled, enrolledChecks := run(marieRPPS, func(*harness) {})
	noPIN, noPINChecks := run(marieRPPS, func(h *harness) {
		e := h.roster.requerants[marieRPPS]
		e.HasPIN = false
		h.roster.requerants[marieRPPS] = e
	})
	unknown, unknownChecks := run("10001045367", func(*harness) {})
	if fmt.Sprint(unknown) != fmt.Sprint(enrolled) || fmt.Sprint(noPIN) != fmt.Sprint(enrolled) {
		t.Errorf("heard differently:\nenrolled %v\nno PIN   %v\nunknown  %v", enrolled, noPIN, unknown)
	}
	if unknownChecks != enrolledChecks || noPINChecks != enrolledChecks {
		t.Errorf("PIN checks: enrolled %d, no PIN %d, unknown %d", enrolledChecks, noPINChecks, unknownChecks)
	}
}
