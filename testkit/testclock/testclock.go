// Package testclock is a clock tests set and advance by hand. Servers read
// it from their own goroutines, so it is safe for concurrent use; its timers
// fire only when Advance passes their deadline, so every run is the same.
package testclock

import (
	"container/heap"
	"sync"
	"time"

	"github.com/regul-sante/regul/internal/clock"
)

// Clock is a manual clock.
//
// Timers fire one at a time, in due order (ties in creation order), on the
// goroutine that advances the clock, which moves to each timer's due time
// before running it so callbacks see a consistent Now. A callback must not
// advance the clock itself.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	q    timerHeap
	seq  uint64
	fire sync.Mutex // serialises callbacks: one timer runs at a time
}

var _ clock.Clock = (*Clock)(nil)

// New returns a clock reading t.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc runs f when the clock has advanced by d.
func (c *Clock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.schedule(c.now.Add(max(d, 0)), f)
}

// At runs f when the clock reaches t (at the next Advance if t is past).
func (c *Clock) At(t time.Time, f func()) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.schedule(t, f)
}

func (c *Clock) schedule(due time.Time, f func()) *timer {
	c.seq++
	t := &timer{due: due, seq: c.seq, f: f, c: c}
	heap.Push(&c.q, t)
	return t
}

// Advance moves the clock forward by d, running every timer that falls due.
// A negative d sets it back (a test that starts earlier than its fixture);
// no timer fires then.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		c.mu.Lock()
		c.now = c.now.Add(d)
		c.mu.Unlock()
		return
	}
	c.AdvanceTo(c.Now().Add(d))
}

// AdvanceTo moves the clock to to (never backwards), running every timer
// due at or before it.
func (c *Clock) AdvanceTo(to time.Time) {
	c.fire.Lock()
	defer c.fire.Unlock()
	for {
		c.mu.Lock()
		if len(c.q) == 0 || c.q[0].due.After(to) {
			if to.After(c.now) {
				c.now = to
			}
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.q).(*timer)
		if t.due.After(c.now) {
			c.now = t.due
		}
		c.mu.Unlock()
		t.f()
	}
}

// NextDue is the due time of the earliest pending timer; false when none.
func (c *Clock) NextDue() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.q) == 0 {
		return time.Time{}, false
	}
	return c.q[0].due, true
}

type timer struct {
	due     time.Time
	seq     uint64
	f       func()
	index   int
	stopped bool
	c       *Clock
}

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.stopped || t.index < 0 {
		return false
	}
	t.stopped = true
	heap.Remove(&t.c.q, t.index)
	return true
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)   { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}

// Shifted is the wall clock moved so that it reads at now: real time flows
// and timers fire in real time (as Asterisk's do), but the roster's week
// and opening hours are those of at. For suites that run against a real
// Asterisk or a real-time load.
func Shifted(at time.Time) clock.Clock { return shifted{offset: time.Until(at)} }

type shifted struct{ offset time.Duration }

func (s shifted) Now() time.Time { return time.Now().Add(s.offset) }

func (s shifted) AfterFunc(d time.Duration, f func()) clock.Timer { return time.AfterFunc(d, f) }
