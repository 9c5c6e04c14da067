package lease

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/testclock"
)

// node plays the Asterisk node as a witness: whether the controllers'
// application has a WebSocket, and the last beat it was told.
type node struct {
	mu        sync.Mutex
	connected bool
	beatAt    time.Time
	beatBy    string
	down      bool // Asterisk unreachable: beats fail
}

func (n *node) Beat(_ context.Context, holder string, _ int64, at time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down {
		return errors.New("connection refused (test)")
	}
	n.beatAt, n.beatBy = at, holder
	return nil
}

func (n *node) Resign(_ context.Context, holder string, _ int64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.beatBy == holder {
		n.beatAt, n.beatBy = time.Time{}, ""
	}
	return nil
}

func (n *node) Alive(_ context.Context, now time.Time, ttl time.Duration) (bool, string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.connected && now.Sub(n.beatAt) < ttl, n.beatBy, nil
}

func (n *node) set(f func(*node)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f(n)
}

// flakyPool is a pool on the test database whose connections can be cut:
// the database away from this process only.
func flakyPool(t *testing.T, url string) (*pgxpool.Pool, *atomic.Bool) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	down := new(atomic.Bool)
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if down.Load() {
			return nil, errors.New("connection refused (test: database away)")
		}
		return d.DialContext(ctx, network, addr)
	}
	cfg.ConnConfig.ConnectTimeout = time.Second
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, down
}

type pair struct {
	t     *testing.T
	clock *testclock.Clock
	node  *node
	a, b  *Elector
	aDown *atomic.Bool
	aPool *pgxpool.Pool
	ctx   context.Context
}

// newPair: two controllers of one node, a on a pool that can lose the
// database, b on a pool that keeps it (the harder case: only the active is
// cut off), both with the node as witness.
func newPair(t *testing.T) *pair {
	url := pgtest.URL(t)
	p := &pair{t: t, clock: testclock.New(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)), node: &node{}, ctx: context.Background()}
	var bPool *pgxpool.Pool
	p.aPool, p.aDown = flakyPool(t, url)
	bPool, _ = flakyPool(t, url)
	mk := func(pool *pgxpool.Pool, id string) *Elector {
		e, err := New(Options{Pool: pool, Node: "asterisk-a", ID: id, RenewInterval: time.Second, TTL: 3 * time.Second,
			Clock: p.clock, Log: zap.NewNop(), Witness: p.node})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	p.a, p.b = mk(p.aPool, "regul-a"), mk(bPool, "regul-b")
	return p
}

func (p *pair) neverBoth(step string) {
	p.t.Helper()
	aa, _, _ := p.a.Active()
	bb, _, _ := p.b.Active()
	if aa && bb {
		p.t.Fatalf("%s: both controllers active", step)
	}
}

// databaseAway cuts a from the database, as a failover or an outage does
// (its open connections are dropped too).
func (p *pair) databaseAway(away bool) {
	p.aDown.Store(away)
	if away {
		p.aPool.Reset()
	}
}

// The database goes away from the active controller for much longer than
// the lease: it keeps driving the node (the node sees it beat), the standby
// does not take the expired lease, and when the database answers again the
// active renews its own row with the same token.
func TestActiveKeepsTheNodeThroughADatabaseOutage(t *testing.T) {
	p := newPair(t)
	ta, err := p.a.TryAcquire(p.ctx)
	if err != nil || ta == nil {
		t.Fatalf("acquire = %+v, %v", ta, err)
	}
	p.node.set(func(n *node) { n.connected = true })
	if err := ta.Beat(p.ctx); err != nil {
		t.Fatal(err)
	}

	p.databaseAway(true)
	for i := range 20 {
		p.clock.Advance(time.Second)
		if err := ta.Beat(p.ctx); err != nil {
			t.Fatalf("second %d: beat: %v", i, err)
		}
		if err := ta.Renew(p.ctx); err != nil {
			t.Fatalf("second %d: the active stopped while the database was away and the node saw it: %v", i, err)
		}
		if tb, err := p.b.TryAcquire(p.ctx); err != nil || tb != nil {
			t.Fatalf("second %d: the standby took the lease of a node still driven: %+v, %v", i, tb, err)
		}
		p.neverBoth("database away")
	}
	if !ta.Degraded() {
		t.Error("the term does not say it is kept without the database")
	}
	if active, _, holder := p.b.Active(); active || holder == "" {
		t.Errorf("standby: active %v, holder seen %q", active, holder)
	}

	p.databaseAway(false)
	p.clock.Advance(time.Second)
	if err := ta.Renew(p.ctx); err != nil {
		t.Fatalf("renewal once the database is back: %v", err)
	}
	if ta.Degraded() {
		t.Error("still degraded after a renewal")
	}
	var token int64
	var holder string
	if err := p.aPool.QueryRow(p.ctx, `SELECT holder, token FROM controller_lease WHERE node = 'asterisk-a'`).Scan(&holder, &token); err != nil {
		t.Fatal(err)
	}
	if holder != "regul-a" || token != ta.Token {
		t.Errorf("row after the outage: %s token %d; want regul-a token %d", holder, token, ta.Token)
	}
}

