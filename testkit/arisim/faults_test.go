package arisim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/gorilla/websocket"

	"github.com/regul-sante/regul/testkit/testclock"
)

// startManual starts an emulator on a testclock.Clock: emulated time moves only
// when the test advances it, so phones act exactly when the test says.
func startManual(t *testing.T) (*Server, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := New(Options{Clock: clk})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk
}

// describe names an event with what a controller tells apart.
func describe(e ari.Event) string {
	switch e := e.(type) {
	case *ari.Dial:
		return "Dial:" + e.Dialstatus
	case *ari.ChannelStateChange:
		return "ChannelStateChange:" + e.Channel.State
	case *ari.ChannelDestroyed:
		return fmt.Sprintf("ChannelDestroyed:%d", e.Cause)
	case *ari.ChannelHangupRequest:
		return fmt.Sprintf("ChannelHangupRequest:%d", e.Cause)
	case nil:
		return "nil"
	}
	return e.GetType()
}

// nextN reads n events and describes them, space-separated.
func nextN(t *testing.T, sub ari.Subscription, n int) string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, describe(next(t, sub)))
	}
	return strings.Join(out, " ")
}

// stasisStart reads events until a StasisStart, returning its channel id.
func stasisStart(t *testing.T, sub ari.Subscription) string {
	t.Helper()
	for {
		if st, ok := next(t, sub).(*ari.StasisStart); ok {
			return st.Channel.ID
		}
	}
}

// statusOf digs the HTTP status out of an ari/v5 error: its data getters
// wrap the request error in types that only expose Cause().
func statusOf(err error) int {
	for err != nil {
		if code := native.CodeFromError(err); code != 0 {
			return code
		}
		if c, ok := err.(interface{ Cause() error }); ok && c.Cause() != err {
			err = c.Cause()
			continue
		}
		err = errors.Unwrap(err)
	}
	return 0
}

// handshake opens an events WebSocket for app and returns the HTTP status
// of the handshake (101 when it succeeded; the socket is closed again).
func handshake(t *testing.T, s *Server, app string) int {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", "Basic "+basic("ari", "ari"))
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.Dial(s.WebsocketURL()+"?app="+app, h)
	if err != nil {
		if resp == nil {
			t.Fatalf("websocket handshake: %v", err)
		}
		return resp.StatusCode
	}
	_ = ws.Close()
	return resp.StatusCode
}

func boundedCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRefuseREST(t *testing.T) {
	s, _ := startManual(t)
	cl := connect(t, s, "regul")

	s.RefuseREST(http.StatusServiceUnavailable)
	if _, err := cl.Asterisk().Info(nil); statusOf(err) != 503 {
		t.Fatalf("GET /asterisk/info while refusing: %v, want 503", err)
	}
	if _, err := cl.Channel().Originate(nil, ari.OriginateRequest{Endpoint: "PJSIP/+33612000015@trunk", App: "regul"}); statusOf(err) != 503 {
		t.Fatalf("originate while refusing: %v, want 503", err)
	}
	if st := handshake(t, s, "regul"); st != 503 {
		t.Fatalf("websocket handshake while refusing: %d, want 503", st)
	}
	if n := s.channelCount(); n != 0 {
		t.Fatalf("a refused originate left %d channels", n)
	}

	s.RefuseREST(0)
	if _, err := cl.Asterisk().Info(nil); err != nil {
		t.Fatalf("after RefuseREST(0): %v", err)
	}
	if st := handshake(t, s, "regul"); st != http.StatusSwitchingProtocols {
		t.Fatalf("websocket handshake after RefuseREST(0): %d", st)
	}
}

func TestDelayREST(t *testing.T) {
	s, _ := startManual(t)
	cl := connect(t, s, "regul")

	// ari/v5 gives no way to set its HTTP client's timeout, so the client
	// that must feel the delay is a plain one, as a controller would wrap.
	s.DelayREST(500 * time.Millisecond)
	hc := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequest("GET", s.URL()+"/asterisk/ping", nil)
	req.SetBasicAuth("ari", "ari")
	_, err := hc.Do(req)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a 50ms client against a 500ms delay: %v, want a timeout", err)
	}

	s.DelayREST(0)
	resp, err := hc.Do(req.Clone(context.Background()))
	if err != nil {
		t.Fatalf("after DelayREST(0): %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after DelayREST(0): status %d", resp.StatusCode)
	}
	if _, err := cl.Asterisk().Info(nil); err != nil {
		t.Fatalf("ari/v5 after DelayREST(0): %v", err)
	}
}

