package billing

import (
	"context"
	"fmt"

	"github.com/regul-sante/regul/calllog"
)

// CallActs lists the candidate acts of one call of its territory, as the
// statement of the call's month lists them: it runs the statement's query
// over the call's week, so that a weekly cap counts the practitioner's
// earlier acts of that week in the territory exactly as the statement does.
// A call outside the store's scope is ErrNotFound.
func (s *Store) CallActs(ctx context.Context, rec calllog.CallRecord) ([]Line, error) {
	loc, err := s.territoryLocation(ctx, rec.TerritoryID)
	if err != nil {
		return nil, err
	}
	// Caps only ever remove acts: a call the rules give nothing needs no
	// query.
	if len(ActsForCall(rec, nil)) == 0 {
		return nil, nil
	}
	week := WeekStart(rec.StartedAt, loc)
	lines, err := s.lines(ctx, actWindow{territoryID: rec.TerritoryID, loc: loc,
		capFrom: week, from: week, to: week.AddDate(0, 0, 7), callID: rec.ID})
	if err != nil {
		return nil, fmt.Errorf("billing acts of call %s: %w", rec.ID, err)
	}
	return lines, nil
}
