package bridge

import (
	"context"
	"errors"
	"testing"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// When Serve's context ends, calls in progress finish, new calls go back
// to the dialplan, and Serve returns once the last call is over.
func TestDrain(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	started := make(chan string, 2)
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(ctx, func(ctx context.Context, call ivr.InboundCall) {
			started <- call.ID()
			<-release
			_ = call.Play(ctx, false, "sound:regul/short")
		})
	}()
	gp1 := sim.Call("regul", gpCall("gp1", arisim.Silent()))
	receive(t, started, "the first call")
	cancel()
	receive(t, s.drainStart, "draining to begin")
	if legs := s.Stats().Legs; legs != 1 || !s.Draining() {
		t.Fatalf("legs of the call in progress %d, draining %v", legs, s.Draining())
	}
	gp2 := sim.Call("regul", gpCall("gp2", arisim.Silent()))
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a call in progress", err)
	default:
	}
	close(release)
	if err := receive(t, served, "Serve to return"); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	waitIdle(t, sim)
	if end := gp2.Snapshot().Ended; end.By != "dialplan" {
		t.Fatalf("call placed while draining ended by %q, want the dialplan", end.By)
	}
	if h := gp1.Snapshot().Heard(); len(h) != 1 {
		t.Fatalf("the call in progress was cut: heard %v", h)
	}
	if len(started) != 0 {
		t.Fatal("a call placed while draining reached the handler")
	}
}

// Shutdown hangs up the calls in progress and ends the handlers' context.
func TestShutdownHangsUp(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	sim.Play(specialist(arisim.NoAnswer()...))
	type result struct{ ctxCause, dialErr error }
	got := make(chan result, 1)
	ready := make(chan struct{})
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		var r result
		if err := call.Answer(ctx); err == nil {
			out, err := s.Dial(ctx, dialFor(call, "call-4-1"))
			if err == nil {
				close(ready)
				r.dialErr = out.WaitAnswer(context.Background(), nil)
			}
		}
		<-call.Context().Done()
		r.ctxCause = context.Cause(ctx)
		got <- r
	})
	gp := sim.Call("regul", gpCall("gp", arisim.Silent()))
	receive(t, ready, "the dial")
	sctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	r := receive(t, got, "the handler")
	if !errors.Is(r.ctxCause, ErrShutdown) {
		t.Fatalf("handler context cause %v", r.ctxCause)
	}
	var de *ivr.DialError
	if !errors.As(r.dialErr, &de) || de.Result != ivr.DialCancelled {
		t.Fatalf("ringing leg at shutdown: %v", r.dialErr)
	}
	waitIdle(t, sim)
	if end := gp.Snapshot().Ended; end.By != "app" {
		t.Fatalf("GP call ended by %q", end.By)
	}
	if s.LinkUp() {
		t.Fatal("link still up after Shutdown")
	}
}
