package realline

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/asterisktest"
)

const (
	outcomeCalls = 50
	outcomeLanes = 5 // lines run side by side, each taking its calls in a row
)

// 50 bridged calls where the GP hangs up first: every one plays the outcome
// menu to the specialist, who keys "avis seul", and every outcome is in
// PostgreSQL. On a real Asterisk the GP's hang-up races the bridge's end
// and the menu's play (see the bridge-delete/play trace).
func TestOutcomeMenuAfterGPHangsUp50Times(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		lost   []string
		played int
	)
	var wg sync.WaitGroup
	for lane := range outcomeLanes {
		wg.Add(1)
		t.Run(fmt.Sprintf("lane %d", lane), func(t *testing.T) {
			defer wg.Done()
			t.Parallel()
			r := newRig(t, withTerritory(func(s *roster.TerritorySpec) { s.Policy = oncall.PolicyRPPS }), only("cardiologie"))
			for i := range outcomeCalls / outcomeLanes {
				ok, why := r.bridgedCallGPHangsUpFirst()
				mu.Lock()
				if ok {
					played++
				} else {
					lost = append(lost, fmt.Sprintf("lane %d call %d: %s", lane, i+1, why))
				}
				mu.Unlock()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := r.svc.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			if err := r.svc.Recorder().WaitDrained(ctx); err != nil {
				t.Fatal(err)
			}
			var keyed int
			if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM outcome WHERE status = 'keyed' AND outcome = 'avis_seul'`).Scan(&keyed); err != nil {
				t.Fatal(err)
			}
			if want := outcomeCalls / outcomeLanes; keyed != want {
				t.Errorf("%d outcomes keyed in PostgreSQL, want %d", keyed, want)
			}
		})
	}
	t.Cleanup(func() {
		wg.Wait()
		t.Logf("outcome menu played after the GP hung up: %d of %d calls", played, outcomeCalls)
		if len(lost) > 0 {
			t.Errorf("outcome menu lost in %d of %d calls:\n  %s", len(lost), outcomeCalls, strings.Join(lost, "\n  "))
		}
	})
}

// bridgedCallGPHangsUpFirst runs one call to the bridge, hangs the GP up at
// once, and says whether the specialist heard the outcome menu (and keyed
// it); when not, why, with the line's events on the specialist's channel.
func (r *rig) bridgedCallGPHangsUpFirst() (bool, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opFrom := r.pair.Phones.Events.Len()
	g := r.dial(ctx, did, gpNumber)
	g.press(ctx, "saisir-rpps", gpRPPS+"#")
	m := r.rung(ctx, martin, opFrom, g.cursor)
	m.accepts(ctx)
	r.bridged(ctx, g, m)
	if err := g.phone.Hangup(ctx); err != nil {
		r.t.Fatal(err)
	}
	menuCtx, menuCancel := context.WithTimeout(ctx, 10*time.Second)
	defer menuCancel()
	next, err := asterisktest.WaitHeard(menuCtx, r.pair.Monitor, m.cursor, m.line, "suite-menu")
	if err != nil {
		why := fmt.Sprintf("no suite-menu within 10 s; line events on the specialist: %s", eventTrail(r.pair.Monitor, m.line, m.cursor))
		_ = m.phone.Hangup(ctx)
		_, _ = m.phone.WaitEnded(ctx)
		return false, why
	}
	m.cursor = next
	if err := m.phone.Press(ctx, "5"); err != nil {
		r.t.Fatal(err)
	}
	m.hears(ctx, "suite-enregistree")
	if _, err := m.phone.WaitEnded(ctx); err != nil {
		r.t.Fatal(err)
	}
	return true, ""
}

// eventTrail sums up the events about one channel: type, and the media or
// bridge when there is one.
func eventTrail(ev *asterisktest.Events, channel string, from int) string {
	var out []string
	for _, e := range ev.All()[from:] {
		if e.ChannelID() != channel && (e.Bridge == nil || !strings.Contains(string(e.Raw), channel)) {
			continue
		}
		s := e.Type
		switch {
		case e.Playback != nil:
			s += "(" + strings.TrimPrefix(e.Playback.MediaURI, "sound:") + ")"
		case e.Type == "ChannelDtmfReceived":
			s += "(" + e.Digit + ")"
		}
		out = append(out, e.Timestamp[11:]+" "+s)
	}
	return strings.Join(out, ", ")
}
