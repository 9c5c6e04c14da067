package arisim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
)

// startSim starts an emulator at speed emulated seconds per real second.
func startSim(t testing.TB, speed float64) *Server {
	t.Helper()
	clk := NewScaledClock(speed)
	s := New(Options{Clock: clk})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); clk.Close() })
	return s
}

// connect dials the emulator with the real ari/v5 native client, bounded in
// time since native.Connect retries forever.
func connect(t testing.TB, s *Server, app string) ari.Client {
	t.Helper()
	return connectURL(t, s.URL(), s.WebsocketURL(), app)
}

func connectURL(t testing.TB, restURL, eventsURL, app string) ari.Client {
	t.Helper()
	type res struct {
		c   ari.Client
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := native.Connect(&native.Options{Application: app, URL: restURL, WebsocketURL: eventsURL,
			Username: "ari", Password: "ari"})
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		// Under -race this Close is reported, and it is ari/v5's own race
		// (v5.3.1, client/native/client.go): Client.Close writes the
		// unsynchronised `connected` flag (line 177) that the listen
		// goroutine writes after each (re)connection and read failure
		// (lines 344, 357, 363). The emulator itself races with nothing;
		// bridge stops the loop through the client's cancel field instead.
		t.Cleanup(r.c.Close)
		return r.c
	case <-time.After(10 * time.Second):
		t.Fatal("native.Connect did not return")
	}
	return nil
}

// next reads the next event of sub, failing after a real-time bound.
func next(t *testing.T, sub ari.Subscription) ari.Event {
	t.Helper()
	select {
	case e := <-sub.Events():
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return nil
}

// TestPlainARIProgram: an ARI program takes an inbound scripted call,
// answers, collects digits, originates to a scripted specialist, bridges
// both and hangs up, through the real ari/v5 client.
func TestPlainARIProgram(t *testing.T) {
	s := startSim(t, 50)
	cl := connect(t, s, "regul")
	sub := cl.Bus().Subscribe(nil, ari.Events.All)
	defer sub.Cancel()

	rep := s.Play(&Scenario{
		App: "regul",
		Inbound: []InboundCall{{Name: "gp", From: "+33140000001", DID: "+33180000000",
			Steps: []Step{WaitForSound("welcome"), Press("1234#", 200*time.Millisecond), Silent()}}},
		Outbound: []Endpoint{{Name: "specialist", Dial: "PJSIP/+33612345678@trunk",
			Steps: []Step{Ring(3 * time.Second), Answer(), WaitForSound("whisper"), Wait(500 * time.Millisecond), Press("1", 0), Silent()}}},
	})

	var gp *ari.ChannelHandle
	var types []string
	digits := ""
	for gp == nil {
		if st, ok := next(t, sub).(*ari.StasisStart); ok {
			if got := strings.Join(st.Args, ","); got != "inbound,+33180000000" {
				t.Fatalf("args %q", got)
			}
			if st.Channel.Caller.Number != "+33140000001" || st.Channel.Dialplan.Exten != "+33180000000" || st.Channel.State != "Ring" {
				t.Fatalf("channel %+v", st.Channel)
			}
			gp = cl.Channel().Get(st.Key(ari.ChannelKey, st.Channel.ID))
		}
	}
	if err := gp.Answer(); err != nil {
		t.Fatal(err)
	}
	if _, err := gp.Play("pb-welcome", "sound:welcome"); err != nil {
		t.Fatal(err)
	}
	for !strings.HasSuffix(digits, "#") {
		if d, ok := next(t, sub).(*ari.ChannelDtmfReceived); ok {
			digits += d.Digit
		}
	}
	if digits != "1234#" {
		t.Fatalf("digits %q", digits)
	}
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "br-1"), "mixing", "call-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := br.AddChannel(gp.ID()); err != nil {
		t.Fatal(err)
	}
	if err := br.MOH("default"); err != nil {
		t.Fatal(err)
	}
	sp, err := cl.Channel().Originate(nil, ari.OriginateRequest{ChannelID: "call-1-attempt-1",
		Endpoint: "PJSIP/+33612345678@trunk", App: "regul", AppArgs: "outbound,call-1", Timeout: 25, CallerID: "+33180000000"})
	if err != nil {
		t.Fatal(err)
	}
	// Same id again: refused, so a retry never rings the phone twice.
	if _, err := cl.Channel().Originate(nil, ari.OriginateRequest{ChannelID: "call-1-attempt-1", Endpoint: "PJSIP/+33612345678@trunk", App: "regul"}); native.CodeFromError(err) != 409 {
		t.Fatalf("duplicate originate: %v", err)
	}
	for started := false; !started; {
		switch e := next(t, sub).(type) {
		case *ari.StasisStart:
			started = e.Channel.ID == sp.ID()
		case *ari.ChannelStateChange:
			types = append(types, "state:"+e.Channel.State)
		case *ari.Dial:
			types = append(types, "dial:"+e.Dialstatus)
		}
	}
	if got := strings.Join(types, " "); got != "dial: state:Ringing dial:RINGING state:Up dial:ANSWER" {
		t.Fatalf("before StasisStart: %s", got)
	}
	if _, err := sp.Play("pb-whisper", "sound:whisper"); err != nil {
		t.Fatal(err)
	}
	for {
		if d, ok := next(t, sub).(*ari.ChannelDtmfReceived); ok && d.Channel.ID == sp.ID() {
			if d.Digit != "1" {
				t.Fatalf("specialist pressed %q", d.Digit)
			}
			break
		}
	}
	if err := br.StopMOH(); err != nil {
		t.Fatal(err)
	}
	if err := br.AddChannel(sp.ID()); err != nil {
		t.Fatal(err)
	}
	if err := gp.Hangup(); err != nil {
		t.Fatal(err)
	}
	if err := sp.Hangup(); err != nil {
		t.Fatal(err)
	}
	if err := br.Delete(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	g, spr := rep.Phone("gp").Snapshot(), rep.Phone("specialist").Snapshot()
	if h := strings.Join(g.Heard(), ","); h != "sound:welcome" {
		t.Errorf("gp heard %s", h)
	}
	if g.Pressed() != "1234#" || g.Ended == nil || g.Ended.By != "app" || g.Ended.Cause != 16 {
		t.Errorf("gp: pressed %q ended %+v", g.Pressed(), g.Ended)
	}
	if h := strings.Join(spr.Heard(), ","); h != "sound:whisper" || spr.Pressed() != "1" || spr.Ended.By != "app" {
		t.Errorf("specialist heard %s pressed %q ended %+v", h, spr.Pressed(), spr.Ended)
	}
	kinds := []string{}
	for _, e := range g.Entries {
		kinds = append(kinds, string(e.Kind))
	}
	if got := strings.Join(kinds, " "); got != "sound sound_end pressed pressed pressed pressed pressed bridged moh_start moh_stop" {
		t.Errorf("gp entries: %s", got)
	}
}
