package wiring

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/arisim"
)

const (
	badLuhnRPPS = "10003000015"  // GP Marie DUBOIS's RPPS with a wrong key
	notEnrolled = "10001045367"  // Nicolas FOURNIER: valid, not enrolled in cpts-coteaux
	otherNumber = "+33699000001" // a phone no GP is enrolled with
)

// hangsUpAtMenu: an identified GP leaves when the menu starts, which is
// enough to see the identification recorded.
var hangsUpAtMenu = []arisim.Step{arisim.WaitForSound("menu-intro"), arisim.Hangup()}

// Path 2: the RPPS keypad conventions, each from the GP's side (what they
// hear) and the record's (the failures counted, the result).
func TestRPPSEntry(t *testing.T) {
	typed := func(keys string) []arisim.Step {
		return []arisim.Step{arisim.WaitForSound("saisir-rpps"), arisim.Press(keys, digitGap)}
	}
	silence := []arisim.Step{arisim.WaitForSound("saisir-rpps"), arisim.WaitForSound("aucune-saisie")}
	tests := []struct {
		name string
		gp   func(l *line) []arisim.Step
		// heard in this order by the GP
		heard    []string
		failures []string // ident_failed reasons
		refused  string   // "" when the GP ends up identified
	}{{
		name:     "wrong Luhn key then right",
		gp:       func(l *line) []arisim.Step { return steps(typed(badLuhnRPPS+"#"), l.identifies(gpRPPS), hangsUpAtMenu) },
		heard:    []string{"saisir-rpps", "rpps-invalide", "saisir-rpps", "saisir-code", "menu-intro"},
		failures: []string{"bad_rpps"},
	}, {
		name: "star starts the entry over",
		gp: func(l *line) []arisim.Step {
			return steps(typed("10009*"+gpRPPS+"#"), l.identifiesPINOnly(gpRPPS), hangsUpAtMenu)
		},
		heard: []string{"saisir-rpps", "saisir-code", "menu-intro"},
	}, {
		name: "national form 8 + RPPS",
		gp: func(l *line) []arisim.Step {
			return steps(typed("8"+gpRPPS+"#"), l.identifiesPINOnly(gpRPPS), hangsUpAtMenu)
		},
		heard: []string{"saisir-rpps", "saisir-code", "menu-intro"},
	}, {
		name:     "too many digits",
		gp:       func(l *line) []arisim.Step { return steps(typed(gpRPPS+"99#"), l.identifies(gpRPPS), hangsUpAtMenu) },
		heard:    []string{"saisir-rpps", "rpps-invalide", "saisir-rpps", "saisir-code", "menu-intro"},
		failures: []string{"bad_rpps"},
	}, {
		name:     "hash with no digit",
		gp:       func(l *line) []arisim.Step { return steps(typed("#"), l.identifies(gpRPPS), hangsUpAtMenu) },
		heard:    []string{"saisir-rpps", "rpps-invalide", "saisir-rpps", "saisir-code", "menu-intro"},
		failures: []string{"bad_rpps"},
	}, {
		name:     "no digit once then right",
		gp:       func(l *line) []arisim.Step { return steps(silence, l.identifies(gpRPPS), hangsUpAtMenu) },
		heard:    []string{"saisir-rpps", "aucune-saisie", "saisir-rpps", "saisir-code", "menu-intro"},
		failures: []string{"timeout"},
	}, {
		name: "three bad entries",
		gp: func(*line) []arisim.Step {
			return steps(typed(badLuhnRPPS+"#"), typed("#"), typed(gpRPPS+"123#"), []arisim.Step{arisim.Silent()})
		},
		heard: append([]string{"saisir-rpps", "rpps-invalide", "saisir-rpps", "rpps-invalide", "saisir-rpps",
			"rpps-invalide", "trop-d-essais"}, coordinatorContact...),
		failures: []string{"bad_rpps", "bad_rpps", "bad_rpps"},
		refused:  "bad_rpps",
	}, {
		name: "no digit at all",
		gp:   func(*line) []arisim.Step { return []arisim.Step{arisim.Silent()} },
		heard: append([]string{"saisir-rpps", "aucune-saisie", "saisir-rpps", "aucune-saisie", "saisir-rpps",
			"aucune-saisie", "trop-d-essais"}, coordinatorContact...),
		failures: []string{"timeout", "timeout", "timeout"},
		refused:  "timeout",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLine(t)
			gp := l.gpOnly(gpCall(gpNumber, did, tt.gp(l)...))
			heardInOrder(t, "GP", gp.Heard(), tt.heard...)
			rec := l.record()
			if got := reasons(rec, callevent.IdentFailed); !slices.Equal(got, tt.failures) {
				t.Errorf("identification failures %q, want %q", got, tt.failures)
			}
			if tt.refused != "" {
				endedBy(t, "GP", gp, "app")
				wantResult(t, rec, callevent.ResultRefused)
				if got := reasons(rec, callevent.Refused); !slices.Equal(got, []string{tt.refused}) {
					t.Errorf("refusal reasons %q, want %q", got, tt.refused)
				}
				notHeard(t, "GP", gp.Heard(), "saisir-code", "menu-intro")
				return
			}
			// Identified, then the GP left at the menu.
			wantResult(t, rec, callevent.ResultAbandoned)
			if rec.GPRPPS != gpRPPS || !hasEvent(rec, callevent.Identified) {
				t.Errorf("GP not identified as %s: gp_rpps %q, events %v", gpRPPS, rec.GPRPPS, kinds(rec))
			}
		})
	}
}

