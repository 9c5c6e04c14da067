package bridge

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

func dialReq(key string) ivr.DialRequest {
	return ivr.DialRequest{Key: key, Phone: claire, CallerID: regulDID, RingTimeout: 25 * time.Second}
}

// dialFor is dialReq for a leg dialled by the call of the GP leg gp.
func dialFor(gp ivr.Leg, key string) ivr.DialRequest {
	r := dialReq(key)
	r.For = gp
	return r
}

func specialist(steps ...arisim.Step) *arisim.Scenario {
	return &arisim.Scenario{Outbound: []arisim.Endpoint{{Name: "claire", Dial: claireDial, Steps: steps}}}
}

// The GP is put on hold, the specialist is dialled, answers, is whispered
// to, and both are mixed; when the handler returns, the bridge hangs up
// both legs, the specialist's included.
func TestOriginateAnswerConnect(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	rep := sim.Play(specialist(arisim.AnswersAfter(time.Second)...))
	got := make(chan error, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		got <- func() error {
			if err := call.Answer(ctx); err != nil {
				return err
			}
			if err := call.StartHold(ctx); err != nil {
				return err
			}
			out, err := s.Dial(ctx, dialFor(call, "call-1-1"))
			if err != nil {
				return err
			}
			if err := out.WaitAnswer(ctx, nil); err != nil {
				return err
			}
			if err := out.Play(ctx, false, "sound:regul/whisper"); err != nil {
				return err
			}
			conn, err := s.Connect(ctx, "call-1-bridge", call, out)
			if err != nil {
				return err
			}
			return conn.Close(ctx)
		}()
	})
	gp := sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Silent()))
	if err := receive(t, got, "the handler"); err != nil {
		t.Fatalf("call: %v", err)
	}
	waitIdle(t, sim)
	for _, r := range []*arisim.PhoneReport{gp, rep.Phone("claire")} {
		snap := r.Snapshot()
		bridged := false
		for _, e := range snap.Entries {
			bridged = bridged || e.Kind == arisim.EntryBridged
		}
		if !bridged || snap.Ended == nil || snap.Ended.By != "app" {
			t.Errorf("%s: bridged %v, ended %+v", snap.Name, bridged, snap.Ended)
		}
	}
	if h := rep.Phone("claire").Snapshot().Heard(); len(h) != 1 || h[0] != "sound:regul/whisper" {
		t.Errorf("the specialist heard %v", h)
	}
}

func TestDialResults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []arisim.Step
		req   func(ivr.DialRequest) ivr.DialRequest
		want  ivr.DialResult
	}{
		{"busy", arisim.IsBusy(), nil, ivr.DialBusy},
		{"declined", []arisim.Step{arisim.Ring(time.Second), arisim.Fail(21)}, nil, ivr.DialBusy},
		{"no answer", arisim.NoAnswer(), func(r ivr.DialRequest) ivr.DialRequest { r.RingTimeout = 2 * time.Second; return r }, ivr.DialNoAnswer},
		{"unreachable", arisim.Unreachable(), nil, ivr.DialFailed},
		{"never rings", []arisim.Step{arisim.Wait(time.Minute)},
			func(r ivr.DialRequest) ivr.DialRequest { r.EarlyTimeout = 200 * time.Millisecond; return r }, ivr.DialFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := startSim(t, 20)
			s := open(t, testOptions(t, sim))
			rep := sim.Play(specialist(tc.steps...))
			req := dialReq("call-7-1")
			if tc.req != nil {
				req = tc.req(req)
			}
			ctx := context.Background()
			out, err := s.Dial(ctx, req)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			err = out.WaitAnswer(ctx, nil)
			var de *ivr.DialError
			if !errors.As(err, &de) || de.Result != tc.want {
				t.Fatalf("WaitAnswer = %v, want %s", err, tc.want)
			}
			if !errors.Is(context.Cause(out.Context()), ivr.ErrHangup) {
				t.Fatalf("leg context cause %v", context.Cause(out.Context()))
			}
			waitIdle(t, sim)
			if n := rep.Phone("claire").Snapshot().Calls; n != 1 {
				t.Fatalf("phone rung %d times", n)
			}
		})
	}
}

