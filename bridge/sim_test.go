package bridge

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// Integration tests: the bridge against the ARI emulator over real HTTP
// and WebSocket, REST going through the real ari/v5 client.

const (
	regulDID   = "+33179000001"
	gpNumber   = "0611000014" // Marie DUBOIS, as the network presents it
	claireDial = "PJSIP/+33612000015@trunk"
	claire     = "+33612000015"
	waitLimit  = 10 * time.Second // real-time bound on any wait in these tests
)

// startSim runs an emulator whose clock goes speed times faster than real
// time, with short prompts.
func startSim(t testing.TB, speed float64) *arisim.Server {
	t.Helper()
	clk := arisim.NewScaledClock(speed)
	sim := arisim.New(arisim.Options{
		Clock:                clk,
		DefaultSoundDuration: 2 * time.Second,
		SoundDurations: map[string]time.Duration{
			"sound:regul/long":  20 * time.Second,
			"sound:regul/short": 500 * time.Millisecond,
		},
	})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { sim.Close(); clk.Close() })
	return sim
}

func testOptions(t testing.TB, sim *arisim.Server) Options {
	return Options{
		URL: sim.URL(), WebsocketURL: sim.WebsocketURL(),
		Username: "ari", Password: "ari", Application: "regul",
		RequestTimeout: 2 * time.Second, ConnectTimeout: 5 * time.Second,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
		Logger: zaptest.NewLogger(t),
	}
}

func open(t testing.TB, o Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	s, err := Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// serve runs s.Serve with h; the returned function stops taking calls and
// waits for Serve to return (after the calls in progress drained).
func serve(t *testing.T, s *Server, h Handler) (drain func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, h) }()
	stopped := false
	drain = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitLimit):
			t.Error("Serve did not return after its context ended")
		}
	}
	t.Cleanup(drain)
	return drain
}

// receive waits for one value on ch, failing the test after waitLimit.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// waitIdle waits until every phone of the emulator has hung up.
func waitIdle(t *testing.T, sim *arisim.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := sim.Wait(ctx); err != nil {
		t.Fatalf("phones still on the line: %v", err)
	}
}

func gpCall(name string, steps ...arisim.Step) arisim.InboundCall {
	return arisim.InboundCall{Name: name, From: gpNumber, DID: regulDID, Steps: steps}
}

// collect reads digits until '#' or an error.
func collect(ctx context.Context, l ivr.Leg) (string, error) {
	got := ""
	for {
		d, err := l.ReadDigit(ctx, 5*time.Second)
		if err != nil {
			return got, err
		}
		got += string(d)
		if d == '#' {
			return got, nil
		}
	}
}
