package roster

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
)

// chain renders a chain as "rank rpps phones" lines, "fallback label phone" last.
func chain(cands []oncall.Candidate) []string {
	var out []string
	for _, c := range cands {
		if c.Fallback {
			out = append(out, fmt.Sprintf("fallback %s %s", c.Label, strings.Join(c.Phones, ",")))
			continue
		}
		out = append(out, fmt.Sprintf("%d %s %s %s", c.Rank, c.RPPS, c.LastName, strings.Join(c.Phones, ",")))
	}
	return out
}

func TestOnDuty(t *testing.T) {
	f := newShiftFixture(t)
	f.mustImport(t,
		"10002000015,cardiologie,2026-10-24 20:00,2026-10-25 08:00,1",
		"10002000023,cardiologie,2026-10-24 20:00,2026-10-25 08:00,2",
		"10002000031,cardiologie,2026-10-25 00:00,2026-10-25 04:00,3",
		"10002000023,cardiologie,2027-03-27 20:00,2027-03-28 08:00,1",
		"10002000049,dermatologie,2026-11-23 08:00,2026-11-23 20:00,1",
		"10002000049,dermatologie,2026-11-23 12:00,2026-11-23 14:00,2",
		"10002000056,dermatologie,2026-11-23 12:00,2026-11-23 14:00,3",
	)
	cardio, derm, ped := f.specialty(t, "cardiologie"), f.specialty(t, "dermatologie"), f.specialty(t, "pediatrie")
	fallback := "fallback ligne de cardiologie du centre hospitalier +33247000001"
	cases := []struct {
		name      string
		specialty int64
		at        string
		want      []string
	}{
		{"ranks in order, fallback last", cardio, "2026-10-24 23:00", []string{
			"1 10002000015 MARTIN +33612000015", "2 10002000023 BERNARD +33612000023", fallback}},
		// 02:30 on 2026-10-25 happens twice; both are inside the 13-hour night.
		{"the repeated hour, first pass", cardio, "2026-10-25 02:30", []string{
			"1 10002000015 MARTIN +33612000015", "2 10002000023 BERNARD +33612000023",
			"3 10002000031 PETIT +33612000031", fallback}},
		{"the night's last minute", cardio, "2026-10-25 07:59", []string{
			"1 10002000015 MARTIN +33612000015", "2 10002000023 BERNARD +33612000023", fallback}},
		{"end is exclusive", cardio, "2026-10-25 08:00", []string{fallback}},
		{"spring night, either side of the skipped hour", cardio, "2027-03-28 01:59", []string{
			"1 10002000023 BERNARD +33612000023", fallback}},
		{"spring night after the skipped hour", cardio, "2027-03-28 03:00", []string{
			"1 10002000023 BERNARD +33612000023", fallback}},
		{"someone at two ranks appears once, at the first", derm, "2026-11-23 13:00", []string{
			"1 10002000049 DURAND +33612000049", "3 10002000056 LEROY +33612000056"}},
		{"nobody and no fallback: empty", ped, "2026-11-23 13:00", nil},
	}
	for _, c := range cases {
		got, err := f.store.OnDuty(f.ctx, f.terr.ID, c.specialty, f.at(t, c.at))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got == nil {
			t.Errorf("%s: nil chain; want an empty slice", c.name)
		}
		if g := chain(got); !equalStrings(g, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, g, c.want)
		}
	}

	// The second pass of 02:30 (01:30Z, winter time) is covered too.
	second := f.at(t, "2026-10-25 02:30").Add(time.Hour)
	got, err := f.store.OnDuty(f.ctx, f.terr.ID, cardio, second)
	if err != nil || len(got) != 4 || got[0].RPPS != "10002000015" || got[2].RPPS != "10002000031" {
		t.Errorf("second 02:30: %q, %v", chain(got), err)
	}

	// No enrolment phones: the directory's are used.
	if _, err := f.pool.Exec(f.ctx, `UPDATE enrolment SET phones = '{}' WHERE rpps = '10002000015'`); err != nil {
		t.Fatal(err)
	}
	got, err = f.store.OnDuty(f.ctx, f.terr.ID, cardio, f.at(t, "2026-10-24 23:00"))
	if err != nil || got[0].Phones[0] != "+33247100015" {
		t.Errorf("directory phones: %q, %v", chain(got), err)
	}
	// A specialty of another territory resolves to nothing.
	got, err = f.store.OnDuty(f.ctx, f.terr.ID+1, cardio, f.at(t, "2026-10-24 23:00"))
	if err != nil || len(got) != 0 {
		t.Errorf("other territory: %q, %v", chain(got), err)
	}
}

