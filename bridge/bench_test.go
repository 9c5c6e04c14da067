package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/arisim"
	"github.com/regul-sante/regul/ivr"
)

// BenchmarkDispatch measures the event reader's cost per event: decoding
// and applying a DTMF event to its leg among 1,000 live legs (a whole
// country's peak). The reader must keep far ahead of Asterisk.
func BenchmarkDispatch(b *testing.B) {
	s := newOfflineServer()
	const legs = 1000
	msgs := make([][]byte, legs)
	for i := range legs {
		id := fmt.Sprintf("1795421593.%d", i)
		s.dispatch([]byte(stasisStart(id, `["inbound","+33179000001"]`)))
		msgs[i] = []byte(dtmf(id, "5"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		s.dispatch(msgs[i%legs])
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.StopTimer()
	for _, l := range s.incoming {
		l.FlushDigits()
	}
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
