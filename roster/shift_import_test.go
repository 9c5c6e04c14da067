package roster

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestImportShiftsReportsEveryProblemWithItsLine(t *testing.T) {
	cases := []struct {
		name  string
		lines []string // data lines: the first is line 2
		want  []string
	}{
		{"luhn", []string{"10002000016,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1"},
			[]string{"roster.csv:2: rpps 10002000016: wrong check digit (Luhn)"}},
		{"unknown specialist", []string{"10002000072,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1"},
			[]string{"roster.csv:2: rpps 10002000072: unknown specialist (not in the directory: import it or add them first)"}},
		{"unknown specialty", []string{"10002000015,neurologie,2026-11-23 08:00,2026-11-23 20:00,1"},
			[]string{`roster.csv:2: unknown specialty "neurologie" (this territory has: cardiologie, dermatologie, pediatrie)`}},
		{"not enrolled for it", []string{"10002000049,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1"},
			[]string{"roster.csv:2: rpps 10002000049 (Louis DURAND) is not enrolled as requis for cardiologie in cpts-coteaux"}},
		{"a GP is not a requis", []string{"10003000014,pediatrie,2026-11-23 08:00,2026-11-23 20:00,1"},
			[]string{"roster.csv:2: rpps 10003000014 (Marie DUBOIS) is not enrolled as requis for pediatrie in cpts-coteaux"}},
		{"end before start", []string{"10002000015,cardiologie,2026-11-23 20:00,2026-11-23 08:00,1"},
			[]string{"roster.csv:2: end 2026-11-23 08:00 is not after start 2026-11-23 20:00"}},
		{"end equals start", []string{"10002000015,cardiologie,2026-11-23 20:00,2026-11-23 20:00,1"},
			[]string{"roster.csv:2: end 2026-11-23 20:00 is not after start 2026-11-23 20:00"}},
		{"bad time", []string{"10002000015,cardiologie,23/11/2026 08:00,2026-11-23 20:00,1"},
			[]string{`roster.csv:2: start "23/11/2026 08:00" is not a time written YYYY-MM-DD HH:MM`}},
		{"spring gap", []string{"10002000015,cardiologie,2027-03-27 20:00,2027-03-28 02:30,1"},
			[]string{`roster.csv:2: end "2027-03-28 02:30" does not exist in Europe/Paris (clocks go forward over it)`}},
		{"bad rank", []string{"10002000015,cardiologie,2026-11-23 08:00,2026-11-23 20:00,0"},
			[]string{`roster.csv:2: rank "0": want a whole number from 1 (called first) to 9`}},
		{"missing field", []string{"10002000015,cardiologie,2026-11-23 08:00,1"},
			[]string{"roster.csv:2: 4 field(s), want 5 (rpps,specialty,start,end,rank)"}},
		{"overlap in the file", []string{
			"10002000015,cardiologie,2026-11-23 20:00,2026-11-24 08:00,1",
			"10002000023,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1",
			"10002000031,cardiologie,2026-11-24 07:00,2026-11-24 20:00,1",
		}, []string{"roster.csv:4: overlaps line 2 (cardiologie rank 1, 2026-11-23 20:00 → 2026-11-24 08:00)"}},
		{"repeated line", []string{
			"10002000015,cardiologie,2026-11-23 20:00,2026-11-24 08:00,1",
			"10002000015,cardiologie,2026-11-23 20:00,2026-11-24 08:00,1",
		}, []string{"roster.csv:3: repeats line 2 (cardiologie rank 1, 2026-11-23 20:00 → 2026-11-24 08:00)"}},
		{"several at once, in line order", []string{
			"10002000015,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1",
			"10002000016,dermatologie,2026-11-23 08:00,2026-11-23 20:00,1",
			"10002000049,dermatologie,2026-11-23 08:00,2026-11-23 20:00,x",
			"10002000023,cardiologie,2026-11-23 12:00,2026-11-23 14:00,1",
		}, []string{
			"roster.csv:3: rpps 10002000016: wrong check digit (Luhn)",
			`roster.csv:4: rank "x": want a whole number from 1 (called first) to 9`,
			"roster.csv:5: overlaps line 2 (cardiologie rank 1, 2026-11-23 08:00 → 2026-11-23 20:00)",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newShiftFixture(t)
			_, err := f.importCSV(t, false, c.lines...)
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("import: %v; want an *ImportError", err)
			}
			if got := ie.Lines(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if n := f.countShifts(t); n != 0 {
				t.Errorf("%d shift(s) written despite errors; want none", n)
			}
		})
	}
}

