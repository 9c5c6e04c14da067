package arisim

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// listeningCore hands over the URLs of the "ARI emulator listening" log
// entry, which is how a caller of RunStandalone on port 0 learns its port.
type listeningCore struct {
	zapcore.LevelEnabler
	urls chan [2]string
}

func (c listeningCore) With([]zapcore.Field) zapcore.Core { return c }
func (c listeningCore) Sync() error                       { return nil }
func (c listeningCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce.AddCore(e, c)
}
func (c listeningCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if e.Message != "ARI emulator listening" {
		return nil
	}
	var rest, events string
	for _, f := range fields {
		switch f.Key {
		case "url":
			rest = f.String
		case "events":
			events = f.String
		}
	}
	c.urls <- [2]string{rest, events}
	return nil
}

func TestRunStandalone(t *testing.T) {
	urls := make(chan [2]string, 1)
	log := zap.New(listeningCore{LevelEnabler: zapcore.DebugLevel, urls: urls})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunStandalone(ctx, "127.0.0.1:0", "../../testdata/scenarios/accept.yaml", log) }()
	var u [2]string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatalf("RunStandalone returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("RunStandalone did not start listening")
	}

	// The scenario's GP calls 1 s after the app connects.
	cl := connectURL(t, u[0], u[1], "regul")
	sub := cl.Bus().Subscribe(nil, ari.Events.StasisStart)
	defer sub.Cancel()
	st, ok := next(t, sub).(*ari.StasisStart)
	if !ok {
		t.Fatal("not a StasisStart")
	}
	if args := strings.Join(st.Args, ","); args != "inbound,+33180000000" || st.Channel.Caller.Number != "+33140000001" {
		t.Fatalf("scripted call: args %q caller %q", args, st.Channel.Caller.Number)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunStandalone after its context ended: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunStandalone did not return after its context ended")
	}
	if _, err := http.Get(u[0] + "/asterisk/ping"); err == nil {
		t.Fatal("still serving after RunStandalone returned")
	}
}

// TestRunStandaloneBadInput: every bad input is an error naming it, before
// anything listens.
func TestRunStandaloneBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("inbound:\n  - name: gp\n    steps:\n      - pres: \"1#\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ addr, scenario, want string }{
		{"127.0.0.1:0", "no-such-scenario.yaml", "no-such-scenario.yaml"},
		{"127.0.0.1:0", bad, "line 4"},
		{"127.0.0.1:notaport", "", "127.0.0.1:notaport"},
	} {
		err := RunStandalone(ctx, tc.addr, tc.scenario, zap.NewNop())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RunStandalone(%q, %q): %v, want an error naming %q", tc.addr, tc.scenario, err, tc.want)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("RunStandalone waited instead of failing")
		}
	}
}
