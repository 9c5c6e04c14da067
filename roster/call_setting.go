package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/roster/oncall"
)

// CallSetting is what the roster knows around a call, for the messages and
// link pages about it: its territory, its specialty and its GP.
type CallSetting struct {
	TerritoryFound   bool // false: the territory is unknown, the fields below empty
	Territory        string
	CoordinatorPhone string
	Location         *time.Location // Europe/Paris when unknown
	GPTrace          bool           // the territory sends GPs the written trace
	VideoURLTemplate string         // the territory's video room URL, "{ref}" for the reference
	Specialty        string         // label; "" when unknown
	GPFirst, GPLast  string
	GPPhones         []string // the GP's enrolled phones in the territory
}

// CallSettingIn reads a call's setting through db (the store's own pool,
// or the transaction that projects the call's events), in one query.
func (s *Store) CallSettingIn(ctx context.Context, db Querier, territoryID, specialtyID int64, gpRPPS string) (CallSetting, error) {
	rows, err := db.Query(ctx, `
		SELECT t.id IS NOT NULL, coalesce(t.name, ''), coalesce(t.coordinator_phone, ''), coalesce(t.timezone, 'Europe/Paris'),
		       coalesce(t.gp_trace, false), coalesce(t.video_url_template, ''),
		       coalesce((SELECT label FROM specialty WHERE id = $2), ''),
		       coalesce(p.first_name, ''), coalesce(p.last_name, ''),
		       coalesce((SELECT phones FROM enrolment WHERE territory_id = $1 AND rpps = $3 AND role = 'requerant'), '{}')
		  FROM (SELECT 1) one
		  LEFT JOIN territory t ON t.id = $1
		  LEFT JOIN practitioner p ON p.rpps = $3`, territoryID, specialtyID, gpRPPS)
	if err != nil {
		return CallSetting{}, fmt.Errorf("setting of a call of territory %d: %w", territoryID, err)
	}
	var tz string
	set, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (CallSetting, error) {
		var c CallSetting
		err := row.Scan(&c.TerritoryFound, &c.Territory, &c.CoordinatorPhone, &tz, &c.GPTrace, &c.VideoURLTemplate,
			&c.Specialty, &c.GPFirst, &c.GPLast, &c.GPPhones)
		return c, err
	})
	if err != nil {
		return CallSetting{}, fmt.Errorf("setting of a call of territory %d: %w", territoryID, err)
	}
	if set.Location, err = loadLocation(tz); err != nil {
		set.Location = time.UTC
	}
	return set, nil
}

// EnrolledPhonesIn reads the phones of a practitioner's enrolment in a
// territory, in a role (and, for a specialist, in a specialty), through
// db; none when not enrolled.
func (s *Store) EnrolledPhonesIn(ctx context.Context, db Querier, territoryID int64, rpps string, role oncall.Role, specialtyID int64) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT phones FROM enrolment WHERE territory_id = $1 AND rpps = $2 AND role = $3
		AND ($3 = 'requerant' OR specialty_id = $4)`, territoryID, rpps, string(role), specialtyID)
	if err != nil {
		return nil, fmt.Errorf("phones of %s: %w", rpps, err)
	}
	phones, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[[]string])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("phones of %s: %w", rpps, err)
	}
	return phones, nil
}
