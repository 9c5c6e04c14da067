package sample

import "time"

// Paris is the sample territory's time zone.
var Paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err) // tzdata is embedded in the binaries; this cannot fail
	}
	return loc
}()

// MondayMorning is inside the sample territory's opening hours and inside
// testdata/roster.csv's week: cardiologie rank 1 MARTIN, rank 2 BERNARD,
// then the hospital line.
var MondayMorning = time.Date(2026, 11, 23, 10, 0, 0, 0, Paris)
