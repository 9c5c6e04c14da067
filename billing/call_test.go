package billing

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// Every call's acts, read one call at a time, are its lines of the month's
// statement: weekly caps straddling two months, pending and act-less
// outcomes, tariffs changing over a year end.
func TestCallActsAgreeWithStatement(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	store := newStore(w.pool)
	w.call(t, w.coteaux, "2025-12-31 23:30", dubois, martin, callevent.OutcomeTeleexpertise, 168)
	w.call(t, w.coteaux, "2026-01-01 00:30", lambert, martin, callevent.OutcomeTeleexpertise, 24)
	w.call(t, w.coteaux, "2026-01-08 10:00", dubois, bernard, callevent.OutcomeHospital, 0)
	w.call(t, w.coteaux, "2026-01-09 11:00", dubois, bernard, "", 0)
	for i := range 5 {
		w.call(t, w.coteaux, fmt.Sprintf("2026-01-%02d 10:00", 26+i), dubois, bernard, callevent.OutcomeVisit, 24)
	}
	for i := range 17 {
		w.call(t, w.coteaux, fmt.Sprintf("2026-02-01 %02d:00", 6+i), dubois, bernard, callevent.OutcomeVisit, 48)
	}
	// Another territory's visits in the same week do not count.
	w.call(t, w.vallee, "2026-01-27 12:00", dubois, bernard, callevent.OutcomeVisit, 24)

	statements := map[Month]Statement{}
	calls := calllog.NewStore(w.pool)
	capped := 0
	for i := 1; i <= w.n; i++ {
		rec, err := calls.Call(ctx, fmt.Sprintf("b1110000-0000-4000-8000-%012d", i))
		if err != nil {
			t.Fatal(err)
		}
		month := MonthOf(rec.StartedAt, w.paris)
		key := month
		if rec.TerritoryID == w.vallee {
			key.Year += 1000 // a distinct key for the other territory's statement
		}
		st, ok := statements[key]
		if !ok {
			if st, err = store.Statement(ctx, rec.TerritoryID, month); err != nil {
				t.Fatal(err)
			}
			statements[key] = st
		}
		var want []Line
		for _, l := range st.Lines {
			if l.CallID == rec.ID {
				want = append(want, l)
			}
		}
		got, err := store.CallActs(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		if g, s := lineKeys(got), lineKeys(want); !reflect.DeepEqual(g, s) {
			t.Errorf("call of %s: CallActs %q, statement %q", rec.StartedAt.In(w.paris).Format(time.DateTime), g, s)
		}
		if rec.Outcome != nil && rec.Outcome.Outcome == callevent.OutcomeVisit && rec.Outcome.DelayHours == 48 && len(got) == 1 {
			capped++
		}
	}
	if capped != 2 {
		t.Errorf("%d visits past the weekly SNP cap, want 2 (the week's 21st and 22nd)", capped)
	}

	rec, err := calls.Call(ctx, "b1110000-0000-4000-8000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.WithinTerritories([]int64{w.vallee}).CallActs(ctx, rec); !errors.Is(err, ErrNotFound) {
		t.Errorf("coteaux call through the vallée scope: %v, want ErrNotFound", err)
	}
}

// lineKeys spells out every field of the lines, the time as its instant
// and zone (two loads of a zone are distinct values).
func lineKeys(lines []Line) []string {
	var out []string
	for _, l := range lines {
		at := l.At
		l.At = time.Time{}
		out = append(out, fmt.Sprintf("%s %+v", at.Format(time.RFC3339Nano+" MST"), l))
	}
	return out
}
