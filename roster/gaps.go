package roster

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/roster/oncall"
)

// Gap is a span within opening hours when a specialty has no rank-1 cover
// (neither a shift nor an override at rank 1): a GP calling then reaches
// rank 2 or the fallback line at best.
type Gap struct {
	SpecialtyID int64
	Specialty   string // slug
	Label       string
	Start, End  time.Time
}

// Gaps lists the territory's coverage gaps from `from` until the end of
// the `days` local calendar days starting on from's local date (days ≥ 1),
// by specialty in menu order, then by start. Opening hours and public
// holidays are the territory's own.
func (s *Store) Gaps(ctx context.Context, territoryID int64, from time.Time, days int) ([]Gap, error) {
	if days < 1 {
		return nil, fmt.Errorf("gaps: days %d: want at least 1", days)
	}
	terr, err := s.shiftTerritoryByID(ctx, s.pool, territoryID)
	if err != nil {
		return nil, fmt.Errorf("gaps: %w", err)
	}
	open := openIntervals(terr, from, days)
	if len(open) == 0 {
		return nil, nil
	}
	cover, err := rankOneCover(ctx, s.pool, territoryID, open[0].start, open[len(open)-1].end)
	if err != nil {
		return nil, fmt.Errorf("gaps: %w", err)
	}
	var gaps []Gap
	for _, sp := range terr.Specialties {
		for _, iv := range subtract(open, cover[sp.ID]) {
			gaps = append(gaps, Gap{SpecialtyID: sp.ID, Specialty: sp.Slug, Label: sp.Label, Start: iv.start, End: iv.end})
		}
	}
	return gaps, nil
}

type interval struct{ start, end time.Time }

// openIntervals turns the opening hours of each local day into instants,
// clipped to start at from; spans that touch are merged.
func openIntervals(terr oncall.Territory, from time.Time, days int) []interval {
	fy, fm, fd := from.In(terr.Location).Date()
	var out []interval
	for i := 0; i < days; i++ {
		// Calendar arithmetic on a zone-free date: day i after from's.
		y, m, d := time.Date(fy, fm, fd+i, 12, 0, 0, 0, time.UTC).Date()
		for _, sp := range terr.Hours.SpansOn(y, m, d) {
			iv := interval{LocalClock(y, m, d, sp.Start, terr.Location), LocalClock(y, m, d, sp.End, terr.Location)}
			if iv.start.Before(from) {
				iv.start = from
			}
			if !iv.end.After(iv.start) {
				continue
			}
			if n := len(out); n > 0 && !iv.start.After(out[n-1].end) {
				if iv.end.After(out[n-1].end) {
					out[n-1].end = iv.end
				}
				continue
			}
			out = append(out, iv)
		}
	}
	return out
}

// rankOneCover loads, per specialty, the spans held at rank 1 by a shift
// or an override overlapping [from, to), sorted by start.
func rankOneCover(ctx context.Context, db querier, territoryID int64, from, to time.Time) (map[int64][]interval, error) {
	rows, err := db.Query(ctx, `
		SELECT specialty_id, lower(during), upper(during) FROM shift
		 WHERE territory_id = $1 AND rank = 1 AND during && tstzrange($2, $3, '[)')
		UNION ALL
		SELECT specialty_id, lower(during), upper(during) FROM override
		 WHERE territory_id = $1 AND rank = 1 AND during && tstzrange($2, $3, '[)')
		ORDER BY 1, 2`, territoryID, from, to)
	if err != nil {
		return nil, fmt.Errorf("rank-1 cover: %w", err)
	}
	cover := map[int64][]interval{}
	var id int64
	var iv interval
	_, err = pgx.ForEachRow(rows, []any{&id, &iv.start, &iv.end}, func() error {
		cover[id] = append(cover[id], iv)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rank-1 cover: %w", err)
	}
	return cover, nil
}

// subtract returns the parts of the open intervals that no cover interval
// reaches. Both lists are sorted by start; cover intervals may overlap one
// another (a shift and an override).
func subtract(open, cover []interval) []interval {
	sort.Slice(cover, func(i, j int) bool { return cover[i].start.Before(cover[j].start) })
	var out []interval
	for _, o := range open {
		cursor := o.start
		for _, c := range cover {
			if !c.end.After(cursor) {
				continue
			}
			if !c.start.Before(o.end) {
				break
			}
			if c.start.After(cursor) {
				out = append(out, interval{cursor, c.start})
			}
			cursor = c.end
			if !cursor.Before(o.end) {
				break
			}
		}
		if cursor.Before(o.end) {
			out = append(out, interval{cursor, o.end})
		}
	}
	return out
}