// identifiesPINOnly types the PIN after its question (the RPPS was typed).
func (l *line) identifiesPINOnly(rpps string) []arisim.Step {
	return []arisim.Step{arisim.WaitForSound("saisir-code"), arisim.Press(l.pins[rpps]+"#", digitGap)}
}

// Path 3: a valid RPPS that is not enrolled here is treated as an enrolled
// one until the PIN has been typed: the same questions, « code incorrect »,
// then « identification impossible » with the coordination's number. The
// line does not tell who is enrolled.
func TestRPPSNotEnrolled(t *testing.T) {
	l := newLine(t)
	typesPINs := func(rpps string) []arisim.Step {
		s := []arisim.Step{arisim.WaitForSound("saisir-rpps"), arisim.Press(rpps+"#", digitGap)}
		for _, pin := range []string{"000000", "111111", "222222"} {
			s = append(s, arisim.WaitForSound("saisir-code"), arisim.Press(pin+"#", digitGap))
		}
		return append(s, arisim.Silent())
	}
	unknown := l.gpOnly(gpCall(otherNumber, did, typesPINs(notEnrolled)...))
	heardInOrder(t, "GP", unknown.Heard(), append([]string{"bienvenue", "saisir-rpps", "saisir-code", "code-incorrect",
		"saisir-code", "code-incorrect", "saisir-code", "code-incorrect", "identification-impossible"}, coordinatorContact...)...)
	notHeard(t, "GP", unknown.Heard(), "non-inscrit", "rpps-invalide", "menu-intro")
	endedBy(t, "GP", unknown, "app")

	rec := l.record()
	wantResult(t, rec, callevent.ResultRefused)
	if got := reasons(rec, callevent.Refused); !slices.Equal(got, []string{"not_enrolled"}) {
		t.Errorf("refusal reasons %q", got)
	}
	var typed string
	for _, e := range rec.Events {
		if e.Kind == callevent.IdentFailed && e.Reason == "not_enrolled" {
			typed = e.RPPS
		}
	}
	if typed != notEnrolled {
		t.Errorf("not_enrolled failure names RPPS %q, want %s", typed, notEnrolled)
	}

	// An enrolled RPPS with the same wrong PINs, from another number:
	// word for word the same.
	enrolled := l.gpOnly(gpCall("+33699000077", did, typesPINs(gpRPPS)...))
	if a, b := sounds(unknown.Heard()), sounds(enrolled.Heard()); !slices.Equal(a, b) {
		t.Errorf("unknown and enrolled RPPS heard differently:\nunknown  %q\nenrolled %q", a, b)
	}
}

