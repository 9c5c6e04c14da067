package realline

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/sample"
)

// Arrival and identification paths, one line, calls one after the other.
func TestArrivalAndIdentification(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("bad Luhn key then the right RPPS", func(t *testing.T) {
		r.t = t
		g := r.dial(ctx, did, gpNumber)
		g.press(ctx, "saisir-rpps", "10003000015#")
		g.hears(ctx, "rpps-invalide")
		g.press(ctx, "saisir-rpps", gpRPPS+"#")
		g.hears(ctx, "saisir-code")
		if err := g.phone.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		heardInOrder(t, "GP", g.heard(), "saisir-rpps", "rpps-invalide", "saisir-rpps", "saisir-code")
		rec := r.record()
		wantResult(t, rec, callevent.ResultAbandoned)
	})
	t.Run("unknown DID", func(t *testing.T) {
		r.t = t
		g := r.dial(ctx, "+33179999999", gpNumber)
		g.hears(ctx, "numero-inconnu")
		g.ended(ctx)
		notHeard(t, "GP", g.heard(), "bienvenue", "fermee")
		rec := r.record()
		wantResult(t, rec, callevent.ResultUnknownDID)
		if rec.DID != "+33179999999" {
			t.Errorf("recorded DID %q", rec.DID)
		}
	})
	for _, dialled := range []string{"0179000001", "33179000001"} {
		t.Run("DID sent as "+dialled, func(t *testing.T) {
			r.t = t
			g := r.dial(ctx, dialled, gpNumber)
			g.hears(ctx, "saisir-rpps")
			if err := g.phone.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			heardInOrder(t, "GP", g.heard(), "bienvenue", "territoires/cpts-coteaux", "urgence-15", "saisir-rpps")
			rec := r.record()
			if rec.DID != did || rec.TerritoryID != r.terr.ID {
				t.Errorf("recorded DID %q territory %d, want %s in %d", rec.DID, rec.TerritoryID, did, r.terr.ID)
			}
		})
	}
}

// Outside opening hours: the closed message first, then the line hangs up.
func TestClosedHours(t *testing.T) {
	t.Parallel()
	r := newRig(t, at(time.Date(2026, 11, 22, 10, 0, 0, 0, sample.Paris))) // a Sunday
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g := r.dial(ctx, did, gpNumber)
	g.hears(ctx, "fermee")
	g.ended(ctx)
	if h := g.heard(); len(h) == 0 || h[0] != "regul/fermee" {
		t.Errorf("GP should hear the closed message first; heard %q", h)
	}
	wantResult(t, r.record(), callevent.ResultOutOfHours)
}

// Three wrong PINs lock the RPPS (identification.max_attempts = 3): the
// same RPPS from another phone with the right PIN is refused too.
func TestLockout(t *testing.T) {
	t.Parallel()
	r := newRig(t, maxPINAttempts(3))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wrong := "999999#"
	if r.pins[gpRPPS] == "999999" {
		wrong = "888888#"
	}
	// RPPS numbers are public: someone types the GP's from another phone.
	const other = "+33611000099"
	g := r.dial(ctx, did, other)
	g.press(ctx, "saisir-rpps", gpRPPS+"#")
	for range 3 {
		g.press(ctx, "saisir-code", wrong)
	}
	g.hears(ctx, "acces-bloque")
	g.ended(ctx)
	heardInOrder(t, "caller", g.heard(), "code-incorrect", "code-incorrect", "acces-bloque", "contact-coordination", "au-revoir")
	wantResult(t, r.record(), callevent.ResultRefused)

	// That number stays locked for that RPPS, even with the right PIN.
	again := r.dial(ctx, did, other)
	again.press(ctx, "saisir-rpps", gpRPPS+"#")
	if again.hearsEither(ctx, "saisir-code", "acces-bloque") == "saisir-code" {
		if err := again.phone.Press(ctx, r.pins[gpRPPS]+"#"); err != nil {
			t.Fatal(err)
		}
		again.hears(ctx, "acces-bloque")
	}
	again.ended(ctx)
	notHeard(t, "same number again", again.heard(), "menu-intro")
	wantResult(t, r.record(), callevent.ResultRefused)

	// The lock is no weapon: the GP, from their own phone with the right
	// PIN, gets through.
	own := r.dial(ctx, did, gpNumber)
	own.press(ctx, "saisir-rpps", gpRPPS+"#")
	own.press(ctx, "saisir-code", r.pins[gpRPPS]+"#")
	own.hears(ctx, "menu-intro")
	if err := own.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// callerid+pin: an enrolled caller number skips the RPPS and is asked the PIN.
func TestCallerIDPIN(t *testing.T) {
	t.Parallel()
	r := newRig(t, withTerritory(func(s *roster.TerritorySpec) { s.Policy = oncall.PolicyCallerIDPIN }))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g := r.dial(ctx, did, gpNumber)
	g.press(ctx, "saisir-code", r.pins[gpRPPS]+"#")
	g.hears(ctx, "menu-intro")
	if err := g.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	heardInOrder(t, "GP", g.heard(), "bienvenue", "urgence-15", "saisir-code", "menu-intro")
	notHeard(t, "GP", g.heard(), "saisir-rpps")
	if rec := r.record(); rec.GPRPPS != gpRPPS {
		t.Errorf("GP identified as %q, want %s", rec.GPRPPS, gpRPPS)
	}
}
