package arisim

import (
	"sync"
	"time"

	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/testkit/testclock"
)

// The emulator's notion of time is a clock.Clock whose timers fire one at a
// time, in due order (ties in creation order), on a goroutine of the clock's
// own: the emulator's behaviour is ordered by emulated time whatever the real
// scheduling. Every duration inside the emulator (prompt lengths, ring times,
// script waits, originate timeouts) is measured on it, so tests can run
// minutes of telephony in milliseconds. A testclock.Clock is such a clock
// that only moves when the test advances it (the trace replay drives it from
// the trace's own timestamps); a ScaledClock moves on its own.

// ScaledClock runs emulated time Speed times faster than real time: with
// Speed 1000 a 25 s ring lasts 25 ms. The controller under test runs on real
// time, so a speed too high makes emulated phones faster than any human;
// scripts that wait for what they hear (not for fixed delays) stay correct.
type ScaledClock struct {
	timers    *testclock.Clock // advanced by run, to the emulated now
	speed     float64
	realStart time.Time
	emuStart  time.Time
	wake      chan struct{}
	stop      chan struct{}
	once      sync.Once
}

var _ clock.Clock = (*ScaledClock)(nil)

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
	c := &ScaledClock{timers: testclock.New(start), speed: speed, realStart: time.Now(), emuStart: start,
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
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
	if s := c.timers.Now(); s.After(n) {
		return s
	}
	return n
}

// AfterFunc schedules against the emulated now.
func (c *ScaledClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	t := c.timers.At(c.Now().Add(max(d, 0)), f)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return t
}

func (c *ScaledClock) run() {
	rt := time.NewTimer(time.Hour)
	defer rt.Stop()
	for {
		wait := time.Hour
		if due, ok := c.timers.NextDue(); ok {
			wait = time.Duration(float64(due.Sub(c.emuNow())) / c.speed)
		}
		if wait <= 0 {
			c.timers.AdvanceTo(c.emuNow())
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
			c.timers.AdvanceTo(c.emuNow())
		}
	}
}
