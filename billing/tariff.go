package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/roster/oncall"
)

// Tariff is one version of an act's amount.
type Tariff struct {
	Code        string
	Role        oncall.Role
	AmountCents int
	Label       string
	ValidFrom   time.Time // a date (UTC midnight)
	ValidTo     time.Time // inclusive; zero while in force
	Note        string
}

// ValidOn tells whether the tariff applies on the given calendar day.
func (t Tariff) ValidOn(year int, month time.Month, day int) bool {
	d := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return !d.Before(t.ValidFrom) && (t.ValidTo.IsZero() || !d.After(t.ValidTo))
}

// Tariffs lists every version of every act, by code then date.
func (s *Store) Tariffs(ctx context.Context) ([]Tariff, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, role, amount_cents, label, valid_from, valid_to, note
		FROM act_tariff ORDER BY code, role, valid_from`)
	if err != nil {
		return nil, fmt.Errorf("tariffs: %w", err)
	}
	tariffs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Tariff, error) {
		var t Tariff
		var role string
		var to *time.Time
		err := row.Scan(&t.Code, &role, &t.AmountCents, &t.Label, &t.ValidFrom, &to, &t.Note)
		t.Role = oncall.Role(role)
		if to != nil {
			t.ValidTo = *to
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("tariffs: %w", err)
	}
	return tariffs, nil
}

// AmountOn finds the amount of an act on the day t falls on in loc; ok is
// false when no version applies.
func AmountOn(tariffs []Tariff, code string, role oncall.Role, t time.Time, loc *time.Location) (cents int, ok bool) {
	tf, ok := tariffOn(tariffs, code, role, t, loc)
	return tf.AmountCents, ok
}

// tariffOn finds the version of an act in force on the day t falls on in
// loc.
func tariffOn(tariffs []Tariff, code string, role oncall.Role, t time.Time, loc *time.Location) (Tariff, bool) {
	local := t.In(loc)
	for _, tf := range tariffs {
		if tf.Code == code && tf.Role == role && tf.ValidOn(local.Year(), local.Month(), local.Day()) {
			return tf, true
		}
	}
	return Tariff{}, false
}