// sounds keeps what a phone heard, without timings.
func sounds(heard []string) []string {
	var out []string
	for _, h := range heard {
		if i := strings.Index(h, "sound:"); i >= 0 {
			out = append(out, h[i:])
		} else if i := strings.Index(h, "digits:"); i >= 0 {
			out = append(out, h[i:])
		}
	}
	return out
}

// wrongPIN is a PIN that is not the GP's.
func (l *line) wrongPIN(rpps string) string {
	if l.pins[rpps] == "000000" {
		return "111111"
	}
	return "000000"
}

// typesWrongPINs types the RPPS, then n wrong PINs, each after its question.
func (l *line) typesWrongPINs(n int) []arisim.Step {
	s := []arisim.Step{arisim.WaitForSound("saisir-rpps"), arisim.Press(gpRPPS+"#", digitGap)}
	for range n {
		s = append(s, arisim.WaitForSound("saisir-code"), arisim.Press(l.wrongPIN(gpRPPS)+"#", digitGap))
	}
	return append(s, arisim.Silent())
}

// Path 4, with identification.max_attempts = 3 (the script's tries): three
// wrong PINs from a number lock that number for the RPPS — not the GP: RPPS
// numbers are public, and the GP calling from their enrolled phone with the
// right PIN gets through.
func TestWrongPINLocksAtThirdTry(t *testing.T) {
	l := newLine(t, withMaxPINAttempts(3))
	attacker := l.gpOnly(gpCall(otherNumber, did, l.typesWrongPINs(3)...))
	heardInOrder(t, "attacker", attacker.Heard(), append([]string{"saisir-code", "code-incorrect", "saisir-code", "code-incorrect",
		"saisir-code", "acces-bloque"}, coordinatorContact...)...)
	notHeard(t, "attacker", attacker.Heard(), "identification-impossible", "menu-intro")
	endedBy(t, "attacker", attacker, "app")
	rec := l.record()
	wantResult(t, rec, callevent.ResultRefused)
	if got := reasons(rec, callevent.IdentFailed); !slices.Equal(got, []string{"wrong_pin", "wrong_pin", "locked"}) {
		t.Errorf("identification failures %q", got)
	}
	if got := reasons(rec, callevent.Refused); !slices.Equal(got, []string{"locked"}) {
		t.Errorf("refusal reasons %q", got)
	}

	// The GP, from their own phone, with the right PIN: identified.
	gp := l.gpOnly(gpCall(gpNumber, did, steps(l.identifies(gpRPPS), []arisim.Step{arisim.WaitForSound("menu-intro"), arisim.Hangup()})...))
	heardInOrder(t, "GP", gp.Heard(), "saisir-rpps", "saisir-code", "menu-intro")
	notHeard(t, "GP", gp.Heard(), "acces-bloque", "code-incorrect")
	if rec := l.record(); rec.GPRPPS != gpRPPS || !hasEvent(rec, callevent.Identified) {
		t.Errorf("the GP was not identified after an attacker's failures: events %v", kinds(rec))
	}

	// The attacker's number, even with the right PIN, stays locked for it.
	again := l.gpOnly(gpCall(otherNumber, did, steps(l.identifies(gpRPPS), []arisim.Step{arisim.Silent()})...))
	heardInOrder(t, "attacker again", again.Heard(), append([]string{"saisir-rpps", "saisir-code", "acces-bloque"}, coordinatorContact...)...)
	notHeard(t, "attacker again", again.Heard(), "menu-intro")
}

