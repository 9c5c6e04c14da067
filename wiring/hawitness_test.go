package wiring

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/testkit/arisim"
)

// The lease's witness on the emulator, which behaves as Asterisk 22.10.1
// does: no WebSocket (and no channel) for the application → nobody drives
// the node; a connected application with a fresh beat → alive; a beat
// older than the TTL → not alive; a beat from a process whose events link
// is down is refused.
func TestARIWitness(t *testing.T) {
	sim := arisim.New(arisim.Options{Username: "regul", Password: "secret", Logger: zap.NewNop()})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	driving := true
	w := newARIWitness(config.ARI{URL: sim.URL(), Username: "regul", Password: "secret", Application: "regul",
		RequestTimeout: 5 * time.Second}, func() bool { return driving })
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	ttl := 3 * time.Second

	if alive, _, err := w.Alive(ctx, now, ttl); err != nil || alive {
		t.Fatalf("no controller connected: alive %v, %v", alive, err)
	}
	h := http.Header{}
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth("regul", "secret")
	h.Set("Authorization", req.Header.Get("Authorization"))
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, sim.WebsocketURL()+"?app=regul", h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Beat(ctx, "regul-a1", 7, now); err != nil {
		t.Fatal(err)
	}
	alive, who, err := w.Alive(ctx, now.Add(ttl-time.Millisecond), ttl)
	if err != nil || !alive || who != "regul-a1" {
		t.Fatalf("fresh beat: alive %v by %q, %v", alive, who, err)
	}
	if alive, _, err := w.Alive(ctx, now.Add(ttl), ttl); err != nil || alive {
		t.Fatalf("beat %v old: alive %v, %v", ttl, alive, err)
	}
	if err := w.Resign(ctx, "regul-a2", 8); err != nil {
		t.Fatal(err)
	}
	if alive, _, _ := w.Alive(ctx, now, ttl); !alive {
		t.Fatal("another controller's resignation withdrew the beat")
	}
	if err := w.Resign(ctx, "regul-a1", 7); err != nil {
		t.Fatal(err)
	}
	if alive, _, err := w.Alive(ctx, now, ttl); err != nil || alive {
		t.Fatalf("after the holder resigned: alive %v, %v", alive, err)
	}
	driving = false
	if err := w.Beat(ctx, "regul-a1", 7, now.Add(time.Second)); err == nil {
		t.Fatal("a beat without the events link was accepted")
	}
	ws.Close()
	// The emulator drops the application once it has seen the close:
	// nothing signals that, check the condition until a deadline.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		alive, _, err := w.Alive(wctx, now, ttl)
		if err == nil && !alive {
			return
		}
		select {
		case <-wctx.Done():
			t.Fatalf("application still seen after its WebSocket closed: alive %v, %v", alive, err)
		case <-tick.C:
		}
	}
}
