package wiring

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/arisim"
)

// BenchmarkLoad holds 1,000 calls at once in bridges, arriving at 50 new
// calls a second, in real time through ari/v5 and the emulator, and prints
// what the controller adds: latency from the GP's last key to the originate
// request, where it leaves the controller (written to the connection, in
// bridge) and where the emulator receives it, memory per call in progress,
// and failed calls. BenchmarkSideBySide compares with a bare ari/v5
// program, each in its own process.
//
//	go test ./wiring -run '^$' -bench Load -benchtime 1x
//
// Policy rpps (no PIN): 50 argon2id PIN checks a second would measure the
// hash, not the line. Prompts are shortened to 300 ms so that a call is
// bridged within seconds; each GP then talks 40 s, so every call is up at
// the peak. Memory counts the emulator too (in the same process), so the
// figure per call is an upper bound for the controller.
func BenchmarkLoad(b *testing.B) {
	const calls, perSecond, talk = 1000, 50, 40 * time.Second
	for i := 0; i < b.N; i++ {
		origs := newOriginates()
		l := newLine(b, atSpeed(1), withTerritory(func(s *roster.TerritorySpec) { s.Policy = oncall.PolicyRPPS }),
			withEmulator(func(o *arisim.Options) { o.OnRequest = origs.arrived }), onOriginateSent(origs.sent))
		sc := &arisim.Scenario{DefaultSound: arisim.Duration(300 * time.Millisecond),
			Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: []arisim.Step{
				arisim.Ring(500 * time.Millisecond), arisim.Answer(),
				arisim.WaitForSound("accepter-refuser"), arisim.Press("1", 50*time.Millisecond),
				arisim.WaitForSound("suite-menu"), arisim.Press("5", 50*time.Millisecond), arisim.Silent()}}}}
		for n := 0; n < calls; n++ {
			sc.Inbound = append(sc.Inbound, arisim.InboundCall{
				Name: fmt.Sprintf("gp%04d", n), From: fmt.Sprintf("+33611%06d", n), DID: did,
				At: arisim.Duration(time.Duration(n) * time.Second / perSecond),
				Steps: []arisim.Step{
					arisim.WaitForSound("saisir-rpps"), arisim.Press(gpRPPS+"#", 50*time.Millisecond),
					arisim.WaitForSound("menu-intro"), arisim.Press("1", 50*time.Millisecond),
					arisim.WaitBridged(), arisim.Wait(talk), arisim.Hangup()},
			})
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		rep := l.sim.Play(sc)

		peakCalls, peakHeap := waitForPeak(b, l, calls)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if err := l.sim.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		if err := l.svc.WaitIdle(ctx); err != nil {
			b.Fatal(err)
		}
		if err := l.svc.Recorder().WaitDrained(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
		sent, arrived, failed := lastKeyToOriginate(b, l, rep, origs)
		perCall := float64(peakHeap-before.HeapInuse) / float64(peakCalls)
		b.ReportMetric(float64(peakCalls), "calls_bridged_at_peak")
		b.ReportMetric(float64(failed), "failed_calls")
		b.ReportMetric(float64(calls)/elapsed.Seconds(), "calls/s_overall")
		b.ReportMetric(perCall/1024, "KiB/call")
		b.ReportMetric(percentile(sent, 50).Seconds()*1000, "ms_p50_key_to_originate_sent")
		b.ReportMetric(percentile(sent, 99).Seconds()*1000, "ms_p99_key_to_originate_sent")
		b.ReportMetric(percentile(arrived, 99).Seconds()*1000, "ms_p99_key_to_originate_at_emulator")
		b.Logf("%d calls at %d/s: %d bridged at once at the peak, %d failed; last key → originate request written p50 %s p99 %s, received by the emulator p50 %s p99 %s; %.1f KiB heap per call in progress (controller and emulator)",
			calls, perSecond, peakCalls, failed, percentile(sent, 50), percentile(sent, 99),
			percentile(arrived, 50), percentile(arrived, 99), perCall/1024)
	}
}

// waitForPeak samples until every call is bridged (two legs each) and
// returns how many were and the heap then. A benchmark may watch the
// clock; tests never do.
func waitForPeak(b *testing.B, l *line, calls int) (int, uint64) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(3 * time.Minute)
	best, heap := 0, uint64(0)
	for {
		select {
		case <-tick.C:
		case <-deadline:
			b.Logf("only %d calls were bridged at once", best)
			return best, heap
		}
		n := bridgedCalls(l)
		if n > best {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			best, heap = n, ms.HeapInuse
		}
		if best >= calls {
			return best, heap
		}
	}
}

func bridgedCalls(l *line) int {
	var n int
	_ = l.pool.QueryRow(context.Background(), `SELECT count(*) FROM call WHERE bridged_at IS NOT NULL AND ended_at IS NULL`).Scan(&n)
	return n
}

// originates notes, per channel id, when each originate request left the
// controller (written to its connection) and when the emulator received it.
type originates struct {
	mu            sync.Mutex
	sentAt, gotAt map[string]time.Time
}

func newOriginates() *originates {
	return &originates{sentAt: map[string]time.Time{}, gotAt: map[string]time.Time{}}
}

func (o *originates) sent(id string, at time.Time) {
	o.mu.Lock()
	o.sentAt[id] = at
	o.mu.Unlock()
}

// arrived is the emulator's OnRequest: POST /channels is an originate.
func (o *originates) arrived(at time.Time, method, path string, param func(string) string) {
	if method != "POST" || path != "channels" {
		return
	}
	o.mu.Lock()
	o.gotAt[param("channelId")] = at
	o.mu.Unlock()
}

// lastKeyToOriginate pairs each GP's last key (on the emulator's clock,
// which runs in real time here) with the first originate of its call (the
// dial key is "<call id>-1"), found through the caller number: when the
// request was written by the controller and when the emulator got it.
func lastKeyToOriginate(b *testing.B, l *line, rep *arisim.Report, o *originates) (sent, arrived []time.Duration, failed int) {
	ctx := context.Background()
	rows, err := l.pool.Query(ctx, `SELECT id::text, caller, result FROM call`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	callOf := map[string]string{}
	for rows.Next() {
		var id, caller, result string
		if err := rows.Scan(&id, &caller, &result); err != nil {
			b.Fatal(err)
		}
		if callevent.Result(result) != callevent.ResultBridged {
			failed++
		}
		callOf[caller] = id
	}
	// The bridge notes wall-clock times; the emulator's clock runs at the
	// same speed from a Monday morning.
	offset := l.clock.Now().Sub(time.Now())
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range rep.Phones {
		snap := p.Snapshot()
		id, ok := callOf[snap.Number]
		if !ok {
			continue
		}
		var last time.Time
		for _, e := range snap.Entries {
			if e.Kind == arisim.EntryPressed {
				last = e.At
			}
		}
		if at, ok := o.sentAt[id+"-1"]; ok {
			sent = append(sent, at.Add(offset).Sub(last))
		}
		if at, ok := o.gotAt[id+"-1"]; ok {
			arrived = append(arrived, at.Sub(last))
		}
	}
	if missing := len(rep.Phones) - 1 - len(sent); missing > 0 {
		failed += missing
	}
	return sent, arrived, failed
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}
