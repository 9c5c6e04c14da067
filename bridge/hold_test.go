package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// heardSounds is what the phone heard, sound starts and ends in order.
func heardSounds(r *arisim.PhoneReport) []string {
	var out []string
	for _, e := range r.Snapshot().Entries {
		switch e.Kind {
		case arisim.EntrySound:
			out = append(out, "+"+e.Value)
		case arisim.EntrySoundEnd:
			out = append(out, "-"+e.Value)
		case arisim.EntryMOHStart, arisim.EntryMOHStop:
			out = append(out, string(e.Kind))
		}
	}
	return out
}

// The hold sound is regul's own, played (not music on hold, which an
// Asterisk without moh files refuses silently), stopped before a prompt and
// started again after it.
func TestHoldPlaysRegulsSound(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	got := make(chan error, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		got <- errors.Join(call.Answer(ctx), call.StartHold(ctx), call.Play(ctx, false, "sound:regul/short"),
			call.StartHold(ctx), call.StopHold(ctx))
	})
	gp := sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Silent()))
	if err := receive(t, got, "the handler"); err != nil {
		t.Fatalf("hold: %v", err)
	}
	waitIdle(t, sim)
	want := []string{"+sound:regul/attente", "-sound:regul/attente", "+sound:regul/short", "-sound:regul/short",
		"+sound:regul/attente", "-sound:regul/attente"}
	if got := heardSounds(gp); !slices.Equal(got, want) {
		t.Fatalf("the GP heard %v, want %v", got, want)
	}
	if p := s.HoldProblem(); p != "" {
		t.Fatalf("hold problem %q with the sound installed", p)
	}
}

// Without regul's hold file (sounds not installed) the GP hears Asterisk's
// own chime, and the server reports the hold sound degraded. On an Asterisk
// with no music-on-hold class, nothing else would be heard.
func TestHoldFallsBackWhenTheSoundIsMissing(t *testing.T) {
	clk := arisim.NewScaledClock(20)
	sim := arisim.New(arisim.Options{Clock: clk, NoMOHClasses: true,
		MissingSounds: map[string]bool{"sound:regul/attente": true}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	s := open(t, testOptions(t, sim))
	got := make(chan error, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		err := errors.Join(call.Answer(ctx), call.StartHold(ctx))
		_, rerr := call.ReadDigit(ctx, time.Minute) // the GP presses a key once they hear the chime
		got <- errors.Join(err, rerr, call.StopHold(ctx))
	})
	gp := sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.WaitHearing("tone:"), arisim.Press("1", 0), arisim.Silent()))
	if err := receive(t, got, "the handler"); err != nil {
		t.Fatalf("hold: %v", err)
	}
	waitIdle(t, sim)
	tone := DefaultHoldMedia[1]
	want := []string{"+sound:regul/attente", "-sound:regul/attente", "+" + tone, "-" + tone}
	if got := heardSounds(gp); !slices.Equal(got, want) {
		t.Fatalf("the GP heard %v, want %v", got, want)
	}
	if s.HoldProblem() == "" || s.Stats().HoldFailures != 1 {
		t.Fatalf("hold problem %q, failures %d: the fallback must be reported", s.HoldProblem(), s.Stats().HoldFailures)
	}
}

// A play Asterisk accepts but never starts is asked again; after every
// retry Play says ivr.ErrNotPlayed instead of waiting for ever.
func TestPlayNeverStartedIsRetried(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	o.PlaybackStartTimeout = 50 * time.Millisecond
	s := open(t, o)
	got := make(chan [2]error, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		var r [2]error
		if err := call.Answer(ctx); err != nil {
			r[0] = err
			got <- r
			return
		}
		sim.LosePlays(1)
		r[0] = call.Play(ctx, false, "sound:regul/short")
		sim.LosePlays(playRetries + 1)
		r[1] = call.Play(ctx, false, "sound:regul/short")
		got <- r
	})
	gp := sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Silent()))
	r := receive(t, got, "the handler")
	if r[0] != nil {
		t.Fatalf("a play lost once: %v, want it played on the retry", r[0])
	}
	if !errors.Is(r[1], ivr.ErrNotPlayed) {
		t.Fatalf("a play always lost: %v, want ErrNotPlayed", r[1])
	}
	if st := s.Stats(); st.PlaybacksRetried != 1+playRetries || st.PlaybacksLost != 1 {
		t.Fatalf("retried %d lost %d", st.PlaybacksRetried, st.PlaybacksLost)
	}
	if h := gp.Snapshot().Heard(); !slices.Equal(h, []string{"sound:regul/short"}) {
		t.Fatalf("the GP heard %v", h)
	}
}

// After the GP hangs up, the bridge is destroyed and the specialist is
// played the outcome menu at once: Close returns only once the specialist
// has left the dying bridge, where a real Asterisk loses plays, so the
// menu is heard every time, without a retry.
func TestPlayRightAfterTheBridgeIsDestroyed(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	o.PlaybackStartTimeout = time.Minute // a lost play would hang the test, not be retried
	s := open(t, o)
	const calls = 5
	rep := sim.Play(specialist(arisim.AnswersAfter(100 * time.Millisecond)...))
	got := make(chan error, calls)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		got <- func() error {
			if err := call.Answer(ctx); err != nil {
				return err
			}
			out, err := s.Dial(ctx, dialFor(call, "call-"+call.ID()))
			if err != nil {
				return err
			}
			if err := out.WaitAnswer(ctx, nil); err != nil {
				return err
			}
			conn, err := s.Connect(ctx, "bridge-"+call.ID(), call, out)
			if err != nil {
				return err
			}
			if err := conn.Close(ctx); err != nil {
				return err
			}
			return out.Play(ctx, false, "sound:regul/short")
		}()
	})
	for i := range calls {
		sim.Call("regul", gpCall(fmt.Sprintf("gp%d", i), arisim.WaitAnswer(), arisim.Silent()))
		if err := receive(t, got, "the handler"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if st := s.Stats(); st.PlaybacksRetried != 0 {
		t.Fatalf("%d plays had to be asked again", st.PlaybacksRetried)
	}
	if h := rep.Phone("claire").Snapshot().Heard(); len(h) != calls {
		t.Fatalf("the specialist heard %v, want %d menus", h, calls)
	}
}
