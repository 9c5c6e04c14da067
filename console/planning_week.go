package console

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// civilDate is a calendar day without a time zone: weeks are walked in
// calendar days, then each day is placed in the territory's zone, so a
// 23- or 25-hour day of a daylight-saving change is still one column.
type civilDate struct {
	Y int
	M time.Month
	D int
}

func (d civilDate) addDays(n int) civilDate {
	y, m, dd := time.Date(d.Y, d.M, d.D+n, 12, 0, 0, 0, time.UTC).Date()
	return civilDate{y, m, dd}
}

func (d civilDate) weekday() time.Weekday {
	return time.Date(d.Y, d.M, d.D, 12, 0, 0, 0, time.UTC).Weekday()
}

// start is the day's local midnight in loc.
func (d civilDate) start(loc *time.Location) time.Time { return roster.LocalDate(d.Y, d.M, d.D, loc) }

// isoWeek names the ISO week holding d: "2026-W48".
func (d civilDate) isoWeek() string {
	y, w := time.Date(d.Y, d.M, d.D, 12, 0, 0, 0, time.UTC).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func civilOf(t time.Time, loc *time.Location) civilDate {
	y, m, d := t.In(loc).Date()
	return civilDate{y, m, d}
}

// mondayOf is the Monday of d's week.
func mondayOf(d civilDate) civilDate {
	return d.addDays(-((int(d.weekday()) + 6) % 7))
}

// parseISOWeek reads "2026-W48" (the form of <input type=week>) and returns
// the week's Monday.
func parseISOWeek(s string) (civilDate, error) {
	bad := fmt.Errorf("semaine %q : attendu AAAA-Wss, par exemple 2026-W48", s)
	year, week, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(s)), "-W")
	if !ok || len(year) != 4 || len(week) != 2 {
		return civilDate{}, bad
	}
	y, err1 := strconv.Atoi(year)
	w, err2 := strconv.Atoi(week)
	if err1 != nil || err2 != nil || w < 1 || w > 53 {
		return civilDate{}, bad
	}
	// 4 January is always in week 1.
	monday := mondayOf(civilDate{y, time.January, 4}).addDays(7 * (w - 1))
	if monday.isoWeek() != fmt.Sprintf("%04d-W%02d", y, w) {
		return civilDate{}, fmt.Errorf("semaine %q : l'année %d n'a pas de semaine %d", s, y, w)
	}
	return monday, nil
}

// planningSlot is one block of a grid cell: the part of a shift, an
// override or a gap that falls on that day.
type planningSlot struct {
	ID       int64
	Kind     string // shift | override | gap
	From, To string // "08:00", "24:00" when it runs past midnight
	Before   bool   // began the day before
	After    bool   // goes on the next day
	Name     string // "Claire MARTIN"
	Reason   string // overrides
	Span     string // the whole span, "lun. 23/11 20:00 → mar. 24/11 08:00"
	Start    string // datetime-local values of the whole span (gaps: to fill them)
	End      string
	Past     bool // a gap already over: nothing to cover any more
}

type planningDay struct {
	Date   civilDate
	Label  string // "lundi 23/11"
	Today  bool
	Hours  string // "08:00–20:00", "fermé", "férié · fermé"
	Closed bool
	Gaps   []planningSlot
	Bar    []barSegment // the day's cover as a picture, in wall-clock minutes
}

// barSegment is a rectangle of the day's cover bar (x and width in
// minutes out of 1440).
type barSegment struct {
	X, W  int
	Class string // open | gap
}

type rankRow struct {
	Rank  int
	Cells [7][]planningSlot
}

// weekGrid lays one specialty's week out: a column a day, a row a rank.
type weekGrid struct {
	Days  []planningDay
	Ranks []rankRow
	Gaps  int // gap blocks this week
}

