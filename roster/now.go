package roster

import (
	"context"
	"fmt"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
)

// handoverHorizon bounds the search for the next handover: a specialty
// whose chain does not change within it shows none.
const handoverHorizon = 8 * 24 * time.Hour

// DutyNow is one specialty's chain at an instant and its next change.
type DutyNow struct {
	Specialty oncall.Specialty
	Chain     []oncall.Candidate // calling order, fallback line last
	// Handover is the next instant the chain changes (a shift or an
	// override starts or ends), zero when none within 8 days; Next is the
	// chain from then.
	Handover time.Time
	Next     []oncall.Candidate
}

// DutyBoard returns, for each of the territory's specialties in menu
// order, who answers at the instant and the next handover.
func (s *Store) DutyBoard(ctx context.Context, territoryID int64, at time.Time) ([]DutyNow, error) {
	terr, err := s.shiftTerritoryByID(ctx, s.pool, territoryID)
	if err != nil {
		return nil, fmt.Errorf("duty board: %w", err)
	}
	out := make([]DutyNow, 0, len(terr.Specialties))
	for _, sp := range terr.Specialties {
		d := DutyNow{Specialty: sp}
		if d.Chain, err = OnDutyIn(ctx, s.pool, territoryID, sp.ID, at); err != nil {
			return nil, fmt.Errorf("duty board %s: %w", sp.Slug, err)
		}
		var next *time.Time
		// The next bound of a span of the specialty after the instant: a
		// start to come or the end of one in progress.
		err := s.pool.QueryRow(ctx, `
			SELECT min(t) FROM (
			  SELECT CASE WHEN lower(during) > $3 THEN lower(during) ELSE upper(during) END AS t
			    FROM shift WHERE territory_id = $1 AND specialty_id = $2 AND during && tstzrange($3, $4)
			  UNION ALL
			  SELECT CASE WHEN lower(during) > $3 THEN lower(during) ELSE upper(during) END
			    FROM override WHERE territory_id = $1 AND specialty_id = $2 AND during && tstzrange($3, $4)
			) x WHERE t > $3 AND t <= $4`, territoryID, sp.ID, at, at.Add(handoverHorizon)).Scan(&next)
		if err != nil {
			return nil, fmt.Errorf("duty board %s: next handover: %w", sp.Slug, err)
		}
		if next != nil {
			d.Handover = *next
			if d.Next, err = OnDutyIn(ctx, s.pool, territoryID, sp.ID, *next); err != nil {
				return nil, fmt.Errorf("duty board %s: %w", sp.Slug, err)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// GPsWithoutPIN counts the territory's enrolled GPs who have no PIN while
// its policy asks for one: they cannot get through the line.
func (s *Store) GPsWithoutPIN(ctx context.Context, territoryID int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FROM enrolment e JOIN territory t ON t.id = e.territory_id
		 WHERE e.territory_id = $1 AND e.role = 'requerant' AND e.pin_hash IS NULL
		   AND t.identification_policy <> 'rpps'`, territoryID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("GPs without PIN: %w", err)
	}
	return n, nil
}
