package realline

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/asterisktest"
	"github.com/regul-sante/regul/tests/bench/bareari"
)

const (
	benchCalls = 20
	// plainDID goes to the plain dialplan the benchmark compares with:
	// Read, Read, Dial.
	plainDID      = "+33179000009"
	plainDialplan = `exten => ` + plainDID + `,1,Answer()
 same => n,Read(RPPS,,12,,,5)
 same => n,Read(SPEC,,1,,,5)
 same => n,Dial(PJSIP/` + martin + `@trunk,10)
 same => n,Hangup()`
)

// BenchmarkPostSelectionDelay measures, on the real Asterisk, the time from
// the GP's last key to the specialist's channel being created, by
// Asterisk's own event timestamps: regul (territory with identification by
// RPPS and one specialty, so the last key is the RPPS's '#'), a bare ari/v5
// program that originates on the first key, and the plain dialplan (Read,
// Read, Dial). Printed, never asserted. b.N is ignored: 20 calls each.
func BenchmarkPostSelectionDelay(b *testing.B) {
	r := newRig(b, withTerritory(func(s *roster.TerritorySpec) { s.Policy = oncall.PolicyRPPS }), only("cardiologie"),
		withDialplan(plainDialplan))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var regul, bare, plain []time.Duration
	for range benchCalls {
		regul = append(regul, r.benchCall(ctx, did, func(g *gp) { g.press(ctx, "saisir-rpps", gpRPPS+"#") }))
	}
	printDelays("regul", regul)
	for range benchCalls {
		plain = append(plain, r.benchCall(ctx, plainDID, func(g *gp) {
			for _, keys := range []string{gpRPPS + "#", "1"} {
				r.waitDialplanApp(ctx, g, "Read")
				if err := g.phone.Press(ctx, keys); err != nil {
					b.Fatal(err)
				}
			}
		}))
	}
	printDelays("dialplan Read,Read,Dial", plain)
	r.stopRegul()
	// The bare program registers the same application: Asterisk must have
	// dropped regul's first, or the new WebSocket's registration is lost
	// with it and every call enters a dead app (answered by the fallback).
	r.waitApplication(ctx, false)
	bareCtx, stopBare := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- bareari.Run(bareCtx, bareari.Options{URL: r.cfg.ARI.URL, Username: r.cfg.ARI.Username, Password: r.cfg.ARI.Password,
			Application: r.cfg.ARI.Application, Dial: "PJSIP/" + martin + "@trunk", CallerID: did}, func() { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		b.Fatal(err)
	case <-time.After(30 * time.Second):
		b.Fatal("the bare ari/v5 program did not connect within 30 s")
	}
	r.waitApplication(ctx, true)
	for range benchCalls {
		bare = append(bare, r.benchCall(ctx, did, func(g *gp) {
			if err := g.phone.Press(ctx, "1"); err != nil {
				b.Fatal(err)
			}
		}))
	}
	printDelays("bare ari/v5", bare)
	stopBare()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	fmt.Printf("post-selection delay on real %s (GP's last key → specialist channel created, Asterisk timestamps, %d calls each):\n",
		install.Version, benchCalls)
	for _, row := range []struct {
		name string
		d    []time.Duration
	}{{"regul", regul}, {"bare ari/v5", bare}, {"dialplan Read,Read,Dial", plain}} {
		fmt.Printf("  %-24s median %6.1f ms   p95 %6.1f ms\n", row.name, ms(quantile(row.d, 0.5)), ms(quantile(row.d, 0.95)))
	}
	fmt.Printf("  regul − bare            median %+6.1f ms   p95 %+6.1f ms\n",
		ms(quantile(regul, 0.5)-quantile(bare, 0.5)), ms(quantile(regul, 0.95)-quantile(bare, 0.95)))
}

// waitApplication polls the line until it lists regul's application
// (listed) or no longer does: no event tells either.
func (r *rig) waitApplication(ctx context.Context, listed bool) {
	r.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := r.pair.LineARI().Do(ctx, "GET", "/applications/regul", nil, nil)
		if (listed && err == nil) || (!listed && asterisktest.IsStatus(err, 404)) {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			r.t.Fatalf("the line's application never became listed=%v: %v", listed, err)
		}
	}
}

func withDialplan(lines string) rigOption { return func(s *rigSetup) { s.dialplan = lines } }

// benchCall places one call, lets keys type the selection, waits for the
// specialist's channel, ends both phones and returns the delay.
func (r *rig) benchCall(ctx context.Context, dialled string, keys func(*gp)) time.Duration {
	r.t.Helper()
	opFrom := r.pair.Phones.Events.Len()
	g := r.dial(ctx, dialled, gpNumber)
	keys(g)
	leg, err := asterisktest.OutboundChannel(ctx, r.pair.Monitor, g.cursor, martin)
	if err != nil {
		r.t.Fatal(err)
	}
	spec, err := r.pair.Phones.Incoming(ctx, opFrom, martin)
	if err != nil {
		r.t.Fatal(err)
	}
	legs.Add(1)
	// The leg's Dial event (dialstatus "") comes as Asterisk starts dialling
	// the channel it just created; all three contenders emit it.
	created := leg.Time()
	var lastKey time.Time
	for _, e := range r.pair.Monitor.All()[g.cursor:] {
		if e.Type == "ChannelDtmfReceived" && e.ChannelID() == g.line && !e.Time().After(created) {
			lastKey = e.Time()
		}
	}
	for _, p := range []*asterisktest.Phone{g.phone, spec} {
		if err := p.Hangup(ctx); err != nil {
			r.t.Fatal(err)
		}
		if _, err := p.WaitEnded(ctx); err != nil {
			r.t.Fatal(err)
		}
	}
	if r.svc != nil {
		if err := r.svc.WaitIdle(ctx); err != nil {
			r.t.Fatal(err)
		}
	}
	if lastKey.IsZero() || created.IsZero() {
		r.t.Fatalf("no key (%v) or no leg creation (%v) on the line", lastKey, created)
	}
	return created.Sub(lastKey)
}

// waitDialplanApp waits until the GP's line channel runs app in the dialplan.
func (r *rig) waitDialplanApp(ctx context.Context, g *gp, app string) {
	r.t.Helper()
	_, next, err := r.pair.Monitor.Wait(ctx, g.cursor, app+" in the dialplan", func(e asterisktest.Event) bool {
		return e.Type == "ChannelDialplan" && e.ChannelID() == g.line && e.App == app
	})
	if err != nil {
		r.t.Fatal(err)
	}
	g.cursor = next
}

func printDelays(name string, d []time.Duration) {
	fmt.Printf("  %-24s median %6.1f ms   p95 %6.1f ms   (%d calls)\n", name, ms(quantile(d, 0.5)), ms(quantile(d, 0.95)), len(d))
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