func TestFailOriginates(t *testing.T) {
	s, clk := startManual(t)
	cl := connect(t, s, "regul")
	sub := cl.Bus().Subscribe(nil, ari.Events.All)
	defer sub.Cancel()
	rep := s.Play(&Scenario{Outbound: []Endpoint{{Name: "cardiologist", Dial: "PJSIP/+33612000015@trunk", Steps: []Step{Answer(), Silent()}}}})

	s.FailOriginates(34)
	h, err := cl.Channel().Originate(nil, ari.OriginateRequest{ChannelID: "call-1-attempt-1", Endpoint: "PJSIP/+33612000015@trunk",
		App: "regul", AppArgs: "outbound,call-1", Timeout: 25})
	if err != nil {
		t.Fatalf("originate under FailOriginates answers 200 like Asterisk: %v", err)
	}
	clk.Advance(0)
	// The dial starts, then fails with the cause; no StasisStart, and the
	// phone never rang.
	if got := nextN(t, sub, 3); got != "Dial: Dial:CONGESTION ChannelDestroyed:34" {
		t.Fatalf("events: %s", got)
	}
	if _, err := h.Data(); statusOf(err) != 404 {
		t.Fatalf("GET the failed channel: %v, want 404", err)
	}
	r := rep.Phone("cardiologist").Snapshot()
	if r.Calls != 1 || r.Ended == nil || r.Ended.By != "fault" || r.Ended.Cause != 34 || len(r.Entries) != 0 {
		t.Fatalf("phone: calls %d ended %+v entries %+v", r.Calls, r.Ended, r.Entries)
	}

	s.FailOriginates(-1)
	if _, err := cl.Channel().Originate(nil, ari.OriginateRequest{ChannelID: "call-1-attempt-2", Endpoint: "PJSIP/+33612000015@trunk",
		App: "regul", AppArgs: "outbound,call-1", Timeout: 25}); err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, sub, 4); got != "Dial: ChannelStateChange:Up Dial:ANSWER StasisStart" {
		t.Fatalf("after FailOriginates(-1): %s", got)
	}
}

func TestRestart(t *testing.T) {
	s, _ := startManual(t)
	cl := connect(t, s, "regul")
	sub := cl.Bus().Subscribe(nil, ari.Events.All)
	defer sub.Cancel()
	rep := s.Play(&Scenario{Outbound: []Endpoint{{Name: "cardiologist", Dial: "PJSIP/+33612000015@trunk", Steps: []Step{Answer(), Silent()}}}})
	gp := s.Call("regul", InboundCall{Name: "gp", From: "+33611000014", DID: "+33179000001", Steps: []Step{Silent()}})
	gpID := stasisStart(t, sub)
	if _, err := cl.Channel().Originate(nil, ari.OriginateRequest{ChannelID: "attempt-1", Endpoint: "PJSIP/+33612000015@trunk", App: "regul"}); err != nil {
		t.Fatal(err)
	}
	stasisStart(t, sub)
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "call-1"), "mixing", "call-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{gpID, "attempt-1"} {
		if err := br.AddChannel(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Channel().Get(ari.NewKey(ari.ChannelKey, gpID)).Play("pb-1", "sound:welcome"); err != nil {
		t.Fatal(err)
	}
	// Drain what was sent before the restart, up to the playback start.
	for {
		if _, ok := next(t, sub).(*ari.PlaybackStarted); ok {
			break
		}
	}

	s.Restart()
	if err := s.WaitConnected(boundedCtx(t), "regul"); err != nil {
		t.Fatalf("ari/v5 did not reconnect after the restart: %v", err)
	}
	if chans, err := cl.Channel().List(nil); err != nil || len(chans) != 0 {
		t.Fatalf("GET /channels after restart: %v %v", chans, err)
	}
	if brs, err := cl.Bridge().List(nil); err != nil || len(brs) != 0 {
		t.Fatalf("GET /bridges after restart: %v %v", brs, err)
	}
	if _, err := cl.Channel().Get(ari.NewKey(ari.ChannelKey, gpID)).Data(); statusOf(err) != 404 {
		t.Fatalf("GET the GP's channel after restart: %v, want 404", err)
	}
	for _, r := range []*PhoneReport{gp.Snapshot(), rep.Phone("cardiologist").Snapshot()} {
		if r.Ended == nil || r.Ended.By != "restart" {
			t.Errorf("%s ended %+v, want by restart", r.Name, r.Ended)
		}
	}
	if err := s.Wait(boundedCtx(t)); err != nil {
		t.Fatalf("phones still live after restart: %v", err)
	}
	// Nothing was said about what vanished: the next event is the next call's.
	s.Call("regul", InboundCall{Name: "gp2", From: "+33611000022", DID: "+33179000001", Steps: []Step{Silent()}})
	if e, ok := next(t, sub).(*ari.StasisStart); !ok || e.Channel.ID == gpID {
		t.Fatalf("first event after restart: %s, want the new call's StasisStart", describe(e))
	}
}

