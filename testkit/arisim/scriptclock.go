package arisim

import (
	"time"

	"github.com/regul-sante/regul/internal/clock"
)

// ForScripts is this clock for the call script (the wiring's Options.Clock),
// so that a demo or a test lives in one emulated time (prompts, rings, hunt
// deadline, hold messages) at an accelerated pace.
//
// The emulator fires its timers one at a time on its own goroutine; the
// script's callbacks may block on a prompt whose end is itself an emulated
// timer, so each runs in a goroutine of its own, as clock.Clock promises.
func (c *ScaledClock) ForScripts() clock.Clock { return scriptClock{c} }

type scriptClock struct{ *ScaledClock }

func (s scriptClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return s.ScaledClock.AfterFunc(d, func() { go f() })
}
