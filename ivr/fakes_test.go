package ivr

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
)

// fakeClock only moves when a fake leg waits (a ring, a digit timeout) or a
// test advances it; due timers run synchronously, in deadline order, on the
// goroutine that advances it, so every run is the same.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*fakeTimer
	// armed, when set, is told of every AfterFunc (outside the lock).
	armed func(d time.Duration)
}

type fakeTimer struct {
	clock *fakeClock
	when  time.Time
	seq   int
	f     func()
	d     time.Duration
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{clock: c, when: c.now.Add(d), seq: c.seq, f: f, d: d}
	c.timers = append(c.timers, t)
	armed := c.armed
	c.mu.Unlock()
	if armed != nil {
		armed(d)
	}
	c.mu.Lock() // for the deferred unlock
	return t
}

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves time on by d, running the timers that fall due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.Slice(c.timers, func(i, j int) bool {
			if c.timers[i].when.Equal(c.timers[j].when) {
				return c.timers[i].seq < c.timers[j].seq
			}
			return c.timers[i].when.Before(c.timers[j].when)
		})
		if len(c.timers) == 0 || c.timers[0].when.After(target) {
			c.now = target
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
	}
}

// pending reports the durations of the timers still armed.
func (c *fakeClock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ds []time.Duration
	for _, t := range c.timers {
		ds = append(ds, t.d)
	}
	return ds
}

// fakeLeg is a scripted party. Its keys are tokens: digits, '*' and '#'
// typed, 'T' a wait that times out, 'H' the party hanging up. Tokens are
// queued by rules when a given prompt starts playing: "enter_rpps" fires the
// first time that prompt plays, "enter_rpps#2" the second time.
type fakeLeg struct {
	id     string
	clock  *fakeClock
	labels map[string]string // media → prompt id

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	rules    map[string]string
	counts   map[string]int
	tokens   []byte
	heard    []string
	answered bool
	hungUp   bool
	hungUpBy string          // "script" | "party" | "network"
	hangups  int             // Hangup calls by the script
	waits    []time.Duration // the timeout of every ReadDigit

	// outbound only
	sw   *fakeSwitch
	plan dialPlan
	req  DialRequest
}

func newFakeLeg(id string, clock *fakeClock, labels map[string]string, rules map[string]string) *fakeLeg {
	l := &fakeLeg{id: id, clock: clock, labels: labels, rules: rules, counts: map[string]int{}}
	l.ctx, l.cancel = context.WithCancelCause(context.Background())
	return l
}

func (l *fakeLeg) ID() string               { return l.id }
func (l *fakeLeg) Context() context.Context { return l.ctx }

