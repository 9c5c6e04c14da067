package ivr

import (
	"testing"
	"time"
)

// BenchmarkBridgedCall runs the whole happy path against the fakes: the
// script's own cost per call, with a hunt that skips one unanswered phone.
func BenchmarkBridgedCall(b *testing.B) {
	start := time.Now()
	for b.Loop() {
		h := newHarness(b)
		h.happy()
		h.sw.plans[martinPhone] = []dialPlan{noAnswer(25 * time.Second)}
		h.sw.plans[bernardPh] = []dialPlan{accepts("gp")}
		h.run()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}