func TestOverridesReplaceARank(t *testing.T) {
	f := newShiftFixture(t)
	f.mustImport(t,
		"10002000015,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1",
		"10002000023,cardiologie,2026-11-23 08:00,2026-11-23 20:00,2",
	)
	cardio := f.specialty(t, "cardiologie")
	// Claire MARTIN is sick from 10:00 to 14:00: Anne PETIT takes rank 1.
	o, err := f.store.AddOverride(f.ctx, f.terr.ID, NewOverride{SpecialtyID: cardio, RPPS: "10002000031",
		Start: f.at(t, "2026-11-23 10:00"), End: f.at(t, "2026-11-23 14:00"), Reason: "arrêt maladie"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Rank != 1 || o.LastName != "PETIT" || o.Specialty != "cardiologie" || o.ID == 0 {
		t.Errorf("override = %+v", o)
	}
	// Hugo BERNARD swaps rank 2 for rank 1 from 14:00 to 16:00: he appears once.
	if _, err := f.store.AddOverride(f.ctx, f.terr.ID, NewOverride{SpecialtyID: cardio, RPPS: "10002000023",
		Start: f.at(t, "2026-11-23 14:00"), End: f.at(t, "2026-11-23 16:00"), Rank: 1}); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"2026-11-23 09:59": {"1 10002000015 MARTIN", "2 10002000023 BERNARD"},
		"2026-11-23 10:00": {"1 10002000031 PETIT", "2 10002000023 BERNARD"},
		"2026-11-23 14:30": {"1 10002000023 BERNARD"},
		"2026-11-23 16:00": {"1 10002000015 MARTIN", "2 10002000023 BERNARD"},
		// An override holds its rank even where no shift does.
		"2026-11-23 21:00": nil,
	}
	for at, want := range cases {
		got, err := f.store.OnDuty(f.ctx, f.terr.ID, cardio, f.at(t, at))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got {
			if !c.Fallback {
				names = append(names, fmt.Sprintf("%d %s %s", c.Rank, c.RPPS, c.LastName))
			}
		}
		if !equalStrings(names, want) {
			t.Errorf("at %s: got %q want %q", at, names, want)
		}
	}
	if n := f.countShifts(t); n != 2 {
		t.Errorf("overrides changed the shifts: %d", n)
	}

	bad := []struct {
		name string
		in   NewOverride
		is   error
	}{
		{"overlapping override of the same rank", NewOverride{SpecialtyID: cardio, RPPS: "10002000015",
			Start: f.at(t, "2026-11-23 13:00"), End: f.at(t, "2026-11-23 15:00")}, ErrOverlap},
		{"not enrolled for the specialty", NewOverride{SpecialtyID: cardio, RPPS: "10002000049",
			Start: f.at(t, "2026-11-24 13:00"), End: f.at(t, "2026-11-24 15:00")}, oncall.ErrNotFound},
		{"end before start", NewOverride{SpecialtyID: cardio, RPPS: "10002000015",
			Start: f.at(t, "2026-11-24 15:00"), End: f.at(t, "2026-11-24 13:00")}, nil},
		{"bad RPPS", NewOverride{SpecialtyID: cardio, RPPS: "10002000016",
			Start: f.at(t, "2026-11-24 13:00"), End: f.at(t, "2026-11-24 15:00")}, nil},
	}
	for _, c := range bad {
		_, err := f.store.AddOverride(f.ctx, f.terr.ID, c.in)
		if err == nil || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: %v; want an error (%v)", c.name, err, c.is)
		}
	}

	list, err := f.store.Overrides(f.ctx, f.terr.ID, f.at(t, "2026-11-23 00:00"), f.at(t, "2026-11-24 00:00"))
	if err != nil || len(list) != 2 || list[0].ID != o.ID || list[0].Reason != "arrêt maladie" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if err := f.store.DeleteOverride(f.ctx, f.terr.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeleteOverride(f.ctx, f.terr.ID, o.ID); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("second delete: %v; want ErrNotFound", err)
	}
	got, _ := f.store.OnDuty(f.ctx, f.terr.ID, cardio, f.at(t, "2026-11-23 10:00"))
	if got[0].RPPS != "10002000015" {
		t.Errorf("after delete, rank 1 is %s", got[0].RPPS)
	}
}

// TestOnDutyNothingLostOrDoubledAcrossDaylightSaving walks both change
// nights minute by minute in UTC: exactly one rank-1 holder throughout.
func TestOnDutyNothingLostOrDoubledAcrossDaylightSaving(t *testing.T) {
	f := newShiftFixture(t)
	f.mustImport(t,
		"10002000015,cardiologie,2026-10-24 20:00,2026-10-25 02:30,1",
		"10002000023,cardiologie,2026-10-25 02:30,2026-10-25 08:00,1",
		"10002000015,cardiologie,2027-03-27 20:00,2027-03-28 03:00,1",
		"10002000023,cardiologie,2027-03-28 03:00,2027-03-28 08:00,1",
	)
	cardio := f.specialty(t, "cardiologie")
	nights := []struct {
		from, to      string
		first, second time.Duration // time each specialist holds rank 1
	}{
		{"2026-10-24 20:00", "2026-10-25 08:00", 6*time.Hour + 30*time.Minute, 6*time.Hour + 30*time.Minute},
		{"2027-03-27 20:00", "2027-03-28 08:00", 6 * time.Hour, 5 * time.Hour},
	}
	for _, n := range nights {
		held := map[string]time.Duration{}
		start, end := f.at(t, n.from), f.at(t, n.to)
		for at := start; at.Before(end); at = at.Add(5 * time.Minute) {
			got, err := f.store.OnDuty(f.ctx, f.terr.ID, cardio, at)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Rank != 1 || !got[1].Fallback {
				t.Fatalf("at %s: chain %q", at.UTC(), chain(got))
			}
			held[got[0].RPPS] += 5 * time.Minute
		}
		if held["10002000015"] != n.first || held["10002000023"] != n.second {
			t.Errorf("night from %s: held %v, want %v then %v", n.from, held, n.first, n.second)
		}
	}
}
