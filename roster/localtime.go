package roster

import (
	"fmt"
	"time"
)

// LocalLayout is how rosters are written and shown: wall-clock time in the
// territory's time zone, to the minute.
const LocalLayout = "2006-01-02 15:04"

// LocalTimeError says why a wall-clock time cannot be placed on the
// timeline of a time zone.
type LocalTimeError struct {
	Input  string
	Zone   string
	Reason string
}

func (e *LocalTimeError) Error() string {
	return fmt.Sprintf("%q %s", e.Input, e.Reason)
}

// ParseLocal reads "YYYY-MM-DD HH:MM" as wall-clock time in loc.
//
// Daylight-saving changes are handled deliberately rather than left to
// time.Date, whose choice in those cases is unspecified:
//   - a time that does not exist (the hour skipped when clocks go forward,
//     02:00–03:00 on the last Sunday of March in Europe/Paris) is an error;
//   - a time that occurs twice (the hour repeated when clocks go back,
//     02:00–03:00 on the last Sunday of October) is read as its FIRST
//     occurrence, still on summer time. This holds for a shift's start and
//     for its end alike, so "2026-10-25 02:30" always means 00:30 UTC.
func ParseLocal(s string, loc *time.Location) (time.Time, error) {
	wall, err := time.ParseInLocation(LocalLayout, s, time.UTC)
	if err != nil {
		return time.Time{}, &LocalTimeError{Input: s, Zone: loc.String(), Reason: "is not a time written YYYY-MM-DD HH:MM"}
	}
	return placeWallClock(wall, loc, s)
}

// placeWallClock finds the instants whose wall clock in loc reads like
// wall (given in UTC fields). The offsets in force twelve hours either side
// are the only candidates: zones change offset at most once a day.
func placeWallClock(wall time.Time, loc *time.Location, input string) (time.Time, error) {
	var found []time.Time
	for _, probe := range []time.Time{wall.Add(-12 * time.Hour), wall.Add(12 * time.Hour)} {
		_, offset := probe.In(loc).Zone()
		candidate := wall.Add(-time.Duration(offset) * time.Second).In(loc)
		if sameWallClock(candidate, wall) && (len(found) == 0 || !found[0].Equal(candidate)) {
			found = append(found, candidate)
		}
	}
	switch len(found) {
	case 0:
		return time.Time{}, &LocalTimeError{Input: input, Zone: loc.String(),
			Reason: fmt.Sprintf("does not exist in %s (clocks go forward over it)", loc)}
	case 1:
		return found[0], nil
	default:
		if found[1].Before(found[0]) {
			return found[1], nil
		}
		return found[0], nil
	}
}

func sameWallClock(t, wall time.Time) bool {
	y, m, d := t.Date()
	wy, wm, wd := wall.Date()
	return y == wy && m == wm && d == wd && t.Hour() == wall.Hour() && t.Minute() == wall.Minute() && t.Second() == wall.Second()
}

// LocalDate returns local midnight of a calendar day in loc. Should midnight
// itself be skipped by a daylight-saving change (not in Europe/Paris), the
// day starts at the first instant after the gap.
func LocalDate(y int, m time.Month, d int, loc *time.Location) time.Time {
	return LocalClock(y, m, d, 0, loc)
}

// LocalClock returns the instant a local day reaches minute (0–1440) of its
// wall clock; 1440 is the next day's midnight. An ambiguous minute is its
// first occurrence (as ParseLocal reads it); a minute inside a
// spring-forward gap is read with the offset in force before the change, so
// 02:30 on that day is 03:30 after it.
func LocalClock(y int, m time.Month, d int, minute int, loc *time.Location) time.Time {
	wall := time.Date(y, m, d, 0, minute, 0, 0, time.UTC)
	t, err := placeWallClock(wall, loc, "")
	if err == nil {
		return t
	}
	_, before := wall.Add(-12 * time.Hour).In(loc).Zone()
	return wall.Add(-time.Duration(before) * time.Second).In(loc)
}

// FormatLocal shows t as a roster does: wall-clock time in loc.
func FormatLocal(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(LocalLayout)
}

// FormatSpan shows [start, end) as "2026-11-23 20:00 → 2026-11-24 08:00".
func FormatSpan(start, end time.Time, loc *time.Location) string {
	return FormatLocal(start, loc) + " → " + FormatLocal(end, loc)
}
