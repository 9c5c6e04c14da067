package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// BenchmarkDispatch measures the event reader's cost per event: converting
// ari/v5's typed event and applying it (a DTMF digit) to its leg among
// 1,000 live legs (a whole country's peak). The reader must keep far ahead
// of Asterisk: ari/v5's bus drops events past 100 waiting. "with-decode"
// adds ari/v5's own decoding, done on its WebSocket goroutine: the cost of
// one event end to end.
func BenchmarkDispatch(b *testing.B) {
	const legs = 1000
	setup := func() (*Server, [][]byte, []ari.Event) {
		s := newOfflineServer()
		raw := make([][]byte, legs)
		typed := make([]ari.Event, legs)
		for i := range legs {
			id := fmt.Sprintf("1795421593.%d", i)
			deliver(s, stasisStart(id, `["inbound","+33179000001"]`))
			raw[i] = []byte(dtmf(id, "5"))
			e, err := ari.DecodeEvent(raw[i])
			if err != nil {
				b.Fatal(err)
			}
			typed[i] = e
		}
		return s, raw, typed
	}
	run := func(b *testing.B, s *Server, one func(i int)) {
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			one(i % legs)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		b.StopTimer()
		for _, l := range s.incoming {
			l.FlushDigits()
		}
	}
	b.Run("typed", func(b *testing.B) {
		s, _, typed := setup()
		run(b, s, func(i int) { s.dispatch(typed[i]) })
	})
	b.Run("with-decode", func(b *testing.B) {
		s, raw, _ := setup()
		run(b, s, func(i int) {
			e, _ := ari.DecodeEvent(raw[i])
			s.dispatch(e)
		})
	})
}

// BenchmarkInboundCall measures whole inbound calls through the emulator
// over loopback, one after the other: StasisStart, answer, a prompt, three
// digits, cleanup hang-up.
func BenchmarkInboundCall(b *testing.B) {
	sim := startSim(b, 1000)
	o := testOptions(b, sim)
	o.Logger = zap.NewNop()
	s := open(b, o)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = s.Serve(ctx, func(ctx context.Context, call ivr.InboundCall) {
			err := call.Answer(ctx)
			if err == nil {
				err = call.Play(ctx, true, "sound:regul/short")
			}
			if err == nil {
				_, err = collect(ctx, call)
			}
			done <- err
		})
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Press("12#", 0), arisim.Silent()))
		if err := <-done; err != nil {
			b.Fatalf("call %d: %v", i, err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}
