package bridge

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// Event shapes as a real Asterisk 22 sends them (trimmed to the fields
// that matter), for the routing and leg state machine without a network.

func chanJSON(id, state string) string {
	return fmt.Sprintf(`{"id":%q,"name":"PJSIP/trunk-0001","state":%q,"caller":{"name":"","number":"0611000014"},`+
		`"dialplan":{"context":"from-trunk","exten":"+33179000001","priority":1,"app_name":"Stasis","app_data":"regul,inbound"}}`, id, state)
}

func stasisStart(id string, args string) string {
	return fmt.Sprintf(`{"type":"StasisStart","application":"regul","args":%s,"channel":%s}`, args, chanJSON(id, "Ring"))
}

func dtmf(id, d string) string {
	return fmt.Sprintf(`{"type":"ChannelDtmfReceived","application":"regul","digit":%q,"duration_ms":100,"channel":%s}`, d, chanJSON(id, "Up"))
}

// deliver hands msg to dispatch as ari/v5 would: decoded by
// ari.DecodeEvent, whose result ari/v5 sends even when decoding failed
// (a nil event when the message has no type ari/v5 knows).
func deliver(s *Server, msg string) {
	e, _ := ari.DecodeEvent([]byte(msg))
	s.dispatch(e)
}

func newOfflineServer() *Server {
	s := &Server{
		opts:        Options{DialKeyRetention: time.Minute, CleanupTimeout: time.Second},
		log:         zap.NewNop(),
		legs:        map[string]*leg{},
		dials:       map[string]*leg{},
		bridges:     map[string]*connection{},
		incomingSig: make(chan struct{}, 1),
		drainStart:  make(chan struct{}),
	}
	s.hardCtx, s.hardCancel = context.WithCancelCause(context.Background())
	// Requests some events cause (hanging up a stray channel) go to a port
	// where nothing listens, and fail at once.
	o := Options{URL: "http://127.0.0.1:1/ari", Username: "ari", Password: "ari", Application: "regul"}
	o.setDefaults()
	var err error
	if s.ari, s.transport, err = newClient(&o, nil, &s.abandoned); err != nil {
		panic(err)
	}
	return s
}

func TestInboundRoutingDigitsThenHangup(t *testing.T) {
	s := newOfflineServer()
	deliver(s, stasisStart("1.45", `["inbound","+33179000001"]`))
	if len(s.incoming) != 1 {
		t.Fatalf("inbound call not queued: %d", len(s.incoming))
	}
	l := s.incoming[0]
	in := inboundCall{l}
	if in.CallerNumber() != "+33611000014" || in.DialedNumber() != "+33179000001" {
		t.Fatalf("caller %q dialed %q", in.CallerNumber(), in.DialedNumber())
	}
	for _, d := range "12#" {
		deliver(s, dtmf("1.45", string(d)))
	}
	deliver(s, `{"type":"ChannelHangupRequest","application":"regul","cause":16,"channel":`+chanJSON("1.45", "Up")+`}`)
	deliver(s, `{"type":"StasisEnd","application":"regul","channel":`+chanJSON("1.45", "Up")+`}`)

	ctx := context.Background()
	got := ""
	for range 3 {
		d, err := l.ReadDigit(ctx, time.Second)
		if err != nil {
			t.Fatalf("digit typed before the hangup lost: %v", err)
		}
		got += string(d)
	}
	if got != "12#" {
		t.Fatalf("digits %q", got)
	}
	_, err := l.ReadDigit(ctx, time.Second)
	var he *ivr.HangupError
	if !errors.As(err, &he) || he.Cause != 16 || !errors.Is(err, ivr.ErrHangup) {
		t.Fatalf("after the digits: %v, want a hangup with cause 16", err)
	}
	if cause := context.Cause(l.Context()); !errors.Is(cause, ivr.ErrHangup) {
		t.Fatalf("leg context cause %v", cause)
	}
}

func TestMalformedAndUnroutedEvents(t *testing.T) {
	s := newOfflineServer()
	deliver(s, `not json`)
	deliver(s, `{"no":"type"}`)
	if s.malformed.Load() != 2 {
		t.Fatalf("malformed = %d", s.malformed.Load())
	}
	deliver(s, `{"type":"ChannelVarset","channel":`+chanJSON("9.9", "Up")+`}`)
	if s.unrouted.Load() != 1 {
		t.Fatalf("unrouted = %d", s.unrouted.Load())
	}
}

// outbound registers a dialled leg as Dial does before its originate.
func outbound(s *Server, id string) *leg {
	l := s.newLeg(id, true)
	s.legs[id] = l
	s.dials[id] = l
	return l
}

func TestOutboundOutcomesFromEvents(t *testing.T) {
	const id = "call-1-1"
	peer := func(state string) string { return chanJSON(id, state) }
	for _, tc := range []struct {
		name   string
		events []string
		want   ivr.DialResult
		cause  int
	}{
		{"ring timeout", []string{
			`{"type":"Dial","dialstatus":"","peer":` + peer("Down") + `}`,
			`{"type":"ChannelStateChange","channel":` + peer("Ringing") + `}`,
			`{"type":"Dial","dialstatus":"RINGING","peer":` + peer("Ringing") + `}`,
			`{"type":"ChannelDestroyed","cause":19,"cause_txt":"User alerting, no answer","channel":` + peer("Ringing") + `}`,
		}, ivr.DialNoAnswer, 19},
		{"busy through a Local channel", []string{
			`{"type":"ChannelStateChange","channel":` + peer("Ringing") + `}`,
			`{"type":"Dial","dialstatus":"BUSY","peer":` + peer("Ringing") + `}`,
			`{"type":"ChannelDestroyed","cause":0,"cause_txt":"Unknown","channel":` + peer("Ringing") + `}`,
		}, ivr.DialBusy, 0},
		{"network busy", []string{
			`{"type":"ChannelDestroyed","cause":17,"cause_txt":"User busy","channel":` + peer("Down") + `}`,
		}, ivr.DialBusy, 17},
		{"unreachable", []string{
			`{"type":"ChannelDestroyed","cause":0,"cause_txt":"Unknown","channel":` + peer("Down") + `}`,
		}, ivr.DialFailed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOfflineServer()
			l := outbound(s, id)
			for _, e := range tc.events {
				deliver(s, e)
			}
			err := outboundLeg{l}.WaitAnswer(context.Background(), nil)
			var de *ivr.DialError
			if !errors.As(err, &de) || de.Result != tc.want || de.Cause != tc.cause {
				t.Fatalf("WaitAnswer = %v, want %s cause %d", err, tc.want, tc.cause)
			}
		})
	}
}

func TestOutboundAnsweredOnlyOnceInStasis(t *testing.T) {
	const id = "call-1-2"
	s := newOfflineServer()
	l := outbound(s, id)
	// Up and Dial ANSWER come before StasisStart: the leg cannot be
	// bridged until it is in the application.
	deliver(s, `{"type":"ChannelStateChange","channel":`+chanJSON(id, "Up")+`}`)
	deliver(s, `{"type":"Dial","dialstatus":"ANSWER","peer":`+chanJSON(id, "Up")+`}`)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := (outboundLeg{l}).WaitAnswer(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("answered before StasisStart: %v", err)
	}
	deliver(s, stasisStart(id, `["dialed","call-1-2"]`))
	deliver(s, `{"type":"ChannelStateChange","channel":`+chanJSON(id, "Up")+`}`)
	if err := (outboundLeg{l}).WaitAnswer(context.Background(), nil); err != nil {
		t.Fatalf("WaitAnswer after StasisStart: %v", err)
	}
	if len(s.incoming) != 0 {
		t.Fatal("a dialled leg's StasisStart was taken for an inbound call")
	}
}

func TestWaitsEndWithTheirContext(t *testing.T) {
	s := newOfflineServer()
	l := outbound(s, "call-1-3")
	why := errors.New("hunt over")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(why)
	if err := (outboundLeg{l}).WaitAnswer(ctx, nil); !errors.Is(err, why) {
		t.Fatalf("WaitAnswer = %v, want the context's cause", err)
	}
	if _, err := l.ReadDigit(ctx, time.Minute); !errors.Is(err, why) {
		t.Fatalf("ReadDigit = %v, want the context's cause", err)
	}
	if _, err := l.ReadDigit(context.Background(), time.Millisecond); !errors.Is(err, ivr.ErrDigitTimeout) {
		t.Fatalf("ReadDigit = %v, want ErrDigitTimeout", err)
	}
}

// No message, however odd, may stop the event reader.
func FuzzDispatch(f *testing.F) {
	for _, seed := range []string{
		stasisStart("1.1", `["inbound","+33179000001"]`),
		stasisStart("1.1", `["inbound"]`),
		dtmf("1.1", "5"),
		dtmf("1.1", "55"),
		`{"type":"PlaybackFinished","channel":` + chanJSON("1.1", "Up") + `}`,
		`{"type":"PlaybackFinished","playback":{"id":"x","state":"done","target_uri":"channel:1.1"}}`,
		`{"type":"Dial","dialstatus":"BUSY"}`,
		`{"type":"ChannelDestroyed","cause":"16"}`,
		`{"type":"StasisEnd","channel":null}`,
		`{"type":"StasisStart","args":[],"channel":{"id":"2.2"}}`,
		`{"type":"StasisStart","args":["dialed","x"],"channel":{"id":"2.2"}}`,
		`null`, `[]`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		s := newOfflineServer()
		deliver(s, stasisStart("1.1", `["inbound","+33179000001"]`))
		deliver(s, string(msg))
	})
}
