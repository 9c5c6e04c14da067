package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/regul-sante/regul/roster"
)

// lines turns the outcomes of a window's calls into priced acts, for a
// month's statement and for a single call alike: ActsForCall applies the
// rules, the weekly caps counting every act of the week from capFrom.
func (s *Store) lines(ctx context.Context, w actWindow) ([]Line, error) {
	calls, err := s.calls.BillableCalls(ctx, w.territoryID, w.capFrom, w.to)
	if err != nil {
		return nil, err
	}
	tariffs, err := s.Tariffs(ctx)
	if err != nil {
		return nil, err
	}
	type capKey struct {
		rpps, code string
		week       int64
	}
	used := map[capKey]int{}
	capped := map[string]bool{}
	for _, r := range Rules() {
		capped[r.Code+" "+string(r.Role)] = r.WeeklyCap > 0
	}
	var out []Line
	for _, c := range calls {
		week := WeekStart(c.StartedAt, w.loc).Unix()
		acts := ActsForCall(c.Record(w.territoryID), func(rpps, code string) int { return used[capKey{rpps, code, week}] })
		for _, a := range acts {
			if capped[a.Code+" "+string(a.Role)] {
				used[capKey{a.RPPS, a.Code, week}]++
			}
			if c.StartedAt.Before(w.from) || (w.callID != "" && c.ID != w.callID) {
				continue
			}
			l := Line{RPPS: a.RPPS, Role: a.Role, Code: a.Code, Label: a.Label, CallID: c.ID, Reference: c.Reference,
				At: c.StartedAt.In(w.loc)}
			if t, ok := tariffOn(tariffs, a.Code, a.Role, c.StartedAt, w.loc); ok {
				l.Label, l.AmountCents, l.Priced = t.Label, t.AmountCents, true
			}
			out = append(out, l)
		}
	}
	return s.byPractitioner(ctx, out)
}

// byPractitioner names the lines' practitioners and orders the lines by
// practitioner (name, then RPPS; those not in the directory last), role,
// call time and code.
func (s *Store) byPractitioner(ctx context.Context, lines []Line) ([]Line, error) {
	if len(lines) == 0 {
		return lines, nil
	}
	var rpps []string
	for _, l := range lines {
		if !slices.Contains(rpps, l.RPPS) {
			rpps = append(rpps, l.RPPS)
		}
	}
	known, err := s.directory.PractitionersByName(ctx, rpps)
	if err != nil {
		return nil, err
	}
	rank := make(map[string]int, len(known))
	for i, p := range known {
		rank[p.RPPS] = i
	}
	for i := range lines {
		if r, ok := rank[lines[i].RPPS]; ok {
			lines[i].LastName, lines[i].FirstName = known[r].LastName, known[r].FirstName
		}
	}
	rankOf := func(rpps string) int {
		if r, ok := rank[rpps]; ok {
			return r
		}
		return len(known)
	}
	slices.SortStableFunc(lines, func(a, b Line) int {
		return cmp.Or(cmp.Compare(rankOf(a.RPPS), rankOf(b.RPPS)), cmp.Compare(a.RPPS, b.RPPS),
			cmp.Compare(a.Role, b.Role), a.At.Compare(b.At), cmp.Compare(a.Code, b.Code))
	})
	return lines, nil
}

// territoryLocation reads a territory's time zone, within the scope.
func (s *Store) territoryLocation(ctx context.Context, territoryID int64) (*time.Location, error) {
	t, err := s.territory(ctx, func(t roster.TerritoryName) bool { return t.ID == territoryID })
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("territory %d: %w", territoryID, err)
	}
	return t.Location, nil
}

// territory finds a territory of the store's scope; ErrNotFound when none
// matches.
func (s *Store) territory(ctx context.Context, match func(roster.TerritoryName) bool) (roster.TerritoryName, error) {
	names, err := s.directory.TerritoryNames(ctx)
	if err != nil {
		return roster.TerritoryName{}, err
	}
	for _, t := range names {
		if match(t) && (s.scope == nil || slices.Contains(s.scope, t.ID)) {
			return t, nil
		}
	}
	return roster.TerritoryName{}, ErrNotFound
}
