package wiring

import (
	"time"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// EmulatorClock runs the call script on the ARI emulator's clock, so that a
// demo or a test lives in one emulated time (prompts, rings, hunt deadline,
// hold messages) at an accelerated pace.
//
// The emulator fires its timers one at a time on its own goroutine; the
// script's callbacks may block on a prompt whose end is itself an emulated
// timer, so each runs in a goroutine of its own, as ivr.Clock promises.
func EmulatorClock(c *arisim.ScaledClock) ivr.Clock { return emulatorClock{c} }

type emulatorClock struct{ c *arisim.ScaledClock }

func (e emulatorClock) Now() time.Time { return e.c.Now() }

func (e emulatorClock) AfterFunc(d time.Duration, f func()) ivr.Timer {
	return e.c.AfterFunc(d, func() { go f() })
}
