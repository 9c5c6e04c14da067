package calllog

import (
	"testing"
	"time"

	"github.com/regul-sante/regul/internal/pgtest"
)

// BenchmarkRecord measures what a call pays per event (the spool write) and
// the applier's throughput into PostgreSQL (events/s until drained).
func BenchmarkRecord(b *testing.B) {
	store := NewStore(pgtest.New(b))
	log, _ := observed()
	r, err := OpenRecorder(store, Options{Dir: b.TempDir(), Log: log})
	if err != nil {
		b.Fatal(err)
	}
	tpl := bridgedCall(newCallID(), t0)
	b.ResetTimer()
	start := time.Now()
	var id string
	for i := 0; b.Loop(); i++ {
		k := i % len(tpl)
		if k == 0 {
			id = newCallID()
		}
		ev := tpl[k]
		ev.CallID = id
		r.Record(ev)
	}
	recorded := time.Since(start)
	ctx := b.Context()
	if err := r.WaitDrained(ctx); err != nil {
		b.Fatal(err)
	}
	total := time.Since(start)
	b.ReportMetric(float64(b.N)/total.Seconds(), "applied_events/s")
	b.ReportMetric(float64(recorded.Nanoseconds())/float64(b.N), "record_ns/event")
	if err := r.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
