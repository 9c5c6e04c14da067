package oncall

import (
	"fmt"
	"time"
)

// Span is a part of a day in local wall-clock minutes since midnight;
// End may be 24*60. A span never crosses midnight: a night is two spans.
type Span struct {
	Start, End int
}

// ParseSpan reads "08:00-20:00" style text ("24:00" allowed as an end).
func ParseSpan(from, to string) (Span, error) {
	s, err := parseClock(from)
	if err != nil {
		return Span{}, err
	}
	e, err := parseClock(to)
	if err != nil {
		return Span{}, err
	}
	if e <= s {
		return Span{}, fmt.Errorf("%s-%s: end is not after start (split a night into two days)", from, to)
	}
	return Span{Start: s, End: e}, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); n != 2 || err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return h*60 + m, nil
}

func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.Start/60, s.Start%60, s.End/60, s.End%60)
}

// OpeningHours says when the line takes calls, in the territory's time.
type OpeningHours struct {
	Weekly       [7][]Span // indexed by time.Weekday
	HolidaysOpen bool      // on French public holidays: open with HolidayHours
	HolidayHours []Span
}

// OpenAt reports whether the line is open at t (t is converted to loc).
func (h OpeningHours) OpenAt(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	spans := h.SpansOn(lt.Year(), lt.Month(), lt.Day())
	minute := lt.Hour()*60 + lt.Minute()
	for _, s := range spans {
		if minute >= s.Start && minute < s.End {
			return true
		}
	}
	return false
}

// SpansOn returns the opening spans of a local calendar day.
func (h OpeningHours) SpansOn(y int, m time.Month, d int) []Span {
	if IsPublicHoliday(y, m, d) {
		if h.HolidaysOpen {
			return h.HolidayHours
		}
		return nil
	}
	wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()
	return h.Weekly[wd]
}

// IsPublicHoliday reports the French national public holidays (jours fériés
// of the Code du travail, art. L3133-1), Easter-based ones included.
func IsPublicHoliday(y int, m time.Month, d int) bool {
	switch {
	case m == time.January && d == 1, m == time.May && d == 1, m == time.May && d == 8,
		m == time.July && d == 14, m == time.August && d == 15, m == time.November && d == 1,
		m == time.November && d == 11, m == time.December && d == 25:
		return true
	}
	easter := easterSunday(y)
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for _, offset := range []int{1, 39, 50} { // lundi de Pâques, Ascension, lundi de Pentecôte
		if day.Equal(easter.AddDate(0, 0, offset)) {
			return true
		}
	}
	return false
}

// easterSunday uses the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func easterSunday(y int) time.Time {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}
