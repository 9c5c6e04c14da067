// Package clock is the one notion of time of the line: every component that
// reads the time or waits takes a Clock, so tests and the emulator can run
// it on time of their own. It imports nothing of the module, so the call
// script may depend on it.
package clock

import "time"

// Clock tells the time and runs functions later.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has passed, in a goroutine of its own, as
	// time.AfterFunc does: f may block (the call script's hold messages wait
	// for a prompt to end), so a clock that also drives the far end's time
	// (the ARI emulator's) must not run it on the goroutine that advances
	// time. A test clock whose fakes answer at once may call f inline.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not started; false when too late.
	Stop() bool
}

// System is the wall clock.
func System() Clock { return system{} }

type system struct{}

func (system) Now() time.Time                            { return time.Now() }
func (system) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
