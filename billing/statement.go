package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/roster/oncall"
)

// ErrNotFound: the territory does not exist, or is outside the store's
// scope (WithinTerritories).
var ErrNotFound = errors.New("billing: territory not found")

// Store prices the acts of the calls: the tariffs are its own, the calls
// and the practitioners it asks their owners for.
type Store struct {
	pool      *pgxpool.Pool
	calls     Calls
	directory Directory
	// scope, when not nil, is the only territories this store answers for:
	// the console passes a coordinator's territories, so another
	// territory's statement is refused in SQL, not only in the page.
	scope []int64
}

// NewStore returns a store on an open pool, answering for every territory.
func NewStore(pool *pgxpool.Pool, src Sources) *Store {
	return &Store{pool: pool, calls: src.Calls, directory: src.Directory}
}

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