func TestImportShiftsHeader(t *testing.T) {
	f := newShiftFixture(t)
	for body, want := range map[string]string{
		"":                                 "roster.csv: empty file: want a header rpps,specialty,start,end,rank then one shift a line",
		"rpps,specialty,start,end\n":       "roster.csv:1: header lacks column(s) rank: it must be rpps,specialty,start,end,rank",
		"rpps,speciality,start,end,rank\n": `roster.csv:1: unknown column "speciality": the header must be rpps,specialty,start,end,rank`,
		"# a comment\nrpps,specialty,start,end,rank\n": "roster.csv:2: no shifts after the header",
	} {
		_, err := f.store.ImportShifts(f.ctx, f.terr.ID, "roster.csv", strings.NewReader(body), false)
		var ie *ImportError
		if !errors.As(err, &ie) || len(ie.Lines()) != 1 || ie.Lines()[0] != want {
			t.Errorf("body %q: %v; want %q", body, err, want)
		}
	}
	// Columns may come in any order, with a byte-order mark and spaces.
	body := "\ufeffRank, start ,end,specialty,rpps\n1,2026-11-23 08:00,2026-11-23 20:00,Cardiologie,10002000015\n"
	rep, err := f.store.ImportShifts(f.ctx, f.terr.ID, "roster.csv", strings.NewReader(body), false)
	if err != nil || len(rep.Added) != 1 {
		t.Fatalf("reordered header: %+v, %v", rep, err)
	}
	// French headers, ";" as a French spreadsheet saves them.
	body = "rpps;spécialité;début;fin;rang\n10002000015;cardiologie;2026-11-24 08:00;2026-11-24 20:00;1\n"
	rep, err = f.store.ImportShifts(f.ctx, f.terr.ID, "planning.csv", strings.NewReader(body), false)
	if err != nil || len(rep.Added) != 1 {
		t.Fatalf("French header with semicolons: %+v, %v", rep, err)
	}
}

func TestImportShiftsAllOrNothingAndDryRun(t *testing.T) {
	f := newShiftFixture(t)
	good := "10002000015,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1"
	bad := "10002000016,cardiologie,2026-11-24 08:00,2026-11-24 20:00,1"
	if _, err := f.importCSV(t, false, good, bad); err == nil {
		t.Fatal("import with a bad line succeeded")
	}
	if n := f.countShifts(t); n != 0 {
		t.Fatalf("%d shift(s) written by a failed import", n)
	}
	rep, err := f.importCSV(t, true, good)
	if err != nil || len(rep.Added) != 1 || !rep.DryRun {
		t.Fatalf("dry run: %+v, %v", rep, err)
	}
	if rep.Added[0].LastName != "MARTIN" || rep.Added[0].Specialty != "cardiologie" {
		t.Errorf("dry run shift = %+v", rep.Added[0])
	}
	if n := f.countShifts(t); n != 0 {
		t.Fatalf("dry run wrote %d shift(s)", n)
	}
}

func TestImportShiftsAgainstTheBase(t *testing.T) {
	f := newShiftFixture(t)
	night := "10002000015,cardiologie,2026-11-23 20:00,2026-11-24 08:00,1"
	day := "10002000023,cardiologie,2026-11-24 08:00,2026-11-24 20:00,1"
	first := f.mustImport(t, night, day)
	if len(first.Added) != 2 || first.Added[0].ID == 0 {
		t.Fatalf("first import: %+v", first)
	}
	// The same file again: nothing added, nothing doubled.
	again := f.mustImport(t, night, day)
	if len(again.Added) != 0 || len(again.Unchanged) != 2 || f.countShifts(t) != 2 {
		t.Fatalf("re-import: added %d unchanged %d, %d in base", len(again.Added), len(again.Unchanged), f.countShifts(t))
	}
	// A changed line overlapping a shift already there names it.
	changed := "10002000031,cardiologie,2026-11-23 22:00,2026-11-24 08:00,1"
	other := "10002000049,dermatologie,2026-11-24 08:00,2026-11-24 20:00,1"
	_, err := f.importCSV(t, false, other, changed)
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("changed re-import: %v", err)
	}
	want := []string{"roster.csv:3: overlaps existing shift " + itoa(first.Added[0].ID) +
		" (cardiologie rank 1, 10002000015 Claire MARTIN, 2026-11-23 20:00 → 2026-11-24 08:00)"}
	if !reflect.DeepEqual(ie.Lines(), want) {
		t.Errorf("problems %q\nwant %q", ie.Lines(), want)
	}
	if f.countShifts(t) != 2 {
		t.Errorf("the valid dermatologie line was written despite the error")
	}
	// Rank 2 over the same night is another slot: fine.
	f.mustImport(t, "10002000031,cardiologie,2026-11-23 20:00,2026-11-24 08:00,2")
}

