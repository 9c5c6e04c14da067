package testclock

import (
	"reflect"
	"testing"
	"time"
)

// Timers fire when Advance passes their deadline, in due order (ties in
// creation order), each seeing the clock at its own deadline; a stopped
// timer never fires.
func TestTimersFireInDueOrderWhenAdvancePassesThem(t *testing.T) {
	start := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	c := New(start)
	var fired []string
	at := func(name string) func() {
		return func() { fired = append(fired, name+"@"+c.Now().Sub(start).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(time.Second, at("b"))
	stopped := c.AfterFunc(2*time.Second, at("stopped"))
	c.At(start.Add(4*time.Second), at("d"))

	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop must report true once, while the timer is pending")
	}
	c.Advance(500 * time.Millisecond)
	if len(fired) != 0 {
		t.Fatalf("fired before their deadline: %v", fired)
	}
	c.Advance(3 * time.Second)
	if want := []string{"a@1s", "b@1s", "c@3s"}; !reflect.DeepEqual(fired, want) {
		t.Fatalf("fired %v, want %v", fired, want)
	}
	if got := c.Now().Sub(start); got != 3500*time.Millisecond {
		t.Fatalf("clock at %s after the advance, want 3.5s", got)
	}
	c.AdvanceTo(start.Add(time.Hour))
	if want := []string{"a@1s", "b@1s", "c@3s", "d@4s"}; !reflect.DeepEqual(fired, want) {
		t.Fatalf("fired %v, want %v", fired, want)
	}
	if _, ok := c.NextDue(); ok {
		t.Fatal("a timer is still pending")
	}
}

// A negative Advance sets the clock back and fires nothing.
func TestNegativeAdvanceSetsTheClockBack(t *testing.T) {
	start := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	c := New(start)
	fired := false
	c.AfterFunc(time.Second, func() { fired = true })
	c.Advance(-time.Hour)
	if !c.Now().Equal(start.Add(-time.Hour)) || fired {
		t.Fatalf("now %s, fired %v", c.Now(), fired)
	}
}
