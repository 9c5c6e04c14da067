package wiring

import (
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/sample"
)

// Path 11: outside opening hours the GP is told the line is closed (with
// the 15 and the permanence des soins) before anything else, and the call
// is recorded out of hours.
func TestClosedLine(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
	}{
		{"Sunday morning", time.Date(2026, 11, 22, 10, 0, 0, 0, sample.Paris)},
		{"Armistice Day, a Wednesday", time.Date(2026, 11, 11, 10, 0, 0, 0, sample.Paris)},
		{"Monday after hours", time.Date(2026, 11, 23, 20, 30, 0, 0, sample.Paris)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLine(t, at(tt.at))
			gp := l.gpOnly(gpCall(gpNumber, did, arisim.Silent()))
			heard := gp.Heard()
			if len(heard) == 0 || heard[0] != "sound:regul/fermee" {
				t.Errorf("GP should hear the closed message first; heard %q", heard)
			}
			notHeard(t, "GP", heard, "bienvenue", "saisir-rpps")
			endedBy(t, "GP", gp, "app")

			rec := l.record()
			wantResult(t, rec, callevent.ResultOutOfHours)
			if !hasEvent(rec, callevent.ClosedHours) || rec.AnsweredAt.IsZero() {
				t.Errorf("events %v, answered at %v", kinds(rec), rec.AnsweredAt)
			}
		})
	}
}

// Path 12: a number that is no territory's regulation line.
func TestUnknownDID(t *testing.T) {
	const unknownDID = "+33179999999"
	l := newLine(t)
	gp := l.gpOnly(gpCall(gpNumber, unknownDID, arisim.Silent()))
	heardInOrder(t, "GP", gp.Heard(), "regul/numero-inconnu")
	notHeard(t, "GP", gp.Heard(), "bienvenue", "fermee")
	endedBy(t, "GP", gp, "app")

	rec := l.record()
	wantResult(t, rec, callevent.ResultUnknownDID)
	if rec.DID != unknownDID || rec.TerritoryID != 0 {
		t.Errorf("recorded DID %q, territory %d", rec.DID, rec.TerritoryID)
	}
	if !hasEvent(rec, callevent.TerritoryUnknown) {
		t.Errorf("events %v", kinds(rec))
	}
}

// The second regulation number reaches the same territory.
func TestSecondRegulationNumber(t *testing.T) {
	l := newLine(t)
	gp := l.gpOnly(gpCall(gpNumber, "+33179000002", arisim.WaitForSound("saisir-rpps"), arisim.Hangup()))
	heardInOrder(t, "GP", gp.Heard(), "bienvenue", "territoires/cpts-coteaux", "urgence-15", "saisir-rpps")
	rec := l.record()
	wantResult(t, rec, callevent.ResultAbandoned)
	if rec.TerritoryID != l.terr.ID {
		t.Errorf("territory %d, want %d", rec.TerritoryID, l.terr.ID)
	}
}
