package roster

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/roster/oncall"
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

// calendarPast is how far back a calendar goes: the gardes of the last
// weeks stay visible, older ones leave the feed (and the subscribed apps).
const calendarPast = 60 * 24 * time.Hour

// CalendarEvent is one event of a calendar, before it is written.
type CalendarEvent struct {
	UID         string
	Start, End  time.Time
	Summary     string
	Description string
	// Free: the hours someone else took over (shown, not busy).
	Free bool
	// Sequence and Modified say which version of the event this is (RFC
	// 5545 SEQUENCE and LAST-MODIFIED), from the calendar_event table.
	Sequence int
	Modified time.Time
}

func (e CalendarEvent) fingerprint() []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00%s\x00%t", e.UID, e.Start.Unix(), e.End.Unix(), e.Summary, e.Description, e.Free)
	return h.Sum(nil)
}

type span struct{ start, end time.Time }

// cut is [start, end) less the covered spans, in order.
func cut(start, end time.Time, covers []span) []span {
	sort.Slice(covers, func(i, j int) bool { return covers[i].start.Before(covers[j].start) })
	var out []span
	cur := start
	for _, c := range covers {
		if !c.end.After(cur) {
			continue
		}
		if !c.start.Before(end) {
			break
		}
		if c.start.After(cur) {
			out = append(out, span{cur, c.start})
		}
		if c.end.After(cur) {
			cur = c.end
		}
	}
	if cur.Before(end) {
		out = append(out, span{cur, end})
	}
	return out
}

// takenOver lists the overrides that take a shift's rank from its holder.
func takenOver(sh Shift, overrides []Override) []Override {
	var out []Override
	for _, o := range overrides {
		if o.SpecialtyID == sh.SpecialtyID && o.Rank == sh.Rank && o.RPPS != sh.RPPS &&
			o.Start.Before(sh.End) && sh.Start.Before(o.End) {
			out = append(out, o)
		}
	}
	return out
}

// replaced names whoever the override replaces (the holders of its rank).
func replaced(o Override, shifts []Shift) string {
	var names []string
	seen := map[string]bool{}
	for _, sh := range shifts {
		if sh.SpecialtyID == o.SpecialtyID && sh.Rank == o.Rank && sh.RPPS != o.RPPS &&
			sh.Start.Before(o.End) && o.Start.Before(sh.End) && !seen[sh.RPPS] {
			seen[sh.RPPS] = true
			names = append(names, sh.FirstName+" "+sh.LastName)
		}
	}
	return strings.Join(names, ", ")
}

func hhmm(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return fmt.Sprintf("%s %02d/%02d %s", frDay(t.Weekday()), t.Day(), int(t.Month()), t.Format("15:04"))
}

func frDay(d time.Weekday) string {
	return [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}[d]
}

