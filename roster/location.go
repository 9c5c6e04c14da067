package roster

import (
	"sync"
	"time"
)

// locations caches time zones by name: time.LoadLocation parses the zone's
// data on every call, and the SMS of each call read their territory's.
var locations sync.Map // name → *time.Location

// loadLocation is time.LoadLocation, once per name and process.
func loadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}