// The active is cut from the database and then from the node too (it
// died, or its ARI link is down): it stops by itself when its last beat is
// TTL old, and the standby takes over then, not before.
func TestStandbyTakesOverWhenTheNodeNoLongerSeesTheActive(t *testing.T) {
	p := newPair(t)
	ta, _ := p.a.TryAcquire(p.ctx)
	p.node.set(func(n *node) { n.connected = true })
	p.databaseAway(true)
	p.clock.Advance(time.Second)
	if err := ta.Beat(p.ctx); err != nil {
		t.Fatal(err)
	}
	if err := ta.Renew(p.ctx); err != nil {
		t.Fatal(err)
	}
	lastBeat := p.clock.Now()

	// No beat from now on. Just before the beat's TTL both wait.
	p.node.set(func(n *node) { n.down = true })
	p.clock.Advance(3*time.Second - time.Millisecond)
	if err := ta.Beat(p.ctx); err == nil {
		t.Fatal("a beat succeeded on a node that cannot be reached")
	}
	if err := ta.Check(); err != nil {
		t.Fatalf("the active stopped before its last beat's TTL: %v", err)
	}
	if tb, err := p.b.TryAcquire(p.ctx); err != nil || tb != nil {
		t.Fatalf("the standby took over before the last beat's TTL: %+v, %v", tb, err)
	}
	p.neverBoth("before the beat's TTL")

	p.clock.Advance(time.Millisecond)
	if err := ta.Check(); !errors.Is(err, ErrLost) {
		t.Fatalf("the active kept the node %v after its last beat (%s): %v", 3*time.Second, lastBeat, err)
	}
	tb, err := p.b.TryAcquire(p.ctx)
	if err != nil || tb == nil || tb.Token != ta.Token+1 {
		t.Fatalf("takeover = %+v, %v; want token %d", tb, err, ta.Token+1)
	}
	p.neverBoth("takeover")

	// The old active finds the database again: fenced at once.
	p.databaseAway(false)
	if err := ta.Renew(p.ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("the old active renewed a lease taken over: %v", err)
	}
}

// A standby that finds the lease expired and the node's application with
// no WebSocket (the active crashed) takes over at the expiry.
func TestStandbyTakesOverAtExpiryWhenNoControllerIsConnected(t *testing.T) {
	p := newPair(t)
	ta, _ := p.a.TryAcquire(p.ctx)
	p.node.set(func(n *node) { n.connected = true })
	_ = ta.Beat(p.ctx)
	ta.Abandon() // a crash: nothing more is written, not even the release
	if err := ta.Release(p.ctx); err != nil {
		t.Fatal(err)
	}
	p.node.set(func(n *node) { n.connected = false })
	p.clock.Advance(3*time.Second - time.Millisecond)
	if tb, err := p.b.TryAcquire(p.ctx); err != nil || tb != nil {
		t.Fatalf("standby took the lease before its expiry: %+v, %v", tb, err)
	}
	p.clock.Advance(time.Millisecond)
	tb, err := p.b.TryAcquire(p.ctx)
	if err != nil || tb == nil || tb.Token != 2 {
		t.Fatalf("takeover at expiry = %+v, %v; want token 2", tb, err)
	}
}

// While the database is away from the active, the standby takes over (the
// node stopped seeing the active: its link dropped for a while); the active
// is seen again by the node afterwards, and its next renewal, when the
// database answers, finds the other holder: it stops at once, however
// recent its beats.
func TestRenewalThatFindsAnotherHolderStopsAtOnce(t *testing.T) {
	p := newPair(t)
	ta, _ := p.a.TryAcquire(p.ctx)
	p.node.set(func(n *node) { n.connected = true })
	p.databaseAway(true)
	p.clock.Advance(time.Second)
	_ = ta.Beat(p.ctx)
	_ = ta.Renew(p.ctx)
	p.node.set(func(n *node) { n.connected = false })
	p.clock.Advance(3 * time.Second)
	tb, err := p.b.TryAcquire(p.ctx)
	if err != nil || tb == nil {
		t.Fatalf("takeover = %+v, %v", tb, err)
	}
	if err := ta.Check(); !errors.Is(err, ErrLost) {
		t.Fatalf("the active did not stop at its last beat's TTL: %v", err)
	}
	p.databaseAway(false)
	if err := ta.Renew(p.ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("renewal against another holder = %v, want ErrLost", err)
	}
	if err := tb.Renew(p.ctx); err != nil {
		t.Fatalf("the new holder lost its lease: %v", err)
	}
}

