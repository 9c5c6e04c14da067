package bridge

import (
	"context"
	"testing"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// A call that enters the application between ari/v5's first connection and
// the subscription to its bus: its StasisStart reaches nobody. The orphan
// sweep after Open hangs it up rather than leaving the GP in silence.
func TestCallEnteringBeforeTheSubscriptionIsHungUp(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	var gp *arisim.PhoneReport
	o.beforeSubscribe = func(s *Server) {
		// A probe of our own proves that ari/v5 delivered the StasisStart
		// before the server's subscription existed.
		probe := s.ari.Bus().Subscribe(nil, ari.Events.StasisStart)
		defer probe.Cancel()
		gp = sim.Call("regul", gpCall("gp", arisim.Silent()))
		receive(t, probe.Events(), "the StasisStart on the probe")
	}
	s := open(t, o)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		t.Errorf("call %s reached the handler, want its StasisStart missed", call.ID())
	})
	waitIdle(t, sim)
	if end := gp.Snapshot().Ended; end == nil || end.By != "app" {
		t.Fatalf("GP call end %+v, want hung up by the app", end)
	}
	if st := s.Stats(); st.CallsTotal != 0 {
		t.Fatalf("stats %+v: the missed call was counted", st)
	}
}

// A channel left in the application by a previous run of the controller
// (here: a GP call, then the controller gone without hanging up) is hung up
// by the next run.
func TestOrphanOfAPreviousRunIsHungUp(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	first := open(t, o)
	gp := sim.Call("regul", gpCall("gp", arisim.Silent()))
	first.Close() // the call stays in Stasis, nobody drives it
	if gp.Snapshot().Ended != nil {
		t.Fatal("the call ended with the first run")
	}
	open(t, o)
	waitIdle(t, sim)
	if end := gp.Snapshot().Ended; end == nil || end.By != "app" {
		t.Fatalf("orphan call end %+v, want hung up by the app", end)
	}
}

// With adoption on, a call whose StasisStart reached nobody is served as
// a new call instead of being hung up.
func TestCallEnteringBeforeTheSubscriptionIsServedWhenAdopting(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	o.Adopt = true
	o.beforeSubscribe = func(s *Server) {
		probe := s.ari.Bus().Subscribe(nil, ari.Events.StasisStart)
		defer probe.Cancel()
		sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Silent()))
		receive(t, probe.Events(), "the StasisStart on the probe")
	}
	s := open(t, o)
	s.SetAdopter(func(ctx context.Context, a ivr.Adoption) { t.Errorf("call %s adopted, want served as new", a.CallID) })
	served := make(chan string, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		served <- call.DialedNumber()
		_ = call.Answer(ctx)
	})
	if did := receive(t, served, "the missed call served"); did == "" {
		t.Fatal("served without its dialled number")
	}
}
