package roster

import (
	"context"
	"fmt"
	"io"
	"time"

	ics "github.com/arran4/golang-ical"
)

// ShiftCalendarUID is the iCalendar UID of a shift: stable for the life
// of the shift, so a calendar app that subscribes to the export updates its
// events rather than duplicating them.
func ShiftCalendarUID(territorySlug string, shiftID int64) string {
	return fmt.Sprintf("shift-%d@%s.regul", shiftID, territorySlug)
}

// OverrideCalendarUID is the iCalendar UID of an override.
func OverrideCalendarUID(territorySlug string, overrideID int64) string {
	return fmt.Sprintf("override-%d@%s.regul", overrideID, territorySlug)
}

// ExportCalendar writes a specialist's gardes in a territory as an RFC 5545
// calendar: each shift, and each override that puts them in a rank, as an
// event in UTC. now is the DTSTAMP. It returns the number of events;
// ErrNotFound when the territory does not exist.
//
// A shift of theirs that someone else's override covers is still listed:
// the override is the exception, agreed with them, and the shift stays.
func (s *Store) ExportCalendar(ctx context.Context, w io.Writer, territoryID int64, rpps string, now time.Time) (int, error) {
	rpps, err := NormalizeRPPS(rpps)
	if err != nil {
		return 0, fmt.Errorf("calendar: %w", err)
	}
	terr, err := s.shiftTerritoryByID(ctx, s.pool, territoryID)
	if err != nil {
		return 0, fmt.Errorf("calendar: %w", err)
	}
	shifts, err := listShifts(ctx, s.pool, territoryID, ShiftFilter{RPPS: rpps})
	if err != nil {
		return 0, fmt.Errorf("calendar for %s: %w", rpps, err)
	}
	overrides, err := s.overrides(ctx, territoryID, `o.rpps = $2`, rpps)
	if err != nil {
		return 0, fmt.Errorf("calendar for %s: %w", rpps, err)
	}
	cal := ShiftCalendar(terr, shifts, overrides, now)
	if err := cal.SerializeTo(w, ics.WithNewLine("\r\n")); err != nil {
		return 0, fmt.Errorf("calendar for %s: write: %w", rpps, err)
	}
	return len(shifts) + len(overrides), nil
}

// ShiftCalendar builds the calendar of shifts and overrides (French
// summaries: "Garde cardiologie (rang 1) — CPTS des Coteaux").
func ShiftCalendar(terr Territory, shifts []Shift, overrides []Override, now time.Time) *ics.Calendar {
	cal := ics.NewCalendarFor("regul")
	cal.SetProductId("-//regul//planning de garde//FR")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName("Gardes — " + terr.Name)
	if terr.Location != nil {
		cal.SetXWRTimezone(terr.Location.String())
	}
	add := func(uid string, start, end time.Time, summary string) {
		ev := cal.AddEvent(uid)
		ev.SetDtStampTime(now.UTC())
		ev.SetStartAt(start.UTC())
		ev.SetEndAt(end.UTC())
		ev.SetSummary(summary)
		ev.SetTimeTransparency(ics.TransparencyOpaque)
	}
	for _, sh := range shifts {
		label := terr.specialtyByID(sh.SpecialtyID).Label
		add(ShiftCalendarUID(terr.Slug, sh.ID), sh.Start, sh.End,
			fmt.Sprintf("Garde %s (rang %d) — %s", label, sh.Rank, terr.Name))
	}
	for _, o := range overrides {
		label := terr.specialtyByID(o.SpecialtyID).Label
		add(OverrideCalendarUID(terr.Slug, o.ID), o.Start, o.End,
			fmt.Sprintf("Garde %s (rang %d, remplacement) — %s", label, o.Rank, terr.Name))
	}
	return cal
}
