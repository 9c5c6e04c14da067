package roster

import (
	"errors"
	"strings"
	"testing"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

func (f *shiftFixture) auditActions(t *testing.T) []string {
	t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT action FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func formProblems(t *testing.T, err error) string {
	t.Helper()
	var fe *ShiftFormError
	if !errors.As(err, &fe) {
		t.Fatalf("want a *ShiftFormError, got %v", err)
	}
	return strings.Join(fe.Problems, "\n")
}

func TestAddShiftChecksAsTheImportDoes(t *testing.T) {
	f := newShiftFixture(t)
	f.mustImport(t, "10002000064,pediatrie,2026-11-25 08:00,2026-11-25 12:00,1")

	cases := []struct {
		name string
		in   ShiftForm
		want []string
	}{
		{"Luhn", ShiftForm{"10002000065", "pediatrie", "2026-11-25 12:00", "2026-11-25 14:00", "1"}, []string{"wrong check digit"}},
		{"not enrolled for the specialty", ShiftForm{"10002000056", "pediatrie", "2026-11-25 12:00", "2026-11-25 14:00", "1"}, []string{"not enrolled as requis for pediatrie"}},
		{"end before start", ShiftForm{"10002000064", "pediatrie", "2026-11-25 14:00", "2026-11-25 12:00", "1"}, []string{"is not after start"}},
		{"a time clocks skip", ShiftForm{"10002000064", "pediatrie", "2027-03-28 01:00", "2027-03-28 02:30", "1"}, []string{"does not exist in Europe/Paris"}},
		{"overlap at one rank", ShiftForm{"10002000064", "pediatrie", "2026-11-25 11:00", "2026-11-25 14:00", "1"}, []string{"overlaps existing shift"}},
		{"the same shift twice", ShiftForm{"10002000064", "pediatrie", "2026-11-25 08:00", "2026-11-25 12:00", "1"}, []string{"already exists"}},
		{"every problem at once", ShiftForm{"", "neurologie", "demain", "", "0"}, []string{"rpps", "unknown specialty", "start", "end", "rank"}},
	}
	for _, c := range cases {
		_, err := f.store.AddShift(f.ctx, f.terr.ID, c.in)
		got := formProblems(t, err)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: problems %q lack %q", c.name, got, w)
			}
		}
	}
	if n := f.countShifts(t); n != 1 {
		t.Fatalf("refused shifts were written: %d shifts", n)
	}

	sh, err := f.store.AddShift(f.ctx, f.terr.ID, ShiftForm{"10002000064", "pediatrie", "2026-11-25 12:00", "2026-11-25 14:00", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if sh.ID == 0 || sh.LastName != "MOREAU" || FormatSpan(sh.Start, sh.End, f.paris) != "2026-11-25 12:00 → 2026-11-25 14:00" {
		t.Errorf("added %+v", sh)
	}
	gaps, err := f.store.Gaps(f.ctx, f.terr.ID, f.at(t, "2026-11-25 00:00"), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gaps {
		if g.Specialty == "pediatrie" && g.Start.Before(f.at(t, "2026-11-25 14:00")) {
			t.Errorf("gap still open: %s", FormatSpan(g.Start, g.End, f.paris))
		}
	}
	if got := f.auditActions(t); strings.Join(got, ",") != journal.ActionShiftImport+","+journal.ActionShiftAdded {
		t.Errorf("audit %v", got)
	}
}

func TestUpdateAndDeleteShift(t *testing.T) {
	f := newShiftFixture(t)
	rep := f.mustImport(t,
		"10002000015,cardiologie,2026-10-24 20:00,2026-10-25 08:00,1",
		"10002000023,cardiologie,2026-10-25 08:00,2026-10-25 20:00,1",
		"10002000031,cardiologie,2026-10-24 20:00,2026-10-25 08:00,2")
	night, day := rep.Added[0], rep.Added[1]

	// Moving the night's end past the day's start overlaps the day shift;
	// the night itself is not counted against itself.
	_, err := f.store.UpdateShift(f.ctx, f.terr.ID, night.ID, ShiftForm{"10002000015", "cardiologie", "2026-10-24 20:00", "2026-10-25 09:00", "1"})
	if got := formProblems(t, err); !strings.Contains(got, "overlaps existing shift") {
		t.Errorf("overlap not reported: %q", got)
	}
	// The 13-hour night across the autumn change, given to Anne PETIT: rank 2
	// overlaps her own rank-2 line, rank 1 is the night itself.
	up, err := f.store.UpdateShift(f.ctx, f.terr.ID, night.ID, ShiftForm{"10002000031", "cardiologie", "2026-10-24 20:00", "2026-10-25 07:00", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if up.ID != night.ID || up.RPPS != "10002000031" || up.End.Sub(up.Start).Hours() != 12 {
		t.Errorf("updated %+v (%v)", up, up.End.Sub(up.Start))
	}
	got, err := f.store.Shift(f.ctx, f.terr.ID, night.ID)
	if err != nil || got.LastName != "PETIT" {
		t.Fatalf("read back %+v %v", got, err)
	}

	// Another territory's id is not found, and nothing changes.
	var other int64
	if err := f.pool.QueryRow(f.ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-autre', 'Autre') RETURNING id`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.DeleteShift(f.ctx, other, day.ID); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("delete from another territory: %v", err)
	}
	if _, err := f.store.UpdateShift(f.ctx, other, day.ID, ShiftForm{"10002000023", "cardiologie", "2026-10-25 08:00", "2026-10-25 20:00", "1"}); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("update from another territory: %v", err)
	}
	del, err := f.store.DeleteShift(f.ctx, f.terr.ID, day.ID)
	if err != nil || del.RPPS != "10002000023" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if _, err := f.store.Shift(f.ctx, f.terr.ID, day.ID); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("deleted shift still read: %v", err)
	}
	want := journal.ActionShiftImport + "," + journal.ActionShiftUpdated + "," + journal.ActionShiftDeleted
	if got := f.auditActions(t); strings.Join(got, ",") != want {
		t.Errorf("audit %v, want %s", got, want)
	}
}

func TestOverrideChangesAreAudited(t *testing.T) {
	f := newShiftFixture(t)
	o, err := f.store.AddOverride(f.ctx, f.terr.ID, NewOverride{SpecialtyID: f.specialty(t, "cardiologie"),
		RPPS: "10002000031", Start: f.at(t, "2026-11-23 10:00"), End: f.at(t, "2026-11-23 14:00"), Reason: "arrêt maladie"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeleteOverride(f.ctx, f.terr.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeleteOverride(f.ctx, f.terr.ID, o.ID); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if got := f.auditActions(t); strings.Join(got, ",") != journal.ActionOverrideAdded+","+journal.ActionOverrideDeleted {
		t.Errorf("audit %v", got)
	}
}
