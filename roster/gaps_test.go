package roster

import (
	"os"
	"testing"
	"time"
)

func TestGaps(t *testing.T) {
	f := newShiftFixture(t)
	file, err := os.Open("../testdata/roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := f.store.ImportShifts(f.ctx, f.terr.ID, "roster.csv", file, false); err != nil {
		t.Fatal(err)
	}
	show := func(gaps []Gap) []string {
		var out []string
		for _, g := range gaps {
			out = append(out, g.Specialty+" "+FormatSpan(g.Start, g.End, f.paris))
		}
		return out
	}
	cases := []struct {
		name string
		from string
		days int
		want []string
	}{
		{"the sample week shows its two deliberate gaps", "2026-11-23 00:00", 7, []string{
			"dermatologie 2026-11-27 18:00 → 2026-11-27 20:00",
			"pediatrie 2026-11-25 12:00 → 2026-11-25 14:00",
		}},
		{"from mid-day clips the window", "2026-11-25 13:00", 1, []string{
			"pediatrie 2026-11-25 13:00 → 2026-11-25 14:00",
		}},
		{"across the autumn change, Sunday 1 November closed", "2026-10-19 00:00", 14, nil},
		{"Easter Monday 2027-03-29 is a public holiday: closed", "2027-03-22 00:00", 8, nil},
		{"a day without any shift", "2026-12-01 00:00", 1, []string{
			"cardiologie 2026-12-01 08:00 → 2026-12-01 20:00",
			"dermatologie 2026-12-01 08:00 → 2026-12-01 20:00",
			"pediatrie 2026-12-01 08:00 → 2026-12-01 20:00",
		}},
	}
	for _, c := range cases {
		gaps, err := f.store.Gaps(f.ctx, f.terr.ID, f.at(t, c.from), c.days)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := show(gaps); !equalStrings(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}

	// An override at rank 1 is cover.
	_, err = f.store.AddOverride(f.ctx, f.terr.ID, NewOverride{SpecialtyID: f.specialty(t, "pediatrie"),
		RPPS: "10002000064", Start: f.at(t, "2026-11-25 12:00"), End: f.at(t, "2026-11-25 13:00"), Rank: 1})
	if err != nil {
		t.Fatal(err)
	}
	gaps, err := f.store.Gaps(f.ctx, f.terr.ID, f.at(t, "2026-11-25 00:00"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := show(gaps), []string{"pediatrie 2026-11-25 13:00 → 2026-11-25 14:00"}; !equalStrings(got, want) {
		t.Errorf("with an override: got %q want %q", got, want)
	}
	if _, err := f.store.Gaps(f.ctx, f.terr.ID, f.at(t, "2026-11-25 00:00"), 0); err == nil {
		t.Error("days 0 accepted")
	}
}

func TestSubtract(t *testing.T) {
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }
	open := []interval{{h(8), h(20)}, {h(32), h(36)}}
	cover := []interval{{h(0), h(9)}, {h(10), h(12)}, {h(11), h(15)}, {h(19), h(33)}}
	got := subtract(open, cover)
	want := []interval{{h(9), h(10)}, {h(15), h(19)}, {h(33), h(36)}}
	if len(got) != len(want) {
		t.Fatalf("got %v want %v", got, want)
	}
	for i := range got {
		if !got[i].start.Equal(want[i].start) || !got[i].end.Equal(want[i].end) {
			t.Errorf("gap %d: got %v want %v", i, got[i], want[i])
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