// A ringing leg we hang up (the GP gave up) reports DialCancelled.
func TestDialCancelled(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	rep := sim.Play(specialist(arisim.NoAnswer()...))
	ctx := context.Background()
	out, err := s.Dial(ctx, dialReq("call-8-1"))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	l := out.(outboundLeg).leg
	wctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	if err := l.await(wctx, nil, func() bool { return l.ringing }); err != nil {
		t.Fatalf("never rang: %v", err)
	}
	if err := out.Hangup(ctx, ivr.HangupNormal); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	var de *ivr.DialError
	if err := out.WaitAnswer(ctx, nil); !errors.As(err, &de) || de.Result != ivr.DialCancelled {
		t.Fatalf("WaitAnswer = %v, want cancelled", err)
	}
	if err := out.Hangup(ctx, ivr.HangupNormal); err != nil {
		t.Fatalf("second Hangup: %v", err)
	}
	waitIdle(t, sim)
	if end := rep.Phone("claire").Snapshot().Ended; end == nil || end.By != "app" {
		t.Fatalf("phone end %+v", end)
	}
}

// Dialling the same key again, from this controller or from another one
// (originate answered 409), never rings the phone a second time.
func TestDialIdempotent(t *testing.T) {
	sim := startSim(t, 20)
	o := testOptions(t, sim)
	s := open(t, o)
	rep := sim.Play(specialist(arisim.AnswersAfter(time.Second)...))
	ctx := context.Background()
	first, err := s.Dial(ctx, dialReq("call-9-1"))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	again, err := s.Dial(ctx, dialReq("call-9-1"))
	if err != nil || again.(outboundLeg).leg != first.(outboundLeg).leg {
		t.Fatalf("second Dial: %v, same leg %v", err, err == nil && again.(outboundLeg).leg == first.(outboundLeg).leg)
	}
	other := open(t, o) // a restarted controller retrying the attempt
	adopted, err := other.Dial(ctx, dialReq("call-9-1"))
	if err != nil {
		t.Fatalf("Dial from another controller: %v", err)
	}
	for _, l := range []ivr.OutboundLeg{first, adopted} {
		if err := l.WaitAnswer(ctx, nil); err != nil {
			t.Fatalf("WaitAnswer: %v", err)
		}
	}
	if n := rep.Phone("claire").Snapshot().Calls; n != 1 {
		t.Fatalf("the phone was rung %d times", n)
	}
	if err := first.Hangup(ctx, ivr.HangupNormal); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, sim)
}

// Connecting a leg that has gone returns that leg's HangupError and leaves
// no bridge behind.
func TestConnectGoneLeg(t *testing.T) {
	sim := startSim(t, 20)
	s := open(t, testOptions(t, sim))
	sim.Play(specialist(arisim.Ring(500*time.Millisecond), arisim.Answer(), arisim.Wait(time.Second), arisim.Hangup()))
	got := make(chan error, 1)
	serve(t, s, func(ctx context.Context, call ivr.InboundCall) {
		got <- func() error {
			if err := call.Answer(ctx); err != nil {
				return err
			}
			out, err := s.Dial(ctx, dialFor(call, "call-3-1"))
			if err != nil {
				return err
			}
			if err := out.WaitAnswer(ctx, nil); err != nil {
				return err
			}
			<-out.Context().Done()
			_, err = s.Connect(ctx, "call-3-bridge", call, out)
			return err
		}()
	})
	sim.Call("regul", gpCall("gp", arisim.WaitAnswer(), arisim.Silent()))
	err := receive(t, got, "the handler")
	var he *ivr.HangupError
	if !errors.As(err, &he) || he.LegID != "call-3-1" {
		t.Fatalf("Connect = %v, want the specialist's HangupError", err)
	}
	s.mu.Lock()
	n := len(s.bridges)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d bridges left", n)
	}
}