// shiftEvents turns a shift into its calendar events: the hours its holder
// keeps (a shift cut by an override comes in pieces; the first piece keeps
// the shift's UID) and, when forHolder, the hours taken over, free, naming
// who took them. label names the event ("Garde cardiologie (rang 1)").
func shiftEvents(terr oncall.Territory, sh Shift, overrides []Override, label string, forHolder bool) []CalendarEvent {
	over := takenOver(sh, overrides)
	covers := make([]span, 0, len(over))
	var notes []string
	for _, o := range over {
		covers = append(covers, span{o.Start, o.End})
		note := fmt.Sprintf("Remplacé par %s %s du %s au %s", o.FirstName, o.LastName, hhmm(o.Start, terr.Location), hhmm(o.End, terr.Location))
		if o.Reason != "" {
			note += " (" + o.Reason + ")"
		}
		notes = append(notes, note)
	}
	desc := strings.Join(notes, "\n")
	var out []CalendarEvent
	for i, p := range cut(sh.Start, sh.End, covers) {
		uid := ShiftCalendarUID(terr.Slug, sh.ID)
		if i > 0 {
			uid = fmt.Sprintf("shift-%d-%d@%s.regul", sh.ID, i+1, terr.Slug)
		}
		out = append(out, CalendarEvent{UID: uid, Start: p.start, End: p.end, Summary: label, Description: desc})
	}
	if forHolder {
		for _, o := range over {
			start, end := maxTime(o.Start, sh.Start), minTime(o.End, sh.End)
			out = append(out, CalendarEvent{
				UID:   fmt.Sprintf("shift-%d-override-%d@%s.regul", sh.ID, o.ID, terr.Slug),
				Start: start, End: end, Free: true,
				Summary: fmt.Sprintf("Remplacé par %s %s — %s", o.FirstName, o.LastName, label),
				Description: strings.TrimSpace(fmt.Sprintf("%s %s tient votre rang pendant ces heures. %s",
					o.FirstName, o.LastName, o.Reason)),
			})
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// PersonCalendarEvents are a specialist's gardes: their shifts (less the
// hours someone else's override takes over, shown apart and free) and the
// overrides that put them in a rank. shifts and overrides are the
// territory's, so that both sides of a replacement are known.
func PersonCalendarEvents(terr oncall.Territory, rpps string, shifts []Shift, overrides []Override) []CalendarEvent {
	var out []CalendarEvent
	for _, sh := range shifts {
		if sh.RPPS != rpps {
			continue
		}
		label := fmt.Sprintf("Garde %s (rang %d) — %s", terr.SpecialtyByID(sh.SpecialtyID).Label, sh.Rank, terr.Name)
		out = append(out, shiftEvents(terr, sh, overrides, label, true)...)
	}
	for _, o := range overrides {
		if o.RPPS != rpps {
			continue
		}
		ev := CalendarEvent{UID: OverrideCalendarUID(terr.Slug, o.ID), Start: o.Start, End: o.End,
			Summary: fmt.Sprintf("Garde %s (rang %d, remplacement) — %s", terr.SpecialtyByID(o.SpecialtyID).Label, o.Rank, terr.Name)}
		if who := replaced(o, shifts); who != "" {
			ev.Description = "Remplace " + who
		}
		if o.Reason != "" {
			ev.Description = strings.TrimSpace(ev.Description + " (" + o.Reason + ")")
		}
		out = append(out, ev)
	}
	sortEvents(out)
	return out
}

// SpecialtyCalendarEvents are one specialty's gardes for the whole
// territory: every rank's holder, the hours overrides take over given to
// the replacement.
func SpecialtyCalendarEvents(terr oncall.Territory, specialtyID int64, shifts []Shift, overrides []Override) []CalendarEvent {
	var out []CalendarEvent
	for _, sh := range shifts {
		if sh.SpecialtyID != specialtyID {
			continue
		}
		label := fmt.Sprintf("Rang %d · %s %s", sh.Rank, sh.FirstName, sh.LastName)
		out = append(out, shiftEvents(terr, sh, overrides, label, false)...)
	}
	for _, o := range overrides {
		if o.SpecialtyID != specialtyID {
			continue
		}
		ev := CalendarEvent{UID: OverrideCalendarUID(terr.Slug, o.ID), Start: o.Start, End: o.End,
			Summary: fmt.Sprintf("Rang %d · %s %s (remplacement)", o.Rank, o.FirstName, o.LastName)}
		if who := replaced(o, shifts); who != "" {
			ev.Description = "Remplace " + who
		}
		if o.Reason != "" {
			ev.Description = strings.TrimSpace(ev.Description + " (" + o.Reason + ")")
		}
		out = append(out, ev)
	}
	sortEvents(out)
	return out
}

func sortEvents(evs []CalendarEvent) {
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].Start.Equal(evs[j].Start) {
			return evs[i].Start.Before(evs[j].Start)
		}
		return evs[i].UID < evs[j].UID
	})
}

// BuildCalendar writes the events as an RFC 5545 calendar in UTC; now is
// the DTSTAMP.
func BuildCalendar(name string, terr oncall.Territory, events []CalendarEvent, now time.Time) *ics.Calendar {
	cal := ics.NewCalendarFor("regul")
	cal.SetProductId("-//regul//planning de garde//FR")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(name)
	if terr.Location != nil {
		cal.SetXWRTimezone(terr.Location.String())
	}
	// Calendar apps poll subscriptions; ask for hourly rather than daily.
	cal.SetRefreshInterval("PT1H")
	for _, e := range events {
		ev := cal.AddEvent(e.UID)
		ev.SetDtStampTime(now.UTC())
		ev.SetStartAt(e.Start.UTC())
		ev.SetEndAt(e.End.UTC())
		ev.SetSummary(e.Summary)
		if e.Description != "" {
			ev.SetDescription(e.Description)
		}
		ev.SetSequence(e.Sequence)
		if !e.Modified.IsZero() {
			ev.SetLastModifiedAt(e.Modified.UTC())
		}
		if e.Free {
			ev.SetTimeTransparency(ics.TransparencyTransparent)
		} else {
			ev.SetTimeTransparency(ics.TransparencyOpaque)
		}
	}
	return cal
}

