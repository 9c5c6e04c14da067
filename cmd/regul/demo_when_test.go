package main

import (
	"testing"
	"time"

	"github.com/regul-sante/regul/roster"
)

func TestDemoMoment(t *testing.T) {
	spec, err := roster.LoadTerritorySpec("../../testdata/territory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	paris := mustParis()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ now, want string }{
		{"2026-12-03 15:42", "2026-12-03 15:22"}, // a Thursday afternoon: 20 minutes ago
		{"2026-12-03 21:30", "2026-12-03 10:00"}, // closed since 20:00: this morning
		{"2026-12-03 07:10", "2026-12-02 10:00"}, // not open yet: yesterday morning
		{"2026-12-06 15:00", "2026-12-05 10:00"}, // a Sunday: Saturday morning
		{"2026-12-25 11:00", "2026-12-24 10:00"}, // Christmas Day is closed: the day before
	} {
		got := demoMoment(at(c.now), spec.Hours, paris).Format("2006-01-02 15:04")
		if got != c.want {
			t.Errorf("now %s: calls at %s, want %s", c.now, got, c.want)
		}
	}
}
