package calllog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// TestCallbacksWorkflow: an open request lists the chain the call rang;
// closing takes a trimmed, bounded note and journals in the same
// transaction; another territory finds nothing; a second close says so;
// reopening works for CallbackUndo, then is too late; a failing journal
// rolls the close back.
func TestCallbacksWorkflow(t *testing.T) {
	ctx := context.Background()
	store := NewStore(pgtest.New(t)).WithNames(noNames{})
	id, other := newCallID(), newCallID()
	for _, evs := range [][]callevent.Event{callbackCall(id, t0), inTerritory(callbackCall(other, t0), 2)} {
		if _, err := store.ApplyEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	mine, theirs := Scope{Allowed: []int64{1}, Territory: 1}, Scope{Allowed: []int64{2}, Territory: 2}
	open, err := store.OpenCallbacks(ctx, mine, 10)
	if err != nil || len(open) != 1 {
		t.Fatalf("open callbacks: %+v %v", open, err)
	}
	cb := open[0]
	if cb.CallID != id || cb.Caller != "+33611000022" || len(cb.Chain) != 1 ||
		cb.Chain[0] != (ChainLink{Attempt: 1, Rank: 1, RPPS: "10002000049", Phone: "+33612000049", Result: callevent.AttemptBusy}) {
		t.Fatalf("open request: %+v", cb)
	}

	journaled := 0
	audit := func(ctx context.Context, tx pgx.Tx, ref string) error {
		if ref != cb.Reference || ref == "" {
			t.Errorf("journal told of call %q, want its reference %q", ref, cb.Reference)
		}
		journaled++
		return nil
	}
	if _, err := store.CloseCallback(ctx, theirs, CallbackRef{ID: cb.ID}, "x@vallee", "", t0, audit); !errors.Is(err, ErrNotFound) {
		t.Errorf("another territory closes it: %v", err)
	}
	failing := func(context.Context, pgx.Tx, string) error { return errors.New("journal down") }
	if _, err := store.CloseCallback(ctx, mine, CallbackRef{CallID: id}, "a@coteaux", "note", t0, failing); err == nil {
		t.Error("a close whose journal fails succeeds")
	}
	long := "  " + strings.Repeat("é", CallbackNoteMax+10) + "  "
	closedAt := t0.Add(time.Hour)
	got, err := store.CloseCallback(ctx, mine, CallbackRef{CallID: id}, "a@coteaux", long, closedAt, audit)
	if err != nil || journaled != 1 || len([]rune(got.Note)) != CallbackNoteMax {
		t.Fatalf("close: %+v %v (journal rows %d)", got, err, journaled)
	}
	if _, err := store.CloseCallback(ctx, mine, CallbackRef{ID: cb.ID}, "b@coteaux", "", closedAt, audit); !errors.Is(err, ErrCallbackClosed) {
		t.Errorf("closing twice: %v", err)
	}
	closed, err := store.ClosedCallbacks(ctx, mine, t0, 10)
	if err != nil || len(closed) != 1 || closed[0].DoneBy != "a@coteaux" || !closed[0].DoneAt.Equal(closedAt) {
		t.Fatalf("closed list: %+v %v", closed, err)
	}
	if _, err := store.ReopenCallback(ctx, mine, CallbackRef{ID: cb.ID}, closedAt.Add(CallbackUndo-time.Second), audit); err != nil {
		t.Fatalf("undo within the delay: %v", err)
	}
	if open, _ := store.OpenCallbacks(ctx, mine, 10); len(open) != 1 || open[0].Note != "" || open[0].DoneBy != "" {
		t.Errorf("reopened request: %+v", open)
	}
	if _, err := store.ReopenCallback(ctx, mine, CallbackRef{ID: cb.ID}, closedAt, audit); !errors.Is(err, ErrNotFound) {
		t.Errorf("reopening an open request: %v", err)
	}
	if _, err := store.CloseCallback(ctx, mine, CallbackRef{ID: cb.ID}, "a@coteaux", "", closedAt, audit); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ReopenCallback(ctx, mine, CallbackRef{ID: cb.ID}, closedAt.Add(CallbackUndo+time.Second), audit); !errors.Is(err, ErrUndoTooLate) {
		t.Errorf("undo after the delay: %v", err)
	}
}

// noNames is a directory that knows nobody: the requests list RPPS only.
type noNames struct{}

func (noNames) PractitionerFullNames(context.Context, []string) (map[string]string, error) {
	return map[string]string{}, nil
}

func (noNames) SpecialtyLabels(context.Context, []int64) (map[int64]string, error) {
	return map[int64]string{}, nil
}
