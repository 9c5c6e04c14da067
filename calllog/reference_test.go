package calllog

import (
	"context"
	"sync"
	"testing"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// startedIn is the start of a call whose script drew ref, in a territory.
func startedIn(id string, territory int64, ref string) []callevent.Event {
	return number(id, []callevent.Event{
		{Kind: callevent.CallStarted, At: t0, DID: "+33179000001", Caller: "+33611000014", Reference: ref},
		{Kind: callevent.TerritoryResolved, At: t0, TerritoryID: territory, Reference: ref},
		{Kind: callevent.CallEnded, At: t0, Result: callevent.ResultAbandoned},
	})
}

// TestReferenceUniquePerTerritory: calls whose scripts drew the same
// reference — also applied at once by two controllers — end up with
// distinct stored references in their territory; the first keeps its own,
// another territory may hold the same one.
func TestReferenceUniquePerTerritory(t *testing.T) {
	store := NewStore(pgtest.New(t))
	ctx := context.Background()
	first := newCallID()
	if _, err := store.ApplyEvents(ctx, startedIn(first, 1, "K7M2QX")); err != nil {
		t.Fatal(err)
	}
	elsewhere := newCallID()
	if _, err := store.ApplyEvents(ctx, startedIn(elsewhere, 2, "K7M2QX")); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for c := 0; c < 2; c++ {
		var batch []callevent.Event
		for i := 0; i < 10; i++ {
			id := newCallID()
			ids = append(ids, id)
			batch = append(batch, startedIn(id, 1, "K7M2QX")...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := store.ApplyEvents(ctx, batch)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r := getCall(t, store, first).Reference; r != "K7M2QX" {
		t.Errorf("first call: %q", r)
	}
	if r := getCall(t, store, elsewhere).Reference; r != "K7M2QX" {
		t.Errorf("other territory's call: %q", r)
	}
	seen := map[string]string{"K7M2QX": first}
	for _, id := range ids {
		r := getCall(t, store, id).Reference
		if !callevent.ValidReference(r) {
			t.Fatalf("call %s: reference %q", id, r)
		}
		if prev, dup := seen[r]; dup {
			t.Fatalf("calls %s and %s share %s", prev, id, r)
		}
		seen[r] = id
	}
}

// TestReferenceWithoutADraw: events recorded without one (a spool written
// before the upgrade) still give the call a reference, derived from its id.
func TestReferenceWithoutADraw(t *testing.T) {
	store := NewStore(pgtest.New(t))
	id := newCallID()
	if _, err := store.ApplyEvents(context.Background(), startedIn(id, 1, "")); err != nil {
		t.Fatal(err)
	}
	if r := getCall(t, store, id).Reference; r != callevent.DeriveReference(id, 0) {
		t.Errorf("reference %q, want %q", r, callevent.DeriveReference(id, 0))
	}
}
