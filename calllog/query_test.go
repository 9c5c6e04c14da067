package calllog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// inTerritory moves a recorded call to another territory before it is
// applied.
func inTerritory(evs []callevent.Event, territory int64) []callevent.Event {
	for i := range evs {
		if evs[i].Kind == callevent.TerritoryResolved {
			evs[i].TerritoryID = territory
		}
	}
	return evs
}

func TestListCallsScopeFiltersAndPaging(t *testing.T) {
	ctx := context.Background()
	store := NewStore(pgtest.New(t))
	bridged, callback, other := newCallID(), newCallID(), newCallID()
	for _, evs := range [][]callevent.Event{
		bridgedCall(bridged, t0),
		callbackCall(callback, t0.Add(-time.Hour)),
		inTerritory(bridgedCall(other, t0.Add(time.Hour)), 2),
	} {
		if _, err := store.ApplyEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	mine := Scope{Allowed: []int64{1}, Territory: 1}
	ids := func(p CallPage) []string {
		var out []string
		for _, r := range p.Rows {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		scope Scope
		f     CallFilter
		want  []string
	}{
		{"all, newest first", mine, CallFilter{}, []string{bridged, callback}},
		{"territory not in the scope", Scope{Allowed: []int64{2}, Territory: 1}, CallFilter{}, nil},
		{"result", mine, CallFilter{Result: callevent.ResultCallback}, []string{callback}},
		{"outcome", mine, CallFilter{Outcome: string(callevent.OutcomeTeleexpertise)}, []string{bridged}},
		{"other outcome", mine, CallFilter{Outcome: string(callevent.OutcomeAdvice)}, nil},
		{"pending", mine, CallFilter{Outcome: OutcomePendingFilter}, nil},
		{"specialty", mine, CallFilter{SpecialtyID: 8}, []string{callback}},
		{"period", mine, CallFilter{From: t0.Add(-2 * time.Hour), To: t0}, []string{callback}},
	} {
		p, err := store.ListCalls(ctx, tc.scope, tc.f, 1, 50)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := ids(p); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if !p.Counted || p.Matching != len(tc.want) || p.More {
			t.Errorf("%s: counted %v matching %d more %v", tc.name, p.Counted, p.Matching, p.More)
		}
	}
	p, err := store.ListCalls(ctx, mine, CallFilter{}, 1, 1)
	if err != nil || len(p.Rows) != 1 || !p.More || p.Rows[0].ID != bridged {
		t.Fatalf("first page of one: %+v %v", p, err)
	}
	r := p.Rows[0]
	if r.GPRPPS != "10003000014" || r.SpecialistRPPS != "10002000023" || r.Attempts != 2 || r.Outcome != callevent.OutcomeTeleexpertise ||
		r.DelayHours != 48 || r.TimeToSpecialist != 40*time.Second || r.CallbackID != 0 {
		t.Errorf("row: %+v", r)
	}
	if p, _ := store.ListCalls(ctx, mine, CallFilter{}, 2, 1); len(p.Rows) != 1 || p.More || !p.Rows[0].CallbackOpen {
		t.Errorf("second page of one: %+v", p)
	}
	if _, err := store.ListCalls(ctx, mine, CallFilter{Result: "lost"}, 1, 50); err == nil {
		t.Error("an unknown result is accepted")
	}
	if _, err := store.ListCalls(ctx, mine, CallFilter{From: t0, To: t0}, 1, 50); err == nil {
		t.Error("an empty period is accepted")
	}

	if _, err := store.CallIn(ctx, mine, other); !errors.Is(err, ErrNotFound) {
		t.Errorf("another territory's call: %v, want ErrNotFound", err)
	}
	rec, err := store.CallIn(ctx, mine, bridged)
	if err != nil || len(rec.Events) == 0 || len(rec.Attempts) != 2 {
		t.Errorf("own call: %d events, %d attempts, %v", len(rec.Events), len(rec.Attempts), err)
	}

	var exported []string
	if err := store.EachCall(ctx, mine, CallFilter{}, func(r CallRow) error {
		exported = append(exported, r.ID)
		return nil
	}); err != nil || len(exported) != 2 {
		t.Errorf("export: %v %v", exported, err)
	}
}
