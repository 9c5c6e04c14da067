package bridge

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// Open gives up within ConnectTimeout when nothing listens, naming the URL.
func TestOpenBoundedWhenNothingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a port where nothing listens
	o := Options{URL: "http://" + addr + "/ari", Username: "ari", Password: "s3cret-pw", Application: "regul",
		ConnectTimeout: 300 * time.Millisecond, ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond,
		Logger: zaptest.NewLogger(t)}
	done := make(chan error, 1)
	go func() {
		_, err := Open(context.Background(), o)
		done <- err
	}()
	err = receive(t, done, "Open to give up")
	if err == nil || !strings.Contains(err.Error(), "ws://"+addr+"/ari/events") {
		t.Fatalf("Open = %v, want an error naming the events URL", err)
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

func TestOpenWrongPassword(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	o.Password = "wrong"
	o.ConnectTimeout = time.Minute // a refusal must not wait for it
	_, err := Open(context.Background(), o)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Open = %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), sim.WebsocketURL()) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("Open = %v, want the events URL named, without the password", err)
	}
}

// The WebSocket drops and comes back: link state is reported, the call in
// progress goes on (digits typed after the reconnect arrive), and a call
// whose channel vanished meanwhile (Asterisk restarted) ends as Vanished.
func TestReconnectAndResync(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	changes := make(chan bool, 16)
	o.OnLinkChange = func(up bool, _ time.Time) { changes <- up }
	s := open(t, o)
	type result struct {
		digits string
		err    error
		cause  error
	}
	got := make(chan result, 2)
	answered := make(chan struct{}, 2)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		var r result
		if r.err = call.Answer(ctx); r.err == nil {
			answered <- struct{}{}
			r.digits, r.err = collect(ctx, call)
		}
		r.cause = context.Cause(call.Context())
		got <- r
	})

	// 1. A drop with the channel still there: the call goes on.
	if up := receive(t, changes, "link up at Open"); !up {
		t.Fatal("first link change is down, want up")
	}
	sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.WaitForSound("never-played"), arisim.Silent()))
	receive(t, answered, "the first call answered")
	sim.DropWebSockets()
	if up := receive(t, changes, "link down"); up {
		t.Fatal("first link change is up, want down")
	}
	if up := receive(t, changes, "link up again"); !up {
		t.Fatal("second link change is down, want up")
	}
	if !s.LinkUp() || s.Stats().Reconnects != 1 {
		t.Fatalf("after reconnect: %+v", s.Stats())
	}

	// 2. Asterisk restarts under the call: its channel vanishes silently.
	sim.Restart()
	r := receive(t, got, "the call to end")
	var he *ivr.HangupError
	if !errors.As(r.err, &he) || !he.Vanished || !errors.As(r.cause, &he) || !he.Vanished {
		t.Fatalf("after a restart: ReadDigit %v, leg cause %v; want Vanished", r.err, r.cause)
	}
}

// After a plain drop and reconnect the call keeps working.
func TestCallGoesOnAcrossAReconnect(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	ups := make(chan bool, 16)
	o.OnLinkChange = func(up bool, _ time.Time) { ups <- up }
	s := open(t, o)
	got := make(chan string, 1)
	answered, reconnected := make(chan struct{}), make(chan struct{})
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		if err := call.Answer(ctx); err != nil {
			got <- err.Error()
			return
		}
		close(answered)
		<-reconnected
		if err := call.Play(ctx, false, "sound:regul/short"); err != nil {
			got <- err.Error()
			return
		}
		d, err := collect(ctx, call)
		if err != nil {
			d += " " + err.Error()
		}
		got <- d
	})
	sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.WaitForSound("short"), arisim.Press("42#", 0), arisim.Silent()))
	receive(t, ups, "link up at Open")
	// The call must be ours before the drop: a StasisStart sent as the
	// WebSocket drops is lost (see TestCallEnteringBeforeTheSubscription).
	receive(t, answered, "the call answered")
	sim.DropWebSockets()
	receive(t, ups, "link down")
	receive(t, ups, "link up")
	close(reconnected)
	if d := receive(t, got, "digits"); d != "42#" {
		t.Fatalf("after the reconnect got %q", d)
	}
}

// Bridges of ours left empty while the link was down are destroyed.
func TestResyncDestroysEmptyBridges(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	c := &connection{srv: s, id: "call-5-bridge"}
	c.key = bridgeKey(c.id)
	h, err := s.ari.Bridge().StageCreate(c.key, "mixing", c.id)
	if err == nil {
		err = h.Exec()
	}
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.bridges[c.id] = c
	s.mu.Unlock()
	s.resync()
	if _, err := s.ari.Bridge().Data(c.key); statusOf(err) != 404 {
		t.Fatalf("empty bridge still there: %v", err)
	}
}

// The GP's channel goes while the link is down: after the reconnect the
// call ends as Vanished, and the specialist's leg still ringing is hung up
// when the handler returns (Hangup works on the new connection).
func TestVanishedCallHangsUpItsRingingLegs(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	// ari/v5 redials 10ms after a drop: hold its dials to act while the
	// link is down.
	var hold atomic.Bool
	o.dialHook = func() error {
		if hold.Load() {
			return errors.New("test: dial held")
		}
		return nil
	}
	changes := make(chan bool, 16)
	o.OnLinkChange = func(up bool, _ time.Time) { changes <- up }
	s := open(t, o)
	receive(t, changes, "link up at Open")
	rep := sim.Play(specialist(arisim.NoAnswer()...))
	ringing := make(chan string, 1)
	ended := make(chan error, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		if err := call.Answer(ctx); err != nil {
			ended <- err
			return
		}
		req := dialFor(call, "call-6-1")
		req.RingTimeout = time.Hour
		out, err := s.Dial(ctx, req)
		if err != nil {
			ended <- err
			return
		}
		l := out.(outboundLeg).leg
		if err := l.await(ctx, nil, func() bool { return l.ringing }); err != nil {
			ended <- err
			return
		}
		ringing <- call.ID()
		<-call.Context().Done()
		ended <- context.Cause(call.Context())
		// Returning without hanging up the specialist: the bridge must.
	})
	sim.Call("regul", gpCall("gp", arisim.Silent()))
	gpChannel := receive(t, ringing, "the specialist ringing")
	hold.Store(true)
	sim.DropWebSockets()
	if up := receive(t, changes, "link down"); up {
		t.Fatal("link change is up, want down")
	}
	deleteChannel(t, sim, gpChannel) // no event reaches the controller
	hold.Store(false)
	err := receive(t, ended, "the call to end")
	var he *ivr.HangupError
	if !errors.As(err, &he) || !he.Vanished {
		t.Fatalf("GP leg cause %v, want Vanished", err)
	}
	waitIdle(t, sim)
	if end := rep.Phone("claire").Snapshot().Ended; end == nil || end.By != "app" {
		t.Fatalf("specialist end %+v, want hung up by the app", end)
	}
}

// deleteChannel hangs a channel up behind the controller's back.
func deleteChannel(t *testing.T, sim *arisim.Server, id string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, sim.URL()+"/channels/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("ari", "ari")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE channel %s: %s", id, resp.Status)
	}
}
