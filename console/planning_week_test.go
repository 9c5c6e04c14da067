package console

import (
	"testing"
	"time"
)

func TestParseISOWeek(t *testing.T) {
	for _, c := range []struct {
		in      string
		monday  civilDate
		heading string
	}{
		{"2026-W48", civilDate{2026, time.November, 23}, "du lundi 23 au dimanche 29 novembre 2026"},
		{"2026-w01", civilDate{2025, time.December, 29}, "du lundi 29 décembre 2025 au dimanche 4 janvier 2026"},
		{"2026-W53", civilDate{2026, time.December, 28}, "du lundi 28 décembre 2026 au dimanche 3 janvier 2027"},
		{"2026-W44", civilDate{2026, time.October, 26}, "du lundi 26 octobre au dimanche 1er novembre 2026"},
	} {
		got, err := parseISOWeek(c.in)
		if err != nil || got != c.monday {
			t.Errorf("%s: %v %v, want %v", c.in, got, err, c.monday)
			continue
		}
		if h := weekHeading(got, got.addDays(6)); h != c.heading {
			t.Errorf("%s: heading %q, want %q", c.in, h, c.heading)
		}
		if got.isoWeek() != "2026-W"+c.in[6:] && c.in != "2026-w01" {
			t.Errorf("%s: round trip %s", c.in, got.isoWeek())
		}
	}
	for _, bad := range []string{"", "2027-W53", "2026-W00", "2026-48", "26-W48", "2026-W4"} {
		if _, err := parseISOWeek(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFormLocalTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-25T12:00":    "2026-11-25 12:00",
		"2026-11-25T12:00:00": "2026-11-25 12:00",
		"2026-11-25 12:00":    "2026-11-25 12:00",
		" demain ":            "demain",
	} {
		if got := formLocalTime(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