func buildWeekGrid(terr oncall.Territory, monday civilDate, now time.Time, shifts []roster.Shift, overrides []roster.Override, gaps []roster.Gap) weekGrid {
	loc := terr.Location
	today := civilOf(now, loc)
	var g weekGrid
	ranks := map[int]*rankRow{1: {Rank: 1}}
	row := func(rank int) *rankRow {
		if ranks[rank] == nil {
			ranks[rank] = &rankRow{Rank: rank}
		}
		return ranks[rank]
	}
	for i := 0; i < 7; i++ {
		day := monday.addDays(i)
		ds, de := day.start(loc), day.addDays(1).start(loc)
		pd := planningDay{Date: day, Today: day == today,
			Label: fmt.Sprintf("%s %02d/%02d", frWeekday(day.weekday()), day.D, int(day.M))}
		spans := terr.Hours.SpansOn(day.Y, day.M, day.D)
		pd.Closed = len(spans) == 0
		pd.Hours = openingLabel(spans, oncall.IsPublicHoliday(day.Y, day.M, day.D))
		for _, sp := range spans {
			pd.Bar = append(pd.Bar, barSegment{X: sp.Start, W: sp.End - sp.Start, Class: "open"})
		}
		for _, gp := range gaps {
			if s, ok := clip(gp.Start, gp.End, ds, de, loc); ok {
				s.Kind, s.Past = "gap", !gp.End.After(now)
				if gp.Start.Before(now) && !s.Past {
					// A gap in progress is covered from now on (to the
					// next quarter hour), not from its past start.
					from := now.Truncate(15 * time.Minute)
					if from.Before(now) {
						from = from.Add(15 * time.Minute)
					}
					if from.Before(gp.End) {
						s.Start = inputTime(from, loc)
					}
				}
				pd.Gaps = append(pd.Gaps, s)
				from, to := wallMinute(gp.Start, ds, de, loc), wallMinute(gp.End, ds, de, loc)
				pd.Bar = append(pd.Bar, barSegment{X: from, W: to - from, Class: "gap"})
				g.Gaps++
			}
		}
		for _, sh := range shifts {
			if s, ok := clip(sh.Start, sh.End, ds, de, loc); ok {
				s.ID, s.Kind, s.Name = sh.ID, "shift", sh.FirstName+" "+sh.LastName
				r := row(sh.Rank)
				r.Cells[i] = append(r.Cells[i], s)
			}
		}
		for _, o := range overrides {
			if s, ok := clip(o.Start, o.End, ds, de, loc); ok {
				s.ID, s.Kind, s.Name, s.Reason = o.ID, "override", o.FirstName+" "+o.LastName, o.Reason
				r := row(o.Rank)
				r.Cells[i] = append(r.Cells[i], s)
			}
		}
		g.Days = append(g.Days, pd)
	}
	for _, r := range ranks {
		for i := range r.Cells {
			sort.SliceStable(r.Cells[i], func(a, b int) bool { return r.Cells[i][a].From < r.Cells[i][b].From })
		}
		g.Ranks = append(g.Ranks, *r)
	}
	sort.Slice(g.Ranks, func(a, b int) bool { return g.Ranks[a].Rank < g.Ranks[b].Rank })
	return g
}

// clip is the part of [start, end) within the day [ds, de).
func clip(start, end, ds, de time.Time, loc *time.Location) (planningSlot, bool) {
	if !start.Before(de) || !end.After(ds) {
		return planningSlot{}, false
	}
	s := planningSlot{
		From:   "00:00",
		To:     "24:00",
		Before: start.Before(ds),
		After:  end.After(de),
		Span:   shortSpan(start, end, loc),
		Start:  inputTime(start, loc),
		End:    inputTime(end, loc),
	}
	if !s.Before {
		s.From = start.In(loc).Format("15:04")
	}
	if !s.After && end.Before(de) {
		s.To = end.In(loc).Format("15:04")
	}
	return s, true
}

// wallMinute places t on the day's 24-hour bar.
func wallMinute(t, ds, de time.Time, loc *time.Location) int {
	switch {
	case !t.After(ds):
		return 0
	case !t.Before(de):
		return 24 * 60
	}
	lt := t.In(loc)
	return lt.Hour()*60 + lt.Minute()
}

func shortSpan(start, end time.Time, loc *time.Location) string {
	a, b := start.In(loc), end.In(loc)
	day := func(t time.Time) string {
		return fmt.Sprintf("%s %02d/%02d", frWeekday(t.Weekday())[:3]+".", t.Day(), int(t.Month()))
	}
	if a.Year() == b.Year() && a.YearDay() == b.YearDay() {
		return fmt.Sprintf("%s %s → %s", day(a), a.Format("15:04"), b.Format("15:04"))
	}
	return fmt.Sprintf("%s %s → %s %s", day(a), a.Format("15:04"), day(b), b.Format("15:04"))
}

// inputTime is the value of an <input type=datetime-local>, in loc.
func inputTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02T15:04")
}

// formLocalTime turns a datetime-local value ("2026-11-25T12:00", seconds
// optional) into the roster's "2026-11-25 12:00"; other text is passed on
// for the roster's checks to name.
func formLocalTime(v string) string {
	v = strings.TrimSpace(v)
	if len(v) == 19 && strings.HasSuffix(v, ":00") && v[10] == 'T' {
		v = v[:16]
	}
	if len(v) == 16 && v[10] == 'T' {
		v = v[:10] + " " + v[11:]
	}
	return v
}

func openingLabel(spans []oncall.Span, holiday bool) string {
	if len(spans) == 0 {
		if holiday {
			return "férié · fermé"
		}
		return "fermé"
	}
	parts := make([]string, len(spans))
	for i, sp := range spans {
		parts[i] = fmt.Sprintf("%02d:%02d–%02d:%02d", sp.Start/60, sp.Start%60, sp.End/60, sp.End%60)
	}
	label := strings.Join(parts, ", ")
	if holiday {
		label = "férié · " + label
	}
	return label
}
