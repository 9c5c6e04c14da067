package roster

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/roster/oncall"
)

// onDutySQL resolves the chain in one statement. For each rank held at the
// instant, an override wins over the shift (DISTINCT ON keeps the first row
// per rank, overrides sorting first); phones come from the specialist's
// requis enrolment for the specialty, else from the directory. The
// specialty's fallback line comes last. Both lookups are served by the GiST
// indexes on (specialty_id, during).
const onDutySQL = `
WITH held AS (
    SELECT rank, rpps, 0 AS pri FROM override
     WHERE specialty_id = $2 AND territory_id = $1 AND during @> $3::timestamptz
    UNION ALL
    SELECT rank, rpps, 1 FROM shift
     WHERE specialty_id = $2 AND territory_id = $1 AND during @> $3::timestamptz
), chain AS (
    SELECT DISTINCT ON (rank) rank, rpps FROM held ORDER BY rank, pri
)
SELECT c.rank::int, c.rpps, p.last_name, p.first_name,
       COALESCE(NULLIF(e.phones, '{}'), p.phones), false, ''
  FROM chain c
  JOIN practitioner p ON p.rpps = c.rpps
  LEFT JOIN enrolment e ON e.territory_id = $1 AND e.rpps = c.rpps
                       AND e.role = 'requis' AND e.specialty_id = $2
UNION ALL
SELECT 0, '', '', '', ARRAY[sp.fallback_phone], true, COALESCE(sp.fallback_label, '')
  FROM specialty sp
 WHERE sp.id = $2 AND sp.territory_id = $1 AND COALESCE(sp.fallback_phone, '') <> ''
ORDER BY 6, 1`

// OnDuty returns the escalation chain of a territory's specialty at an
// instant, in calling order: for each rank held (ascending), the specialist
// of the override holding it if any, else of the shift; then the specialty's
// fallback line (Fallback set, Rank 0) when it has one. A specialist holding
// two ranks appears once, at the first. Each candidate's Phones are those of
// their requis enrolment for the specialty, else their directory phones.
//
// Nobody on duty and no fallback gives an empty chain and a nil error:
// callers check its length.
func (s *Store) OnDuty(ctx context.Context, territoryID, specialtyID int64, at time.Time) ([]oncall.Candidate, error) {
	return OnDutyIn(ctx, s.pool, territoryID, specialtyID, at)
}

// Querier is a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// OnDutyIn is OnDuty read through db, e.g. inside a transaction that writes
// what follows from the chain (the SMS of a callback request).
func OnDutyIn(ctx context.Context, db Querier, territoryID, specialtyID int64, at time.Time) ([]oncall.Candidate, error) {
	rows, err := db.Query(ctx, onDutySQL, territoryID, specialtyID, at)
	if err != nil {
		return nil, fmt.Errorf("on duty for specialty %d at %s: %w", specialtyID, at.Format(time.RFC3339), err)
	}
	defer rows.Close()
	chain := make([]oncall.Candidate, 0, 4)
	seen := make(map[string]bool, 4)
	for rows.Next() {
		var c oncall.Candidate
		if err := rows.Scan(&c.Rank, &c.RPPS, &c.LastName, &c.FirstName, &c.Phones, &c.Fallback, &c.Label); err != nil {
			return nil, fmt.Errorf("on duty for specialty %d: %w", specialtyID, err)
		}
		if !c.Fallback {
			if seen[c.RPPS] {
				continue
			}
			seen[c.RPPS] = true
		}
		chain = append(chain, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("on duty for specialty %d: %w", specialtyID, err)
	}
	return chain, nil
}
