package calllog

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/regul-sante/regul/calllog/callevent"
)

// refTerritory is the territory claimReference sets for ev: none for
// call_started (the reference only).
func refTerritory(ev callevent.Event) int64 {
	if ev.Kind == callevent.CallStarted {
		return 0
	}
	return ev.TerritoryID
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullIfZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// permanent tells an error that replaying will never cure (bad data, a
// constraint the event breaks) from one that waiting will (the database
// down, a lost connection).
func permanent(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code[:2] {
	case "22", // data exception: a malformed uuid, a value out of range
		"23": // integrity constraint violation: a CHECK the event breaks
		return true
	}
	return false
}