// Path 4 with the default policy (identification.max_attempts = 5): three
// wrong PINs end the call without locking; the failures add up across calls
// from the same number, and the fifth locks that number for the RPPS.
func TestWrongPINDefaultLockout(t *testing.T) {
	l := newLine(t)
	gp := l.gpOnly(gpCall(otherNumber, did, l.typesWrongPINs(3)...))
	heardInOrder(t, "GP", gp.Heard(), append([]string{"code-incorrect", "saisir-code", "code-incorrect", "saisir-code",
		"code-incorrect", "identification-impossible"}, coordinatorContact...)...)
	notHeard(t, "GP", gp.Heard(), "acces-bloque")
	rec := l.record()
	wantResult(t, rec, callevent.ResultRefused)
	if got := reasons(rec, callevent.Refused); !slices.Equal(got, []string{"wrong_pin"}) {
		t.Errorf("refusal reasons %q", got)
	}

	again := l.gpOnly(gpCall(otherNumber, did, l.typesWrongPINs(2)...))
	heardInOrder(t, "GP calling again", again.Heard(), append([]string{"saisir-code", "code-incorrect", "saisir-code",
		"acces-bloque"}, coordinatorContact...)...)
	rec = l.record()
	if got := reasons(rec, callevent.IdentFailed); !slices.Equal(got, []string{"wrong_pin", "locked"}) {
		t.Errorf("second call: identification failures %q", got)
	}
}

// Path 5: the identification policies.
func TestIdentificationPolicies(t *testing.T) {
	callerID := withTerritory(func(s *roster.TerritorySpec) { s.Policy = oncall.PolicyCallerIDPIN })
	t.Run("callerid+pin, known number skips the RPPS", func(t *testing.T) {
		l := newLine(t, callerID)
		gp := l.gpOnly(gpCall(gpNumber, did, steps(l.identifiesPINOnly(gpRPPS), hangsUpAtMenu)...))
		heardInOrder(t, "GP", gp.Heard(), "bienvenue", "urgence-15", "saisir-code", "menu-intro")
		notHeard(t, "GP", gp.Heard(), "saisir-rpps")
		if rec := l.record(); rec.GPRPPS != gpRPPS {
			t.Errorf("GP identified as %q, want %s", rec.GPRPPS, gpRPPS)
		}
	})
	t.Run("callerid+pin, unknown number types the RPPS", func(t *testing.T) {
		l := newLine(t, callerID)
		gp := l.gpOnly(gpCall(otherNumber, did, steps(l.identifies(gpRPPS), hangsUpAtMenu)...))
		heardInOrder(t, "GP", gp.Heard(), "bienvenue", "saisir-rpps", "saisir-code", "menu-intro")
		if rec := l.record(); rec.GPRPPS != gpRPPS {
			t.Errorf("GP identified as %q, want %s", rec.GPRPPS, gpRPPS)
		}
	})
	t.Run("rpps asks no PIN", func(t *testing.T) {
		l := newLine(t, withTerritory(func(s *roster.TerritorySpec) { s.Policy = oncall.PolicyRPPS }))
		gp := l.gpOnly(gpCall(gpNumber, did, steps([]arisim.Step{arisim.WaitForSound("saisir-rpps"),
			arisim.Press(gpRPPS+"#", digitGap)}, hangsUpAtMenu)...))
		heardInOrder(t, "GP", gp.Heard(), "saisir-rpps", "menu-intro")
		notHeard(t, "GP", gp.Heard(), "saisir-code")
		if rec := l.record(); rec.GPRPPS != gpRPPS {
			t.Errorf("GP identified as %q, want %s", rec.GPRPPS, gpRPPS)
		}
	})
}