func TestDropWebSocketsDoesNotReplay(t *testing.T) {
	s, clk := startManual(t)
	cl := connect(t, s, "regul")
	sub := cl.Bus().Subscribe(nil, ari.Events.All)
	defer sub.Cancel()
	gp := s.Call("regul", InboundCall{Name: "gp", From: "+33611000014", DID: "+33179000001", Steps: []Step{Wait(5 * time.Second), Hangup()}})
	gpID := stasisStart(t, sub)
	h := cl.Channel().Get(ari.NewKey(ari.ChannelKey, gpID))
	if err := h.Answer(); err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, sub, 1); got != "ChannelStateChange:Up" {
		t.Fatalf("after answer: %s", got)
	}

	// Keep ari/v5 from reconnecting until the GP has hung up.
	s.RefuseREST(http.StatusServiceUnavailable)
	s.DropWebSockets()
	if n := s.Connected("regul"); n != 0 {
		t.Fatalf("%d WebSockets still connected after DropWebSockets", n)
	}
	clk.Advance(5 * time.Second)
	if r := gp.Snapshot(); r.Ended == nil || r.Ended.By != "phone" || r.Ended.Cause != 16 {
		t.Fatalf("gp ended %+v", r.Ended)
	}
	s.RefuseREST(0)
	if err := s.WaitConnected(boundedCtx(t), "regul"); err != nil {
		t.Fatalf("ari/v5 did not reconnect: %v", err)
	}

	// The hangup is visible only as a 404; no StasisEnd is replayed.
	if _, err := h.Data(); statusOf(err) != 404 {
		t.Fatalf("GET the hung-up channel: %v, want 404", err)
	}
	s.Call("regul", InboundCall{Name: "gp2", From: "+33611000022", DID: "+33179000001", Steps: []Step{Silent()}})
	if e, ok := next(t, sub).(*ari.StasisStart); !ok || e.Channel.ID == gpID {
		t.Fatalf("first event after reconnect: %s, want the new call's StasisStart", describe(e))
	}
}

func TestMusicOnHoldEntries(t *testing.T) {
	s, _ := startManual(t)
	cl := connect(t, s, "regul")
	sub := cl.Bus().Subscribe(nil, ari.Events.All)
	defer sub.Cancel()
	rep := s.Play(&Scenario{Outbound: []Endpoint{{Name: "cardiologist", Dial: "PJSIP/+33612000015@trunk", Steps: []Step{Answer(), Silent()}}}})
	gp := s.Call("regul", InboundCall{Name: "gp", From: "+33611000014", DID: "+33179000001", Steps: []Step{Silent()}})
	h := cl.Channel().Get(ari.NewKey(ari.ChannelKey, stasisStart(t, sub)))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.Answer())
	must(h.MOH("default"))
	must(h.MOH("default")) // already on: not reported twice
	must(h.StopMOH())

	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "call-1"), "mixing", "call-1")
	must(err)
	must(br.AddChannel(h.ID()))
	must(br.MOH("attente"))
	if _, err := cl.Channel().Originate(nil, ari.OriginateRequest{ChannelID: "attempt-1", Endpoint: "PJSIP/+33612000015@trunk", App: "regul"}); err != nil {
		t.Fatal(err)
	}
	must(br.AddChannel("attempt-1")) // joins while the bridge plays hold music
	must(br.StopMOH())

	entries := func(r *PhoneReport) string {
		var out []string
		for _, e := range r.Snapshot().Entries {
			if e.Kind == EntryBridged {
				out = append(out, string(e.Kind))
				continue
			}
			out = append(out, strings.TrimSuffix(string(e.Kind)+":"+e.Value, ":"))
		}
		return strings.Join(out, " ")
	}
	if got := entries(gp); got != "moh_start:default moh_stop bridged moh_start:attente moh_stop" {
		t.Errorf("gp entries: %s", got)
	}
	if got := entries(rep.Phone("cardiologist")); got != "answered bridged moh_start:attente moh_stop" {
		t.Errorf("cardiologist entries: %s", got)
	}
}
