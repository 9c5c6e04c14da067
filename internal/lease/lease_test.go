package lease

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/testclock"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Two controllers of one node on one clock: the active stops renewing (a
// crash, a pause), the standby takes over once the lease has expired and
// not before, with a higher token; the old one learns it lost, and at no
// step are both active.
func TestStandbyTakesOverAfterExpiryAndTheOldHolderIsFenced(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	clock := testclock.New(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	elector := func(id string) *Elector {
		e, err := New(Options{Pool: pool, Node: "asterisk-a", ID: id, RenewInterval: time.Second, TTL: 3 * time.Second,
			Clock: clock, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := elector("regul-a"), elector("regul-b")
	neverBoth := func(step string) {
		t.Helper()
		aa, _, _ := a.Active()
		bb, _, _ := b.Active()
		if aa && bb {
			t.Fatalf("%s: both controllers active", step)
		}
	}

	ta, err := a.TryAcquire(ctx)
	if err != nil || ta == nil || ta.Token != 1 {
		t.Fatalf("first acquire = %+v, %v", ta, err)
	}
	if tb, err := b.TryAcquire(ctx); err != nil || tb != nil {
		t.Fatalf("the standby took a held lease: %+v, %v", tb, err)
	}
	if active, _, holder := b.Active(); active || holder != "regul-a" {
		t.Errorf("standby sees active %v holder %q", active, holder)
	}
	neverBoth("start")

	// The active renews every second for a while: the standby never gets in.
	for i := range 5 {
		clock.Advance(time.Second)
		if err := ta.Renew(ctx); err != nil {
			t.Fatalf("renewal %d: %v", i, err)
		}
		if tb, err := b.TryAcquire(ctx); err != nil || tb != nil {
			t.Fatalf("standby took the lease while renewed: %+v, %v", tb, err)
		}
		neverBoth("renewing")
	}
	if ta.Token != 1 {
		t.Errorf("a renewal changed the token: %d", ta.Token)
	}

	// The active stops renewing. Just before the expiry the standby still
	// waits; the active still counts on its lease.
	clock.Advance(3*time.Second - time.Millisecond)
	if tb, err := b.TryAcquire(ctx); err != nil || tb != nil {
		t.Fatalf("standby took the lease before its expiry: %+v, %v", tb, err)
	}
	if err := ta.Check(); err != nil {
		t.Fatalf("the active gave up before its expiry: %v", err)
	}
	neverBoth("before expiry")

	// At the expiry the active stops acting by itself, whatever the database.
	clock.Advance(time.Millisecond)
	if err := ta.Check(); !errors.Is(err, ErrLost) || ta.Context().Err() == nil {
		t.Fatalf("the active did not stop at its expiry: %v", err)
	}
	if active, _, _ := a.Active(); active {
		t.Error("a expired term still says active")
	}
	tb, err := b.TryAcquire(ctx)
	if err != nil || tb == nil || tb.Token != 2 {
		t.Fatalf("takeover after expiry = %+v, %v; want token 2", tb, err)
	}
	neverBoth("takeover")

	// The old holder, resumed, tries to renew: the row has another token.
	if err := ta.Renew(ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("the old holder renewed a lease taken over: %v", err)
	}
	if ta2, err := a.TryAcquire(ctx); err != nil || ta2 != nil {
		t.Fatalf("the old holder took the lease back: %+v, %v", ta2, err)
	}
	neverBoth("old holder resumed")

	// An orderly stop releases at once: the other takes over with no wait.
	if err := tb.Release(ctx); err != nil {
		t.Fatal(err)
	}
	ta3, err := a.TryAcquire(ctx)
	if err != nil || ta3 == nil || ta3.Token != 3 {
		t.Fatalf("acquire after a release = %+v, %v; want token 3", ta3, err)
	}
	if !errors.Is(context.Cause(tb.Context()), ErrLost) {
		t.Errorf("released term's context: %v", context.Cause(tb.Context()))
	}
	neverBoth("after release")

	// A holder whose own lease expired with nobody taking it starts a new
	// term: a new token, so writes of the old term can be told apart.
	clock.Advance(4 * time.Second)
	ta4, err := a.TryAcquire(ctx)
	if err != nil || ta4 == nil || ta4.Token != 4 {
		t.Fatalf("re-acquire after own expiry = %+v, %v; want token 4", ta4, err)
	}
	if ta3.Context().Err() == nil {
		t.Error("the previous term of the same process is still live")
	}
}
