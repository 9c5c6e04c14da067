package roster

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/regul-sante/regul/roster/oncall"
)

// feedEvent is what a test reads back from a parsed feed.
type feedEvent struct {
	summary, start, end, transp, desc string
	seq                               string
	modified                          time.Time
}

func parseFeed(t *testing.T, f *shiftFixture, raw string) map[string]feedEvent {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, raw)
	}
	out := map[string]feedEvent{}
	for _, ev := range cal.Events() {
		start, err1 := ev.GetStartAt()
		end, err2 := ev.GetEndAt()
		mod, err3 := ev.GetLastModifiedAt()
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("event %s: %v %v %v", ev.Id(), err1, err2, err3)
		}
		prop := func(p ics.ComponentProperty) string {
			if v := ev.GetProperty(p); v != nil {
				return v.Value
			}
			return ""
		}
		out[ev.Id()] = feedEvent{summary: prop(ics.ComponentPropertySummary), start: FormatLocal(start, f.paris),
			end: FormatLocal(end, f.paris), transp: prop(ics.ComponentPropertyTransp), desc: prop(ics.ComponentPropertyDescription),
			seq: prop(ics.ComponentPropertySequence), modified: mod}
	}
	return out
}

// TestCalendarFeeds: Claire MARTIN's rank-1 day is taken over by Anne
// PETIT from 10:00 to 14:00. Claire's feed keeps 08:00–10:00 and
// 14:00–20:00 and shows 10:00–14:00 free, naming Anne; Anne's feed has the
// override, naming Claire; the specialty's feed gives the hours to Anne.
// Adding the override bumps SEQUENCE and LAST-MODIFIED of the changed
// event only; a revoked or unknown token opens nothing.
func TestCalendarFeeds(t *testing.T) {
	f := newShiftFixture(t)
	cardio := f.specialty(t, "cardiologie")
	rep := f.mustImport(t, "10002000015,cardiologie,2026-11-23 08:00,2026-11-23 20:00,1",
		"10002000015,cardiologie,2026-11-24 08:00,2026-11-24 20:00,1")
	monday, tuesday := rep.Added[0].ID, rep.Added[1].ID
	ctx := WithActor(f.ctx, "web:coteaux@cpts.example")
	day1 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	claire, err := f.store.IssueFeed(ctx, f.terr.ID, FeedTarget{RPPS: "10002000015"}, day1)
	if err != nil {
		t.Fatal(err)
	}
	anne, err := f.store.IssueFeed(ctx, f.terr.ID, FeedTarget{RPPS: "10002000031"}, day1)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := f.store.IssueFeed(ctx, f.terr.ID, FeedTarget{SpecialtyID: cardio}, day1)
	if err != nil {
		t.Fatal(err)
	}
	if len(claire) < 40 || claire == anne {
		t.Fatalf("tokens %q %q: want long random tokens", claire, anne)
	}
	read := func(token string, now time.Time) map[string]feedEvent {
		t.Helper()
		var buf bytes.Buffer
		if err := f.store.WriteFeed(f.ctx, &buf, token, now); err != nil {
			t.Fatalf("feed: %v", err)
		}
		return parseFeed(t, f, buf.String())
	}
	before := read(claire, day1)
	mondayUID, tuesdayUID := ShiftCalendarUID("cpts-coteaux", monday), ShiftCalendarUID("cpts-coteaux", tuesday)
	if ev := before[mondayUID]; ev.start != "2026-11-23 08:00" || ev.end != "2026-11-23 20:00" || ev.seq != "0" {
		t.Fatalf("Monday before the override: %+v", ev)
	}

	day2 := day1.Add(26 * time.Hour)
	if _, err := f.store.AddOverride(ctx, f.terr.ID, NewOverride{SpecialtyID: cardio, RPPS: "10002000031",
		Start: f.at(t, "2026-11-23 10:00"), End: f.at(t, "2026-11-23 14:00"), Reason: "échange"}); err != nil {
		t.Fatal(err)
	}
	after := read(claire, day2)
	morning, evening := after[mondayUID], after["shift-"+itoa(monday)+"-2@cpts-coteaux.regul"]
	if morning.start != "2026-11-23 08:00" || morning.end != "2026-11-23 10:00" || evening.start != "2026-11-23 14:00" || evening.end != "2026-11-23 20:00" {
		t.Fatalf("Claire's Monday is not cut around the override:\n%+v", after)
	}
	if morning.seq != "1" || !morning.modified.Equal(day2) || !strings.Contains(morning.desc, "Anne PETIT") {
		t.Errorf("the cut Monday: %+v (want SEQUENCE 1, LAST-MODIFIED %s, naming Anne)", morning, day2)
	}
	var free []feedEvent
	for _, ev := range after {
		if ev.transp == string(ics.TransparencyTransparent) {
			free = append(free, ev)
		}
	}
	if len(free) != 1 || free[0].start != "2026-11-23 10:00" || free[0].end != "2026-11-23 14:00" || !strings.Contains(free[0].summary, "Anne PETIT") {
		t.Errorf("the hours taken over, in Claire's calendar: %+v", free)
	}
	if ev := after[tuesdayUID]; ev.seq != "0" || !ev.modified.Equal(day1) {
		t.Errorf("Tuesday did not change but reads %+v", ev)
	}

	anneEvents := read(anne, day2)
	if len(anneEvents) != 1 {
		t.Fatalf("Anne's calendar: %+v", anneEvents)
	}
	for uid, ev := range anneEvents {
		if !strings.HasPrefix(uid, "override-") || ev.start != "2026-11-23 10:00" || !strings.Contains(ev.desc, "Claire MARTIN") {
			t.Errorf("Anne's override: %s %+v", uid, ev)
		}
	}
	specEvents := read(spec, day2)
	if len(specEvents) != 4 {
		t.Errorf("the specialty's calendar has %d events, want 2 pieces of Monday, the override and Tuesday: %+v", len(specEvents), specEvents)
	}

	// A new address replaces the old one; revoking ends it.
	claire2, err := f.store.IssueFeed(ctx, f.terr.ID, FeedTarget{RPPS: "10002000015"}, day2)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.WriteFeed(f.ctx, &bytes.Buffer{}, claire, day2); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("the replaced token still opens: %v", err)
	}
	if err := f.store.RevokeFeed(ctx, f.terr.ID, FeedTarget{RPPS: "10002000015"}, day2); err != nil {
		t.Fatal(err)
	}
	if err := f.store.WriteFeed(f.ctx, &bytes.Buffer{}, claire2, day2); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("the revoked token still opens: %v", err)
	}
	if err := f.store.RevokeFeed(ctx, f.terr.ID, FeedTarget{RPPS: "10002000015"}, day2); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("revoking twice: %v", err)
	}
	if _, err := f.store.IssueFeed(ctx, f.terr.ID, FeedTarget{RPPS: "10003000014"}, day2); !errors.Is(err, oncall.ErrNotFound) {
		t.Errorf("a GP's calendar: %v, want ErrNotFound", err)
	}
	live, err := f.store.LiveFeeds(f.ctx, f.terr.ID)
	if err != nil || len(live) != 2 {
		t.Errorf("live feeds: %+v %v", live, err)
	}
}
