package ivr

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/regul-sante/regul/internal/clock"
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

func (c *fakeClock) AfterFunc(d time.Duration, f func()) clock.Timer {
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
	memory   map[string]string

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

func (l *fakeLeg) Remember(name, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.memory == nil {
		l.memory = map[string]string{}
	}
	l.memory[name] = value
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
func (l *fakeLeg) WaitAnswer(ctx context.Context, ringing func()) error {
	p := l.plan
	if p.gpLeaves {
		l.sw.gp.goneBy("party", 16)
	}
	if err := l.alive(ctx); err != nil {
		return err
	}
	if p.ring > 0 && ringing != nil {
		ringing()
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
	// The plan is the dialled leg's: the specialist's, or the GP's of a
	// callback through the line (a is then the dialled GP, and b may be
	// the specialist who called in).
	var plan dialPlan
	for _, l := range []Leg{b, a} {
		if fl, ok := l.(*fakeLeg); ok {
			plan = fl.plan
			break
		}
	}
	party := func(l Leg) *fakeLeg {
		if g, ok := l.(*fakeGP); ok {
			return g.fakeLeg
		}
		return l.(*fakeLeg)
	}
	switch plan.afterConnect {
	case "gp":
		party(a).goneBy("party", 16)
	case "specialist":
		party(b).goneBy("party", 16)
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