// Path 6: a territory with one specialty puts the GP through without a menu.
func TestOneSpecialtySkipsMenu(t *testing.T) {
	l := newLine(t, onlySpecialty("cardiologie"))
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did, steps(l.identifies(gpRPPS),
			[]arisim.Step{arisim.WaitBridged(), arisim.Wait(30 * time.Second), arisim.Hangup()})...)},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("5", digitGap), arisim.Silent())}},
	})
	gp := rep.Phone("gp")
	heardInOrder(t, "GP", gp.Heard(), "saisir-code", "recherche")
	notHeard(t, "GP", gp.Heard(), "menu-intro", "menu-pour")
	heardInOrder(t, "MARTIN", rep.Phone("martin").Heard(), "specialites/cpts-coteaux/cardiologie", "accepter-refuser")

	rec := l.record()
	wantResult(t, rec, callevent.ResultBridged)
	var chosen []string
	for _, e := range rec.Events {
		if e.Kind == callevent.SpecialtyChosen {
			chosen = append(chosen, e.Specialty)
		}
	}
	if !slices.Equal(chosen, []string{"cardiologie"}) {
		t.Errorf("specialty chosen %q", chosen)
	}
}

// Path 6: an invalid menu key is told, the menu is said again, and the next
// key counts (2: dermatologie, DURAND on duty).
func TestMenuInvalidKey(t *testing.T) {
	l := newLine(t)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{gpCall(gpNumber, did, steps(l.identifies(gpRPPS), []arisim.Step{
			arisim.WaitForSound("menu-intro"), arisim.Press("7", digitGap),
			arisim.WaitForSound("choix-invalide"), arisim.Press("2", digitGap),
			arisim.WaitBridged(), arisim.Wait(30 * time.Second), arisim.Hangup()})...)},
		Outbound: []arisim.Endpoint{{Name: "durand", Dial: "PJSIP/+33612000049@trunk", Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("5", digitGap), arisim.Silent())}},
	})
	heardInOrder(t, "GP", rep.Phone("gp").Heard(), "menu-intro", "choix-invalide", "menu-pour", "recherche")
	heardInOrder(t, "DURAND", rep.Phone("durand").Heard(), "specialites/cpts-coteaux/dermatologie", "accepter-refuser")

	rec := l.record()
	wantResult(t, rec, callevent.ResultBridged)
	if rec.SpecialistRPPS != "10002000049" {
		t.Errorf("bridged to %q, want DURAND", rec.SpecialistRPPS)
	}
}

// RPPS numbers are public: a phone that keeps typing RPPS numbers enrolled
// nowhere here is counted as a wrong PIN would be, is locked at
// identification.caller_attempts, and its next call is refused before any
// question.
func TestProbingRPPSNumbersLocksTheCaller(t *testing.T) {
	l := newLine(t, withMaxPINAttempts(3), withCallerAttempts(3))
	prober := "+33699000001"
	steps := []arisim.Step{arisim.WaitForSound("saisir-rpps"), arisim.Press(notEnrolled+"#", digitGap)}
	for _, pin := range []string{"1234", "2345", "3456"} {
		steps = append(steps, arisim.WaitForSound("saisir-code"), arisim.Press(pin+"#", digitGap))
	}
	rep := l.play(&arisim.Scenario{Inbound: []arisim.InboundCall{{Name: "prober", From: prober, DID: did,
		Steps: append(steps, arisim.Silent())}}})
	heardInOrder(t, "prober", rep.Phone("prober").Heard(), "saisir-rpps", "saisir-code", "code-incorrect", "saisir-code",
		"code-incorrect", "saisir-code", "acces-bloque")
	rep = l.play(&arisim.Scenario{Inbound: []arisim.InboundCall{{Name: "prober", From: prober, DID: did,
		Steps: []arisim.Step{arisim.Silent()}}}})
	heard := rep.Phone("prober").Heard()
	heardInOrder(t, "prober", heard, "bienvenue", "acces-bloque", "contact-coordination")
	notHeard(t, "a locked number", heard, "saisir-rpps")
	if rec := l.record(); rec.Result != callevent.ResultRefused {
		t.Fatalf("result %s", rec.Result)
	}
}