// Without a witness the old rule holds: a holder that cannot renew stops
// at its expiry, database or not.
func TestWithoutWitnessADatabaseOutageStopsTheActiveAtExpiry(t *testing.T) {
	url := pgtest.URL(t)
	pool, down := flakyPool(t, url)
	clock := testclock.New(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	e, _ := New(Options{Pool: pool, Node: "asterisk-a", ID: "regul-a", TTL: 3 * time.Second, Clock: clock, Log: zap.NewNop()})
	ta, err := e.TryAcquire(context.Background())
	if err != nil || ta == nil {
		t.Fatal(ta, err)
	}
	down.Store(true)
	pool.Reset()
	clock.Advance(2 * time.Second)
	if err := ta.Renew(context.Background()); err != nil {
		t.Fatalf("stopped before its expiry: %v", err)
	}
	clock.Advance(time.Second)
	if err := ta.Renew(context.Background()); !errors.Is(err, ErrLost) {
		t.Fatalf("kept the node past its expiry with no witness: %v", err)
	}
}

// An orderly stop withdraws the beat: a standby takes over at once even
// while the application is still listed (calls left in Asterisk).
func TestReleaseWithdrawsTheBeat(t *testing.T) {
	p := newPair(t)
	ta, _ := p.a.TryAcquire(p.ctx)
	p.node.set(func(n *node) { n.connected = true })
	if err := ta.Beat(p.ctx); err != nil {
		t.Fatal(err)
	}
	if err := ta.Release(p.ctx); err != nil {
		t.Fatal(err)
	}
	tb, err := p.b.TryAcquire(p.ctx)
	if err != nil || tb == nil || tb.Token != 2 {
		t.Fatalf("takeover after a release = %+v, %v; want token 2 at once", tb, err)
	}
}

// waitUntil checks cond every 10 ms until it holds or 10 s pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// The background renewer on the wall clock (as serve runs it): through a
// database outage several times the TTL it keeps the term by beating, the
// standby's attempts find the node driven; when the database is back the
// same token is renewed; when the node is lost too, the term ends and the
// standby takes over.
func TestRenewerKeepsTheTermThroughAnOutage(t *testing.T) {
	url := pgtest.URL(t)
	aPool, aDown := flakyPool(t, url)
	bPool, _ := flakyPool(t, url)
	n := &node{connected: true}
	mk := func(pool *pgxpool.Pool, id string) *Elector {
		e, err := New(Options{Pool: pool, Node: "asterisk-a", ID: id, RenewInterval: 50 * time.Millisecond, TTL: 200 * time.Millisecond,
			Log: zap.NewNop(), Witness: n})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := mk(aPool, "regul-a"), mk(bPool, "regul-b")
	ctx := context.Background()
	hold, release := context.WithCancel(ctx)
	defer release()
	ta, err := a.Acquire(ctx, hold)
	if err != nil {
		t.Fatal(err)
	}
	expiredFor := func(d time.Duration) bool {
		var yes bool
		err := bPool.QueryRow(ctx, `SELECT expires_at < now() - $1::interval FROM controller_lease WHERE node = 'asterisk-a'`,
			d.String()).Scan(&yes)
		return err == nil && yes
	}

	aDown.Store(true)
	aPool.Reset()
	waitUntil(t, "the lease row expired for twice its TTL", func() bool { return expiredFor(400 * time.Millisecond) })
	if err := context.Cause(ta.Context()); err != nil {
		t.Fatalf("the active stopped during the outage: %v", err)
	}
	if !ta.Degraded() {
		t.Error("the term does not say the database is away")
	}
	if tb, err := b.TryAcquire(ctx); err != nil || tb != nil {
		t.Fatalf("the standby took a driven node: %+v, %v", tb, err)
	}

	aDown.Store(false)
	waitUntil(t, "the lease renewed after the outage", func() bool { return !ta.Degraded() && !expiredFor(0) })
	if active, token, _ := a.Active(); !active || token != ta.Token {
		t.Fatalf("after the outage: active %v token %d, want token %d", active, token, ta.Token)
	}

	// Cut from both: it stops by itself, the standby takes over.
	n.set(func(n *node) { n.down = true })
	aDown.Store(true)
	aPool.Reset()
	select {
	case <-ta.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the active kept the node with neither the database nor Asterisk")
	}
	waitUntil(t, "the standby taking over", func() bool {
		tb, err := b.TryAcquire(ctx)
		return err == nil && tb != nil && tb.Token == ta.Token+1
	})
}
