package arisim

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the emulator's notion of time. Every duration inside the emulator
// (prompt lengths, ring times, script waits, originate timeouts) is measured on
// it, so tests can run minutes of telephony in milliseconds.
//
// Timers fire one at a time, in due order (ties in creation order), on the
// clock's own goroutine: the emulator's behaviour is ordered by emulated time
// whatever the real scheduling.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f once d of emulated time has passed. Stop cancels it.
	AfterFunc(d time.Duration, f func()) Stopper
}

// Stopper cancels a pending timer; it reports whether the timer was pending.
type Stopper interface{ Stop() bool }

type timer struct {
	due     time.Time
	seq     uint64
	f       func()
	index   int
	stopped bool
	s       *scheduler
}

func (t *timer) Stop() bool {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if t.stopped || t.index < 0 {
		return false
	}
	t.stopped = true
	heap.Remove(&t.s.q, t.index)
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

// scheduler is the shared timer queue of both clocks.
type scheduler struct {
	mu   sync.Mutex
	now  time.Time
	q    timerHeap
	seq  uint64
	wake chan struct{}
	fire sync.Mutex // serialises callbacks: one timer runs at a time
}

func newScheduler(start time.Time) *scheduler {
	return &scheduler{now: start, wake: make(chan struct{}, 1)}
}

func (s *scheduler) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *scheduler) AfterFunc(d time.Duration, f func()) Stopper {
	if d < 0 {
		d = 0
	}
	s.mu.Lock()
	s.seq++
	t := &timer{due: s.now.Add(d), seq: s.seq, f: f, s: s}
	heap.Push(&s.q, t)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return t
}

// advanceTo fires, in order, every timer due at or before to, moving the clock
// to each timer's due time first so callbacks see a consistent Now.
func (s *scheduler) advanceTo(to time.Time) {
	s.fire.Lock()
	defer s.fire.Unlock()
	for {
		s.mu.Lock()
		if len(s.q) == 0 || s.q[0].due.After(to) {
			if to.After(s.now) {
				s.now = to
			}
			s.mu.Unlock()
			return
		}
		t := heap.Pop(&s.q).(*timer)
		if t.due.After(s.now) {
			s.now = t.due
		}
		s.mu.Unlock()
		t.f()
	}
}

func (s *scheduler) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.q) == 0 {
		return time.Time{}, false
	}
	return s.q[0].due, true
}

// ManualClock only moves when Advance is called: fully deterministic, used by
// the trace replay where the test drives emulated time from the trace's own
// timestamps.
type ManualClock struct{ *scheduler }

// NewManualClock starts at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{newScheduler(start)} }

// Advance moves emulated time forward by d, running every timer that falls due.
func (c *ManualClock) Advance(d time.Duration) { c.advanceTo(c.Now().Add(d)) }

// AdvanceTo moves emulated time to t (never backwards).
func (c *ManualClock) AdvanceTo(t time.Time) { c.advanceTo(t) }

// ScaledClock runs emulated time Speed times faster than real time: with
// Speed 1000 a 25 s ring lasts 25 ms. The controller under test runs on real
// time, so a speed too high makes emulated phones faster than any human;
// scripts that wait for what they hear (not for fixed delays) stay correct.
type ScaledClock struct {
	*scheduler
	speed     float64
	realStart time.Time
	emuStart  time.Time
	stop      chan struct{}
	once      sync.Once
}

// NewScaledClock starts a clock running speed times real time (1 = real time).
func NewScaledClock(speed float64) *ScaledClock {
	return NewScaledClockAt(time.Now(), speed)
}

// NewScaledClockAt is NewScaledClock with emulated time starting at start,
// so that a demo or a test can take place at a chosen instant (within
// opening hours, during a given shift).
func NewScaledClockAt(start time.Time, speed float64) *ScaledClock {
	if speed <= 0 {
		speed = 1
	}
	c := &ScaledClock{scheduler: newScheduler(start), speed: speed, realStart: time.Now(), emuStart: start, stop: make(chan struct{})}
	go c.run()
	return c
}

// Speed is the ratio of emulated to real time.
func (c *ScaledClock) Speed() float64 { return c.speed }

// Close stops the clock's goroutine; pending timers never fire.
func (c *ScaledClock) Close() { c.once.Do(func() { close(c.stop) }) }

func (c *ScaledClock) emuNow() time.Time {
	return c.emuStart.Add(time.Duration(float64(time.Since(c.realStart)) * c.speed))
}

// Now is derived from real time, so it moves even between timers.
func (c *ScaledClock) Now() time.Time {
	n := c.emuNow()
	if s := c.scheduler.Now(); s.After(n) {
		return s
	}
	return n
}

// AfterFunc schedules against the emulated now.
func (c *ScaledClock) AfterFunc(d time.Duration, f func()) Stopper {
	c.scheduler.mu.Lock()
	if n := c.emuNow(); n.After(c.scheduler.now) {
		c.scheduler.now = n
	}
	c.scheduler.mu.Unlock()
	return c.scheduler.AfterFunc(d, f)
}

func (c *ScaledClock) run() {
	rt := time.NewTimer(time.Hour)
	defer rt.Stop()
	for {
		wait := time.Hour
		if due, ok := c.nextDue(); ok {
			wait = time.Duration(float64(due.Sub(c.emuNow())) / c.speed)
		}
		if wait <= 0 {
			c.advanceTo(c.emuNow())
			continue
		}
		rt.Reset(wait)
		select {
		case <-c.stop:
			return
		case <-c.wake:
			if !rt.Stop() {
				select {
				case <-rt.C:
				default:
				}
			}
		case <-rt.C:
			c.advanceTo(c.emuNow())
		}
	}
}
