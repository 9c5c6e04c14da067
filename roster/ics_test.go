package roster

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

func TestExportCalendar(t *testing.T) {
	f := newShiftFixture(t)
	rep := f.mustImport(t,
		"10002000015,cardiologie,2026-10-24 20:00,2026-10-25 08:00,1",
		"10002000023,cardiologie,2026-10-25 08:00,2026-10-25 20:00,1",
		"10002000015,cardiologie,2026-11-23 08:00,2026-11-23 20:00,2",
	)
	if _, err := f.store.AddOverride(f.ctx, f.terr.ID, NewOverride{SpecialtyID: f.specialty(t, "cardiologie"),
		RPPS: "10002000015", Start: f.at(t, "2026-10-25 08:00"), End: f.at(t, "2026-10-25 12:00")}); err != nil {
		t.Fatal(err)
	}
	export := func(now time.Time) (*ics.Calendar, string) {
		var buf bytes.Buffer
		n, err := f.store.ExportCalendar(f.ctx, &buf, f.terr.ID, "10002000015", now)
		if err != nil || n != 3 {
			t.Fatalf("export: %d events, %v", n, err)
		}
		cal, err := ics.ParseCalendar(strings.NewReader(buf.String()))
		if err != nil {
			t.Fatalf("parse back: %v\n%s", err, buf.String())
		}
		return cal, buf.String()
	}
	first, raw := export(time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC))
	second, _ := export(time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC))
	if !strings.Contains(raw, "\r\n") || !strings.HasPrefix(raw, "BEGIN:VCALENDAR\r\n") {
		t.Error("lines are not CRLF-terminated (RFC 5545)")
	}

	type event struct{ uid, summary, start, end string }
	read := func(cal *ics.Calendar) []event {
		var out []event
		for _, ev := range cal.Events() {
			start, err1 := ev.GetStartAt()
			end, err2 := ev.GetEndAt()
			if err1 != nil || err2 != nil {
				t.Fatalf("event times: %v %v", err1, err2)
			}
			out = append(out, event{ev.Id(), ev.GetProperty(ics.ComponentPropertySummary).Value,
				FormatLocal(start, f.paris), FormatLocal(end, f.paris)})
		}
		return out
	}
	got := read(first)
	night, day := rep.Added[0].ID, rep.Added[2].ID
	// By start: the night, the override the morning after, the day shift.
	want := []event{
		{ShiftCalendarUID("cpts-coteaux", night), "Garde cardiologie (rang 1) — CPTS des Coteaux", "2026-10-24 20:00", "2026-10-25 08:00"},
		{ShiftCalendarUID("cpts-coteaux", day), "Garde cardiologie (rang 2) — CPTS des Coteaux", "2026-11-23 08:00", "2026-11-23 20:00"},
	}
	if len(got) != 3 || got[0] != want[0] || got[2] != want[1] {
		t.Fatalf("events:\n%+v\nwant first and last:\n%+v", got, want)
	}
	if !strings.HasPrefix(got[1].uid, "override-") || !strings.Contains(got[1].summary, "remplacement") {
		t.Errorf("override event: %+v", got[1])
	}
	if want := "shift-" + itoa(night) + "@cpts-coteaux.regul"; got[0].uid != want {
		t.Errorf("uid %s, want %s", got[0].uid, want)
	}
	// The autumn night lasts 13 hours in the calendar too.
	ev := first.Events()[0]
	s, _ := ev.GetStartAt()
	e, _ := ev.GetEndAt()
	if e.Sub(s) != 13*time.Hour {
		t.Errorf("night lasts %v in the calendar", e.Sub(s))
	}
	// A second export keeps the same UIDs: an update, not duplicates.
	again := read(second)
	for i := range got {
		if again[i] != got[i] {
			t.Errorf("second export differs: %+v vs %+v", again[i], got[i])
		}
	}
}