// versionEvents gives each event its SEQUENCE and LAST-MODIFIED: an event
// seen for the first time is version 0 from now; an event whose content
// changed since the calendar last said it gets the next version, from now.
func versionEvents(ctx context.Context, db querier, territoryID int64, view string, events []CalendarEvent, now time.Time) error {
	if len(events) == 0 {
		return nil
	}
	uids := make([]string, len(events))
	prints := make([][]byte, len(events))
	for i, e := range events {
		uids[i], prints[i] = e.UID, e.fingerprint()
	}
	if _, err := db.Exec(ctx, `
		INSERT INTO calendar_event (territory_id, view, uid, fingerprint, sequence, modified_at)
		SELECT $1, $2, u, f, 0, $5 FROM unnest($3::text[], $4::bytea[]) AS x(u, f)
		ON CONFLICT (territory_id, view, uid) DO UPDATE
		   SET fingerprint = EXCLUDED.fingerprint, sequence = calendar_event.sequence + 1, modified_at = EXCLUDED.modified_at
		 WHERE calendar_event.fingerprint <> EXCLUDED.fingerprint`, territoryID, view, uids, prints, now); err != nil {
		return fmt.Errorf("calendar versions: %w", err)
	}
	rows, err := db.Query(ctx, `SELECT uid, sequence, modified_at FROM calendar_event
		WHERE territory_id = $1 AND view = $2 AND uid = ANY($3::text[])`, territoryID, view, uids)
	if err != nil {
		return fmt.Errorf("calendar versions: %w", err)
	}
	type version struct {
		seq int
		at  time.Time
	}
	got := map[string]version{}
	var uid string
	var v version
	if _, err := pgx.ForEachRow(rows, []any{&uid, &v.seq, &v.at}, func() error {
		got[uid] = v
		return nil
	}); err != nil {
		return fmt.Errorf("calendar versions: %w", err)
	}
	for i := range events {
		if v, ok := got[events[i].UID]; ok {
			events[i].Sequence, events[i].Modified = v.seq, v.at
		}
	}
	return nil
}

// calendarData reads what a territory's calendars are made of: the
// territory, and its shifts and overrides from calendarPast ago on.
func (s *Store) calendarData(ctx context.Context, territoryID int64, now time.Time) (oncall.Territory, []Shift, []Override, error) {
	terr, err := s.shiftTerritoryByID(ctx, s.pool, territoryID)
	if err != nil {
		return oncall.Territory{}, nil, nil, err
	}
	from := now.Add(-calendarPast)
	shifts, err := listShifts(ctx, s.pool, territoryID, ShiftFilter{From: from})
	if err != nil {
		return oncall.Territory{}, nil, nil, err
	}
	overrides, err := s.Overrides(ctx, territoryID, from, time.Time{})
	if err != nil {
		return oncall.Territory{}, nil, nil, err
	}
	return terr, shifts, overrides, nil
}

// ExportCalendar writes a specialist's gardes in a territory as an RFC 5545
// calendar (the same as their subscription feed): from 60 days ago on, each
// shift less the hours someone else's override takes over (those shown
// apart, free), and each override that puts them in a rank. now is the
// DTSTAMP. It returns the number of events; ErrNotFound when the territory
// does not exist.
func (s *Store) ExportCalendar(ctx context.Context, w io.Writer, territoryID int64, rpps string, now time.Time) (int, error) {
	rpps, err := oncall.NormalizeRPPS(rpps)
	if err != nil {
		return 0, fmt.Errorf("calendar: %w", err)
	}
	return s.writePersonCalendar(ctx, w, territoryID, rpps, now)
}

func (s *Store) writePersonCalendar(ctx context.Context, w io.Writer, territoryID int64, rpps string, now time.Time) (int, error) {
	terr, shifts, overrides, err := s.calendarData(ctx, territoryID, now)
	if err != nil {
		return 0, fmt.Errorf("calendar for %s: %w", rpps, err)
	}
	events := PersonCalendarEvents(terr, rpps, shifts, overrides)
	if err := versionEvents(ctx, s.pool, territoryID, "p:"+rpps, events, now); err != nil {
		return 0, err
	}
	if err := BuildCalendar("Gardes — "+terr.Name, terr, events, now).SerializeTo(w, ics.WithNewLine("\r\n")); err != nil {
		return 0, fmt.Errorf("calendar for %s: write: %w", rpps, err)
	}
	return len(events), nil
}

func (s *Store) writeSpecialtyCalendar(ctx context.Context, w io.Writer, territoryID, specialtyID int64, now time.Time) (int, error) {
	terr, shifts, overrides, err := s.calendarData(ctx, territoryID, now)
	if err != nil {
		return 0, fmt.Errorf("calendar of specialty %d: %w", specialtyID, err)
	}
	events := SpecialtyCalendarEvents(terr, specialtyID, shifts, overrides)
	if err := versionEvents(ctx, s.pool, territoryID, fmt.Sprintf("s:%d", specialtyID), events, now); err != nil {
		return 0, err
	}
	name := fmt.Sprintf("Gardes de %s — %s", terr.SpecialtyByID(specialtyID).Label, terr.Name)
	if err := BuildCalendar(name, terr, events, now).SerializeTo(w, ics.WithNewLine("\r\n")); err != nil {
		return 0, fmt.Errorf("calendar of specialty %d: write: %w", specialtyID, err)
	}
	return len(events), nil
}
