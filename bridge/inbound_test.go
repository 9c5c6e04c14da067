package bridge

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// Digits typed during a prompt, between two prompts and after the last one
// all reach ReadDigit, in order.
func TestInboundDigitsAcrossPrompts(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	type result struct {
		caller, dialed, digits string
		err                    error
	}
	got := make(chan result, 1)
	drain := serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		r := result{caller: call.CallerNumber(), dialed: call.DialedNumber()}
		defer func() { got <- r }()
		if r.err = call.Answer(ctx); r.err != nil {
			return
		}
		if r.err = call.Play(ctx, false, "sound:regul/bienvenue"); r.err != nil {
			return
		}
		if r.err = call.Play(ctx, false, "sound:regul/rpps"); r.err != nil {
			return
		}
		r.digits, r.err = collect(ctx, call)
	})
	gp := sim.Call("regul", gpCall("gp",
		arisim.WaitAnswer(), arisim.Wait(500*time.Millisecond), arisim.Press("123", 250*time.Millisecond), // during the welcome
		arisim.WaitForSound("bienvenue"), arisim.Press("45", 10*time.Millisecond), // between prompts and during the second
		arisim.WaitForSound("rpps"), arisim.Press("6#", 250*time.Millisecond), // after the last prompt
		arisim.Silent()))
	r := receive(t, got, "the handler")
	if r.err != nil || r.digits != "123456#" {
		t.Fatalf("digits %q, err %v; want 123456#", r.digits, r.err)
	}
	if r.caller != "+33611000014" || r.dialed != regulDID {
		t.Fatalf("caller %q dialed %q", r.caller, r.dialed)
	}
	waitIdle(t, sim)
	end := gp.Snapshot().Ended
	if end.By != "app" {
		t.Fatalf("the call was ended by %q, want the bridge's cleanup (app)", end.By)
	}
	drain() // returns once the call's cleanup is over
	if st := s.Stats(); st.Legs != 0 || st.CallsTotal != 1 || st.EventsMalformed != 0 {
		t.Fatalf("stats after the call: %+v", st)
	}
}

// An interruptible Play stops at the first digit, which stays for ReadDigit,
// and plays nothing after it.
func TestBargeIn(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	type result struct {
		digit byte
		err   error
	}
	got := make(chan result, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		var r result
		defer func() { got <- r }()
		if r.err = call.Answer(ctx); r.err != nil {
			return
		}
		if r.err = call.Play(ctx, true, "sound:regul/long", "sound:regul/after"); r.err != nil {
			return
		}
		r.digit, r.err = call.ReadDigit(ctx, time.Second)
	})
	gp := sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Wait(time.Second), arisim.Press("7", 0), arisim.Silent()))
	r := receive(t, got, "the handler")
	if r.err != nil || r.digit != '7' {
		t.Fatalf("ReadDigit after barge-in = %q, %v", r.digit, r.err)
	}
	waitIdle(t, sim)
	if heard := gp.Snapshot().Heard(); !slices.Equal(heard, []string{"sound:regul/long"}) {
		t.Fatalf("heard %v: the prompt after the barge-in was played", heard)
	}
}

// Missing sounds finish "failed" and count as played; a medium Asterisk
// never finishes is bounded by MaxMediaDuration.
func TestPlayFailedAndEndlessMedia(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	o.MaxMediaDuration = 300 * time.Millisecond
	s := open(t, o)
	got := make(chan error, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		err := call.Answer(ctx)
		if err == nil {
			err = call.Play(ctx, false, "sound:this-sound-does-not-exist", "nosuchscheme:x", "sound:regul/short")
		}
		got <- err
	})
	gp := sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.WaitForSound("short"), arisim.Hangup()))
	if err := receive(t, got, "the handler"); err != nil {
		t.Fatalf("Play: %v", err)
	}
	waitIdle(t, sim)
	if heard := gp.Snapshot().Heard(); len(heard) != 3 || heard[2] != "sound:regul/short" {
		t.Fatalf("heard %v", heard)
	}
}

// The GP hanging up cancels the leg's context with the cause, ends the
// waits on the leg, and the handler's own context stays alive.
func TestGPHangupCancelsLeg(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	type result struct {
		cause, readErr error
		handlerCtxErr  error
	}
	got := make(chan result, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		var r result
		if err := call.Answer(ctx); err != nil {
			r.readErr = err
			got <- r
			return
		}
		_, r.readErr = call.ReadDigit(ctx, time.Minute)
		<-call.Context().Done()
		r.cause = context.Cause(call.Context())
		r.handlerCtxErr = ctx.Err()
		got <- r
	})
	sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Wait(time.Second), arisim.Hangup()))
	r := receive(t, got, "the handler")
	var he *ivr.HangupError
	if !errors.As(r.readErr, &he) || he.Cause != 16 || he.Vanished {
		t.Fatalf("ReadDigit while the GP hangs up = %v, want a HangupError cause 16", r.readErr)
	}
	if !errors.Is(r.cause, ivr.ErrHangup) {
		t.Fatalf("leg context cause %v", r.cause)
	}
	if r.handlerCtxErr != nil {
		t.Fatalf("the handler's context ended with the GP's leg: %v", r.handlerCtxErr)
	}
}
