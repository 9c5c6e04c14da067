package arisim

import (
	"fmt"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
)

// BenchmarkConcurrentChannels holds 1,000 channels in 500 bridges, then
// originates b.N scripted calls at up to 100/s through the real ari/v5
// client, reporting REST latency and memory per channel.
func BenchmarkConcurrentChannels(b *testing.B) {
	s := startSim(b, 1)
	cl := connect(b, s, "regul")
	s.Play(&Scenario{Outbound: []Endpoint{{Name: "callee", Dial: "PJSIP/+33600000000@trunk", Steps: []Step{Answer(), Silent()}}}})
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for i := 0; i < 500; i++ {
		br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, fmt.Sprintf("b%d", i)), "mixing", "")
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 2; j++ {
			id := fmt.Sprintf("c%d-%d", i, j)
			if _, err := cl.Channel().Originate(nil, ari.OriginateRequest{ChannelID: id, Endpoint: "PJSIP/+33600000000@trunk", App: "regul"}); err != nil {
				b.Fatal(err)
			}
			if err := br.AddChannel(id); err != nil {
				b.Fatal(err)
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	held, perChan := s.channelCount(), float64(m1.HeapAlloc-m0.HeapAlloc)/1000
	lat := make([]time.Duration, 0, b.N)
	tick := time.NewTicker(10 * time.Millisecond) // 100 originates/s
	defer tick.Stop()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		<-tick.C
		t0 := time.Now()
		h, err := cl.Channel().Originate(nil, ari.OriginateRequest{Endpoint: "PJSIP/+33600000000@trunk", App: "regul"})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		_ = h.Hangup()
	}
	el := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	// Reported after the timer reset, which clears metrics.
	b.ReportMetric(float64(held), "channels")
	b.ReportMetric(perChan, "heap-B/channel")
	b.ReportMetric(float64(b.N)/el.Seconds(), "originates/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func (s *Server) channelCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.channels)
}
