package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/roster/oncall"
)

// ErrNotFound: the territory does not exist, or is outside the store's
// scope (WithinTerritories).
var ErrNotFound = errors.New("billing: territory not found")

// Store reads call outcomes and tariffs from PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// scope, when not nil, is the only territories this store answers for:
	// the console passes a coordinator's territories, so another
	// territory's statement is refused in SQL, not only in the page.
	scope []int64
}

// NewStore returns a store on an open pool, answering for every territory.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// WithinTerritories returns a store that answers only for these
// territories; any other is ErrNotFound.
func (s *Store) WithinTerritories(ids []int64) *Store {
	scoped := *s
	scoped.scope = append([]int64{}, ids...)
	return &scoped
}

// Line is one candidate act of a statement.
type Line struct {
	RPPS        string
	LastName    string // empty when the RPPS is not in the directory
	FirstName   string
	Role        oncall.Role
	Code        string
	Label       string
	CallID      string
	Reference   string    // the call's « Réf. », as stored
	At          time.Time // the call's start, in the territory's time zone
	AmountCents int
	// Priced is false when no tariff of the act is valid on the call's
	// date: the act is listed, its amount left for the biller.
	Priced bool
}

// Statement is a territory's candidate acts of one month.
type Statement struct {
	TerritoryID int64
	Month       Month
	Location    *time.Location
	Lines       []Line // by practitioner (name, RPPS), role, then call time
}

// TotalCents is the sum of the priced lines.
func (s Statement) TotalCents() int {
	total := 0
	for _, l := range s.Lines {
		total += l.AmountCents
	}
	return total
}

// Statement lists the candidate acts of the calls that started in the
// month (territory time), per practitioner, with the amount of the tariff
// valid on each call's date. The weekly caps are counted over whole weeks,
// including the days of the first week that fall in the previous month.
func (s *Store) Statement(ctx context.Context, territoryID int64, month Month) (Statement, error) {
	loc, err := s.territoryLocation(ctx, territoryID)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{TerritoryID: territoryID, Month: month, Location: loc}
	start, end := month.Start(loc), month.End(loc)
	// The cap counts from the Monday of the month's first week.
	st.Lines, err = s.lines(ctx, actWindow{territoryID: territoryID, loc: loc,
		capFrom: WeekStart(start, loc), from: start, to: end})
	if err != nil {
		return st, fmt.Errorf("billing statement %d %s: %w", territoryID, month, err)
	}
	return st, nil
}

// actWindow is what lines lists: the acts of the calls that started in
// [from, to), counting the weekly caps from capFrom (a Monday at or before
// from); callID, when set, keeps only that call's acts.
type actWindow struct {
	territoryID       int64
	loc               *time.Location
	capFrom, from, to time.Time
	callID            string
}

// lines is the one query that turns outcomes into priced acts, for a
// month's statement and for a single call alike: the rules travel as
// arrays, the weekly caps are counted over whole weeks.
func (s *Store) lines(ctx context.Context, w actWindow) ([]Line, error) {
	var (
		outcomes, roles, codes, labels []string
		maxDelays, caps                []int32
	)
	for _, r := range Rules() {
		outcomes = append(outcomes, string(r.Outcome))
		roles = append(roles, string(r.Role))
		codes = append(codes, r.Code)
		labels = append(labels, r.Label)
		maxDelays = append(maxDelays, int32(r.MaxDelayHours))
		caps = append(caps, int32(r.WeeklyCap))
	}
	var callID *string
	if w.callID != "" {
		callID = &w.callID
	}
	rows, err := s.pool.Query(ctx, `
		WITH rules AS (
		    SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[])
		        AS r(outcome, role, code, label, max_delay, weekly_cap)
		), acts AS (
		    SELECT c.id, coalesce(c.reference, '') AS reference, c.started_at, r.role, r.code, r.label, r.weekly_cap,
		           CASE r.role WHEN 'requis' THEN c.specialist_rpps ELSE c.gp_rpps END AS rpps
		      FROM call c
		      JOIN outcome o ON o.call_id = c.id AND o.status = 'keyed'
		      JOIN rules r ON r.outcome = o.outcome
		                  AND (r.max_delay = 0 OR (o.delay_hours > 0 AND o.delay_hours <= r.max_delay))
		     WHERE c.territory_id = $1 AND c.result = 'bridged'
		       AND c.started_at >= $2 AND c.started_at < $4
		), ranked AS (
		    SELECT a.*, CASE WHEN a.weekly_cap = 0 THEN 0 ELSE
		               row_number() OVER (PARTITION BY a.rpps, a.code, date_trunc('week', a.started_at AT TIME ZONE $11)
		                                  ORDER BY a.started_at, a.id) END AS nth
		      FROM acts a WHERE a.rpps IS NOT NULL
		)
		SELECT k.rpps, coalesce(p.last_name, ''), coalesce(p.first_name, ''), k.role, k.code,
		       coalesce(t.label, k.label), k.id::text, k.reference, k.started_at, coalesce(t.amount_cents, 0), t.id IS NOT NULL
		  FROM ranked k
		  LEFT JOIN practitioner p ON p.rpps = k.rpps
		  LEFT JOIN act_tariff t ON t.code = k.code AND t.role = k.role
		        AND (k.started_at AT TIME ZONE $11)::date BETWEEN t.valid_from AND coalesce(t.valid_to, 'infinity')
		 WHERE k.started_at >= $3 AND (k.weekly_cap = 0 OR k.nth <= k.weekly_cap)
		   AND ($12::uuid IS NULL OR k.id = $12::uuid)
		 ORDER BY p.last_name NULLS LAST, p.first_name, k.rpps, k.role, k.started_at, k.code`,
		w.territoryID, w.capFrom, w.from, w.to, outcomes, roles, codes, labels, maxDelays, caps, w.loc.String(), callID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Line, error) {
		var l Line
		var role string
		err := row.Scan(&l.RPPS, &l.LastName, &l.FirstName, &role, &l.Code, &l.Label, &l.CallID, &l.Reference, &l.At, &l.AmountCents, &l.Priced)
		l.Role = oncall.Role(role)
		l.At = l.At.In(w.loc)
		return l, err
	})
}

// territoryLocation reads a territory's time zone, within the scope.
func (s *Store) territoryLocation(ctx context.Context, territoryID int64) (*time.Location, error) {
	var tz string
	err := s.pool.QueryRow(ctx, `SELECT timezone FROM territory
		WHERE id = $1 AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`, territoryID, s.scope).Scan(&tz)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("territory %d: %w", territoryID, err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("territory %d: time zone %q: %w", territoryID, tz, err)
	}
	return loc, nil
}