func (l *fakeLeg) alive(ctx context.Context) error {
	if err := context.Cause(l.ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// goneBy ends the leg from the far side (or the network).
func (l *fakeLeg) goneBy(who string, cause int) {
	l.mu.Lock()
	if l.hungUp {
		l.mu.Unlock()
		return
	}
	l.hungUp, l.hungUpBy = true, who
	l.mu.Unlock()
	l.cancel(&HangupError{LegID: l.id, Cause: cause, CauseText: who})
}

func (l *fakeLeg) Answer(ctx context.Context) error {
	if err := l.alive(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	l.answered = true
	l.mu.Unlock()
	return nil
}

func (l *fakeLeg) label(media string) string {
	if id, ok := l.labels[media]; ok {
		return id
	}
	return strings.TrimPrefix(media, "sound:")
}

func (l *fakeLeg) Play(ctx context.Context, interruptible bool, media ...string) error {
	for _, m := range media {
		if err := l.alive(ctx); err != nil {
			return err
		}
		label := l.label(m)
		l.mu.Lock()
		l.heard = append(l.heard, label)
		l.counts[label]++
		n := l.counts[label]
		if n == 1 {
			l.tokens = append(l.tokens, l.rules[label]...)
		}
		l.tokens = append(l.tokens, l.rules[fmt.Sprintf("%s#%d", label, n)]...)
		head := byte(0)
		if len(l.tokens) > 0 {
			head = l.tokens[0]
		}
		if head == 'H' {
			l.tokens = l.tokens[1:]
		}
		l.mu.Unlock()
		if head == 'H' {
			l.goneBy("party", 16)
			return context.Cause(l.ctx)
		}
		if interruptible && head != 0 && head != 'T' {
			return nil
		}
	}
	return nil
}

func (l *fakeLeg) ReadDigit(ctx context.Context, timeout time.Duration) (byte, error) {
	if err := l.alive(ctx); err != nil {
		return 0, err
	}
	l.mu.Lock()
	l.waits = append(l.waits, timeout)
	var head byte
	if len(l.tokens) > 0 {
		head = l.tokens[0]
		l.tokens = l.tokens[1:]
	}
	l.mu.Unlock()
	switch head {
	case 0, 'T':
		l.clock.Advance(timeout)
		if err := l.alive(ctx); err != nil {
			return 0, err
		}
		return 0, ErrDigitTimeout
	case 'H':
		l.goneBy("party", 16)
		return 0, context.Cause(l.ctx)
	}
	return head, nil
}

func (l *fakeLeg) FlushDigits() {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := 0
	for i < len(l.tokens) && l.tokens[i] != 'H' && l.tokens[i] != 'T' {
		i++
	}
	l.tokens = l.tokens[i:]
}

func (l *fakeLeg) StartHold(ctx context.Context) error {
	if err := l.alive(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	l.heard = append(l.heard, "(hold)")
	l.mu.Unlock()
	return nil
}

func (l *fakeLeg) StopHold(ctx context.Context) error {
	if err := l.alive(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	l.heard = append(l.heard, "(/hold)")
	l.mu.Unlock()
	return nil
}

func (l *fakeLeg) Hangup(ctx context.Context, reason HangupReason) error {
	l.mu.Lock()
	l.hangups++
	if l.hungUp {
		l.mu.Unlock()
		return nil
	}
	l.hungUp, l.hungUpBy = true, "script"
	l.mu.Unlock()
	l.cancel(&HangupError{LegID: l.id, Cause: 16, CauseText: "hung up by us"})
	return nil
}

func (l *fakeLeg) Heard() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.heard...)
}

func (l *fakeLeg) gone() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hungUp
}

// fakeGP is the GP's inbound leg.
type fakeGP struct {
	*fakeLeg
	caller, did string
}

func (g *fakeGP) CallerNumber() string { return g.caller }
func (g *fakeGP) DialedNumber() string { return g.did }

// dialPlan scripts one dial of a phone.
type dialPlan struct {
	dialErr          error         // Dial itself fails
	ring             time.Duration // how long it rings (the clock moves on)
	fail             *DialError    // the attempt ends unanswered
	gpLeaves         bool          // the GP hangs up while this phone rings
	gpLeavesOnAnswer bool          // …just as this phone answers
	keys             map[string]string
	typedEarly       string // keys already in the buffer when the leg answers
	afterConnect     string // "gp" | "specialist": who hangs up once bridged
}

// WaitAnswer plays the plan.
func (l *fakeLeg) WaitAnswer(ctx context.Context) error {
	p := l.plan
	if p.gpLeaves {
		l.sw.gp.goneBy("party", 16)
	}
	if err := l.alive(ctx); err != nil {
		return err
	}
	l.clock.Advance(p.ring)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if p.fail != nil {
		l.goneBy("network", p.fail.Cause)
		return p.fail
	}
	l.mu.Lock()
	l.answered = true
	l.tokens = append(l.tokens, p.typedEarly...)
	l.mu.Unlock()
	if p.gpLeavesOnAnswer {
		l.sw.gp.goneBy("party", 16)
	}
	return nil
}

type fakeSwitch struct {
	clock  *fakeClock
	labels map[string]string
	gp     *fakeGP

	mu         sync.Mutex
	plans      map[string][]dialPlan // per phone, one per successive dial
	dials      []DialRequest
	legs       []*fakeLeg
	connected  [][2]string
	closed     int
	connectErr error
}

func (s *fakeSwitch) Dial(ctx context.Context, req DialRequest) (OutboundLeg, error) {
	s.mu.Lock()
	s.dials = append(s.dials, req)
	plan := dialPlan{ring: req.RingTimeout, fail: &DialError{Result: DialNoAnswer, Cause: 19}}
	if ps := s.plans[req.Phone]; len(ps) > 0 {
		plan, s.plans[req.Phone] = ps[0], ps[1:]
	}
	s.mu.Unlock()
	if plan.dialErr != nil {
		return nil, plan.dialErr
	}
	l := newFakeLeg(req.Key, s.clock, s.labels, plan.keys)
	l.sw, l.plan, l.req = s, plan, req
	s.mu.Lock()
	s.legs = append(s.legs, l)
	s.mu.Unlock()
	return l, nil
}

func (s *fakeSwitch) Connect(ctx context.Context, id string, a, b Leg) (Connection, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if s.connectErr != nil {
		return nil, s.connectErr
	}
	s.mu.Lock()
	s.connected = append(s.connected, [2]string{a.ID(), b.ID()})
	s.mu.Unlock()
	spec := b.(*fakeLeg)
	switch spec.plan.afterConnect {
	case "gp":
		s.gp.goneBy("party", 16)
	case "specialist":
		spec.goneBy("party", 16)
	}
	return fakeConnection{s}, nil
}

type fakeConnection struct{ s *fakeSwitch }

func (c fakeConnection) Close(context.Context) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.closed++
	return nil
}

// fakeDirectory is the roster in memory; PINs lock after lockAfter failures.
type fakeDirectory struct {
	mu          sync.Mutex
	territories map[string]roster.Territory // by DID
	requerants  map[string]roster.Enrolment // by RPPS
	pins        map[int64]string
	failures    map[int64]int
	lockAfter   int
	chains      map[int64][]roster.Candidate // by specialty id
	onDutyAt    []time.Time
	pinChecks   int
	panicIn     string
	errIn       map[string]error
}

func (d *fakeDirectory) fail(method string) error {
	if d.panicIn == method {
		panic("fake directory: " + method + " exploded")
	}
	return d.errIn[method]
}

func (d *fakeDirectory) TerritoryByDID(_ context.Context, did string) (roster.Territory, error) {
	if err := d.fail("TerritoryByDID"); err != nil {
		return roster.Territory{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.territories[did]
	if !ok {
		return roster.Territory{}, fmt.Errorf("territory of %s: %w", did, roster.ErrNotFound)
	}
	return t, nil
}

func (d *fakeDirectory) Requerant(_ context.Context, territoryID int64, rpps string) (roster.Enrolment, error) {
	if err := d.fail("Requerant"); err != nil {
		return roster.Enrolment{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.requerants[rpps]
	if !ok || e.TerritoryID != territoryID {
		return roster.Enrolment{}, roster.ErrNotFound
	}
	return e, nil
}

func (d *fakeDirectory) RequerantByPhone(_ context.Context, territoryID int64, phone string) (roster.Enrolment, error) {
	if err := d.fail("RequerantByPhone"); err != nil {
		return roster.Enrolment{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.requerants {
		for _, p := range e.Phones {
			if p == phone && e.TerritoryID == territoryID {
				return e, nil
			}
		}
	}
	return roster.Enrolment{}, roster.ErrNotFound
}

func (d *fakeDirectory) VerifyPIN(_ context.Context, enrolmentID int64, pin, _ string, now time.Time) error {
	if err := d.fail("VerifyPIN"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pinChecks++
	for rpps, e := range d.requerants {
		if e.ID != enrolmentID {
			continue
		}
		if e.LockedUntil.After(now) {
			return &roster.LockedError{Until: e.LockedUntil}
		}
		if d.pins[e.ID] == pin {
			d.failures[e.ID] = 0
			return nil
		}
		d.failures[e.ID]++
		if d.failures[e.ID] >= d.lockAfter {
			e.LockedUntil = now.Add(15 * time.Minute)
			d.requerants[rpps] = e
			return &roster.LockedError{Until: e.LockedUntil}
		}
		return &roster.WrongPINError{Remaining: d.lockAfter - d.failures[e.ID]}
	}
	return roster.ErrNotFound
}

func (d *fakeDirectory) OnDuty(_ context.Context, _, specialtyID int64, at time.Time) ([]roster.Candidate, error) {
	if err := d.fail("OnDuty"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.onDutyAt = append(d.onDutyAt, at)
	return d.chains[specialtyID], nil
}

type captureRecorder struct {
	mu     sync.Mutex
	events []calllog.Event
}

func (r *captureRecorder) Record(ev calllog.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *captureRecorder) all() []calllog.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]calllog.Event(nil), r.events...)
}

type captureNotifier struct {
	mu        sync.Mutex
	callbacks []CallbackRequest
	pendings  []PendingOutcome
}

func (n *captureNotifier) NobodyReached(_ context.Context, req CallbackRequest) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.callbacks = append(n.callbacks, req)
	return nil
}

func (n *captureNotifier) OutcomePending(_ context.Context, p PendingOutcome) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pendings = append(n.pendings, p)
	return nil
}

type captureMetrics struct {
	mu       sync.Mutex
	started  int
	results  []calllog.Result
	attempts []calllog.AttemptResult
	outcomes []calllog.Outcome
	pending  int
	toSpec   []time.Duration
}

func (m *captureMetrics) CallStarted() { m.mu.Lock(); m.started++; m.mu.Unlock() }
func (m *captureMetrics) CallEnded(r calllog.Result) {
	m.mu.Lock()
	m.results = append(m.results, r)
	m.mu.Unlock()
}
func (m *captureMetrics) AttemptEnded(r calllog.AttemptResult) {
	m.mu.Lock()
	m.attempts = append(m.attempts, r)
	m.mu.Unlock()
}
func (m *captureMetrics) TimeToSpecialist(d time.Duration) {
	m.mu.Lock()
	m.toSpec = append(m.toSpec, d)
	m.mu.Unlock()
}
func (m *captureMetrics) OutcomeKeyed(o calllog.Outcome) {
	m.mu.Lock()
	m.outcomes = append(m.outcomes, o)
	m.mu.Unlock()
}
func (m *captureMetrics) OutcomePending() { m.mu.Lock(); m.pending++; m.mu.Unlock() }
