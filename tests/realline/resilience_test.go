package realline

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/asterisktest"
)

// regul is stopped: Stasis(regul) fails at once and the project's dialplan
// tells the caller, in French, that the service is unavailable (15, 116 117),
// then hangs up with cause 41.
func TestDialplanFallbackWhileRegulIsStopped(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.stopRegul()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Asterisk drops the application once it has seen the WebSocket close;
	// a call in between would enter a dead app. No event says so: poll.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := r.pair.LineARI().Do(ctx, "GET", "/applications/regul", nil, nil)
		if asterisktest.IsStatus(err, 404) {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the line still lists regul's application after regul stopped: %v", err)
		}
	}
	g := r.dial(ctx, did, gpNumber)
	if err := g.phone.Record(ctx, "fallback"); err != nil {
		t.Fatal(err)
	}
	cause, err := g.phone.WaitEnded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wav, _, err := r.pair.Phones.WaitRecorded(ctx, "fallback")
	if err != nil {
		t.Fatal(err)
	}

	mon := r.pair.Monitor
	var stasis, played, status string
	for _, e := range mon.All() {
		if e.ChannelID() != g.line {
			continue
		}
		switch {
		case e.Type == "ChannelVarset" && e.Variable == "STASISSTATUS":
			stasis = e.Value
		case e.Type == "ChannelDialplan" && e.App == "Playback":
			played = e.AppData
		case e.Type == "ChannelVarset" && e.Variable == "PLAYBACKSTATUS":
			status = e.Value
		}
	}
	if stasis != "FAILED" || played != "regul/service-indisponible" || status != "SUCCESS" {
		t.Errorf("STASISSTATUS %q, Playback(%q) → %q; want FAILED, regul/service-indisponible, SUCCESS", stasis, played, status)
	}
	length, err := asterisktest.Duration(wav)
	if err != nil {
		t.Fatal(err)
	}
	silence, at, err := asterisktest.LongestSilence(wav, time.Second, length-time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if length < 3*time.Second || silence > 1500*time.Millisecond {
		t.Errorf("the GP heard %v, with %v of silence at %v: want the unavailable message", length, silence, at)
	}
	t.Logf("fallback: %v heard, longest silence %v, operator's hang-up cause %d", length, silence, cause)
}

// The line's Asterisk restarts while regul runs: regul connects again on
// its own and the next call goes through the whole identification.
func TestAsteriskRestartWithRegulRunning(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r.pair.Monitor.Close()
	if err := r.pair.Line.Restart(); err != nil {
		t.Fatalf("restart the line's Asterisk: %v\n%s", err, r.pair.Line.LogTail(30))
	}
	if err := r.pair.ReconnectMonitor(ctx); err != nil {
		t.Fatal(err)
	}
	// No event tells the test that regul is back: watch its link state.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !r.svc.Bridge().LinkUp() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("regul did not connect again after the restart")
		}
	}
	g := r.dial(ctx, did, gpNumber)
	g.press(ctx, "saisir-rpps", gpRPPS+"#")
	g.press(ctx, "saisir-code", r.pins[gpRPPS]+"#")
	g.hears(ctx, "menu-intro")
	if err := g.phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	rec := r.record()
	wantResult(t, rec, callevent.ResultAbandoned)
	if rec.GPRPPS != gpRPPS {
		t.Errorf("GP %q after the restart, want %s", rec.GPRPPS, gpRPPS)
	}
}
