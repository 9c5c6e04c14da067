package oncall

import (
	"testing"
	"time"
)

func TestPublicHolidays(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	_ = paris
	for _, d := range []string{"2026-04-06", "2026-05-14", "2026-05-25", "2027-03-29", "2026-11-11", "2026-12-25"} {
		day, _ := time.Parse("2006-01-02", d)
		if !IsPublicHoliday(day.Year(), day.Month(), day.Day()) {
			t.Errorf("%s should be a public holiday", d)
		}
	}
	for _, d := range []string{"2026-04-05", "2026-11-23", "2026-05-13"} {
		day, _ := time.Parse("2006-01-02", d)
		if IsPublicHoliday(day.Year(), day.Month(), day.Day()) {
			t.Errorf("%s is not a public holiday", d)
		}
	}
}

func TestOpenAt(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	span, err := ParseSpan("08:00", "20:00")
	if err != nil {
		t.Fatal(err)
	}
	var h OpeningHours
	for wd := time.Monday; wd <= time.Friday; wd++ {
		h.Weekly[wd] = []Span{span}
	}
	at := func(s string) time.Time {
		tt, _ := time.ParseInLocation("2006-01-02 15:04", s, paris)
		return tt
	}
	cases := map[string]bool{
		"2026-11-23 08:00": true, "2026-11-23 07:59": false, "2026-11-23 19:59": true,
		"2026-11-23 20:00": false, "2026-11-22 12:00": false, // Sunday
		"2026-11-11 12:00": false, // Armistice, closed on holidays
	}
	for s, want := range cases {
		if got := h.OpenAt(at(s), paris); got != want {
			t.Errorf("OpenAt(%s) = %v", s, got)
		}
	}
	// UTC instants are judged in local time.
	if !h.OpenAt(time.Date(2026, 11, 23, 7, 30, 0, 0, time.UTC), paris) {
		t.Error("07:30 UTC is 08:30 in Paris in November")
	}
	if _, err := ParseSpan("20:00", "08:00"); err == nil {
		t.Error("a span crossing midnight must be refused")
	}
}
