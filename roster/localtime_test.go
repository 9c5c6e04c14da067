package roster

import (
	"errors"
	"testing"
	"time"
)

func TestParseLocalAcrossDaylightSaving(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in      string
		wantUTC string // "" for an error
	}{
		{"2026-11-23 20:00", "2026-11-23T19:00:00Z"},
		{"2026-07-01 08:00", "2026-07-01T06:00:00Z"},
		// Autumn: 02:00–03:00 happens twice; the first (summer time) is chosen.
		{"2026-10-25 01:59", "2026-10-24T23:59:00Z"},
		{"2026-10-25 02:00", "2026-10-25T00:00:00Z"},
		{"2026-10-25 02:30", "2026-10-25T00:30:00Z"},
		{"2026-10-25 03:00", "2026-10-25T02:00:00Z"},
		// Spring: 02:00–03:00 does not exist.
		{"2027-03-28 01:59", "2027-03-28T00:59:00Z"},
		{"2027-03-28 02:00", ""},
		{"2027-03-28 02:59", ""},
		{"2027-03-28 03:00", "2027-03-28T01:00:00Z"},
		{"2026-13-01 08:00", ""},
		{"2026-11-23T20:00", ""},
	}
	for _, c := range cases {
		got, err := ParseLocal(c.in, paris)
		if c.wantUTC == "" {
			var lte *LocalTimeError
			if !errors.As(err, &lte) {
				t.Errorf("ParseLocal(%q) = %v, %v; want a *LocalTimeError", c.in, got, err)
			}
			continue
		}
		if err != nil || got.UTC().Format(time.RFC3339) != c.wantUTC {
			t.Errorf("ParseLocal(%q) = %v, %v; want %s", c.in, got.UTC(), err, c.wantUTC)
		}
	}
}

func TestLocalClock(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	// The autumn Sunday lasts 25 hours, the spring one 23.
	if d := LocalClock(2026, 10, 25, 1440, paris).Sub(LocalDate(2026, 10, 25, paris)); d != 25*time.Hour {
		t.Errorf("2026-10-25 lasts %v, want 25h", d)
	}
	if d := LocalClock(2027, 3, 28, 1440, paris).Sub(LocalDate(2027, 3, 28, paris)); d != 23*time.Hour {
		t.Errorf("2027-03-28 lasts %v, want 23h", d)
	}
	if got := LocalClock(2027, 3, 28, 150, paris).UTC().Format(time.RFC3339); got != "2027-03-28T01:30:00Z" {
		t.Errorf("02:30 in the spring gap = %s, want 03:30 CEST (01:30Z)", got)
	}
}
