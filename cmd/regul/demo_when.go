package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// demoSampleDay is the Monday of the sample roster's week
// (testdata/roster.csv): the scripted calls expect its 10:00 chain
// (cardiology: Claire MARTIN rank 1, Hugo BERNARD rank 2; dermatology:
// Louis DURAND alone).
var demoSampleDay = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// demoLead is how long before now the demo's calls begin when the line is
// open then: the console shows them as this morning's or this afternoon's.
const demoLead = 20 * time.Minute

// demoMoment is when the demo's calls take place, so that the console
// looks like a normal day: demoLead before now when the line is open for
// the calls' quarter of an hour, else 10:00 on the latest day (today first)
// the line is open at 10:00 and that is already past.
func demoMoment(now time.Time, hours oncall.OpeningHours, loc *time.Location) time.Time {
	now = now.In(loc)
	open := func(t time.Time) bool { return hours.OpenAt(t, loc) && hours.OpenAt(t.Add(15*time.Minute), loc) }
	if t := now.Add(-demoLead).Truncate(time.Minute); open(t) {
		return t
	}
	for d := 0; d <= 14; d++ {
		day := now.AddDate(0, 0, -d)
		t := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, loc)
		if open(t) && t.Add(15*time.Minute).Before(now) {
			return t
		}
	}
	return time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, loc)
}

// demoStartOf is --at, or demoMoment of now in the sample territory's
// hours.
func demoStartOf(o demoOptions) (time.Time, error) {
	spec, err := roster.LoadTerritorySpec(filepath.Join(o.data, "territory.yaml"))
	if err != nil {
		return time.Time{}, err
	}
	loc := mustParis()
	if spec.Timezone != "" {
		if loc, err = time.LoadLocation(spec.Timezone); err != nil {
			return time.Time{}, err
		}
	}
	if o.at != "" {
		t, err := time.ParseInLocation("2006-01-02 15:04", o.at, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf(`--at %q: want "YYYY-MM-DD HH:MM"`, o.at)
		}
		return t, nil
	}
	return demoMoment(time.Now(), spec.Hours, loc), nil
}