func TestImportShiftsConstraintIsTheLastLineOfDefence(t *testing.T) {
	f := newShiftFixture(t)
	sh := Shift{SpecialtyID: f.specialty(t, "cardiologie"), RPPS: "10002000015", Rank: 1,
		Start: f.at(t, "2026-11-23 08:00"), End: f.at(t, "2026-11-23 20:00")}
	if _, err := insertShifts(f.ctx, f.pool, f.terr.ID, []Shift{sh}); err != nil {
		t.Fatal(err)
	}
	sh.RPPS, sh.Start = "10002000023", f.at(t, "2026-11-23 12:00")
	_, err := insertShifts(f.ctx, f.pool, f.terr.ID, []Shift{sh})
	if !errors.Is(err, ErrOverlap) {
		t.Fatalf("overlapping insert: %v; want ErrOverlap", err)
	}
}

func TestImportShiftsAcrossDaylightSaving(t *testing.T) {
	f := newShiftFixture(t)
	rep := f.mustImport(t,
		"10002000015,cardiologie,2026-10-24 20:00,2026-10-25 08:00,1",
		"10002000023,cardiologie,2027-03-27 20:00,2027-03-28 08:00,1",
		// Ends on the ambiguous 02:30: its first occurrence.
		"10002000049,dermatologie,2026-10-24 20:00,2026-10-25 02:30,1",
		"10002000056,dermatologie,2026-10-25 02:30,2026-10-25 08:00,1",
	)
	durations := map[string]time.Duration{}
	for _, sh := range rep.Added {
		durations[sh.RPPS] = sh.End.Sub(sh.Start)
	}
	want := map[string]time.Duration{
		"10002000015": 13 * time.Hour,               // the autumn night gains an hour
		"10002000023": 11 * time.Hour,               // the spring night loses one
		"10002000049": 6*time.Hour + 30*time.Minute, // 18:00Z → 00:30Z
		"10002000056": 6*time.Hour + 30*time.Minute, // includes the repeated hour
	}
	if !reflect.DeepEqual(durations, want) {
		t.Errorf("durations %v, want %v", durations, want)
	}
	var hours float64
	if err := f.pool.QueryRow(f.ctx, `SELECT extract(epoch FROM upper(during) - lower(during)) / 3600
		FROM shift WHERE rpps = '10002000015'`).Scan(&hours); err != nil || hours != 13 {
		t.Errorf("stored autumn night lasts %v h (%v), want 13", hours, err)
	}
}

func TestImportSampleRoster(t *testing.T) {
	f := newShiftFixture(t)
	file, err := os.Open("../testdata/roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rep, err := f.store.ImportShifts(f.ctx, f.terr.ID, "roster.csv", file, false)
	if err != nil {
		t.Fatalf("sample roster: %v", err)
	}
	if len(rep.Added) < 50 {
		t.Errorf("sample roster added %d shifts", len(rep.Added))
	}

	errs, err := os.Open("../testdata/roster_errors.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer errs.Close()
	_, err = f.store.ImportShifts(f.ctx, f.terr.ID, "roster_errors.csv", errs, false)
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Problems) < 6 {
		t.Fatalf("sample errors: %v", err)
	}
	for _, p := range ie.Problems {
		if p.Line == 0 {
			t.Errorf("problem without a line: %s", p.Msg)
		}
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }
