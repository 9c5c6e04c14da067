package arisim

import (
	"fmt"
	"time"

	"github.com/regul-sante/regul/internal/clock"
)

// Party is a caller or connected-line identity.
type Party struct {
	Name   string `json:"name" yaml:"name"`
	Number string `json:"number" yaml:"number"`
}

type channel struct {
	id, name, state  string
	caller           Party
	connected        Party
	context, exten   string
	priority         int
	appName, appData string
	created          time.Time
	lang             string
	vars             map[string]string

	stasisApp  string          // app the channel is in, "" when not in Stasis
	fromDialpl bool            // entered Stasis from the dialplan (unsubscribed at StasisEnd)
	subs       map[string]bool // apps subscribed to this channel's events
	bridge     *bridge
	peer       *channel // other half of a Local pair
	ph         *phone   // the person (or dialplan) at the far end of this channel
	visible    bool     // false for the phone side of a PJSIP call: no channel exists for it

	// Originated channels while they ring.
	dialing    bool
	dialString string
	originApp  string
	originArgs []string
	ringTimer  clock.Timer
	moh        bool
	playing    *playback
	queue      []*playback
	gone       bool
	// leaving is the bridge being destroyed that this channel has not left
	// yet (no ChannelLeftBridge sent): a play sent now is lost, as on a
	// real Asterisk (see Options.BridgeLeaveDelay).
	leaving *bridge
}

type bridge struct {
	id, typ, name string
	created       time.Time
	members       []*channel
	subs          map[string]bool
	moh           bool
	mohClass      string
	playing       *playback
	queue         []*playback
}

func (b *bridge) technology() string {
	if b.typ == "holding" {
		return "holding_bridge"
	}
	return "simple_bridge"
}

func (b *bridge) remove(c *channel) {
	for i, m := range b.members {
		if m == c {
			b.members = append(b.members[:i], b.members[i+1:]...)
			return
		}
	}
}

// newChannelID mimics Asterisk's uniqueid: <epoch seconds>.<counter>.
func (s *Server) newChannelID() string {
	id := fmt.Sprintf("%d.%d", s.epoch, s.idSeq)
	s.idSeq++
	return id
}

func (s *Server) addChannel(c *channel) {
	c.created = s.clock.Now()
	if c.lang == "" {
		c.lang = s.opts.Language
	}
	if c.subs == nil {
		c.subs = map[string]bool{}
	}
	c.visible = true
	s.channels[c.id] = c
	s.emit(c.subs, nil, obj{{"type", "ChannelCreated"}, {"timestamp", s.ts()}, {"channel", c.json()}})
}

func (s *Server) ts() string { return astTime(s.clock.Now()) }

func (s *Server) chanEvent(c *channel, typ string, extra ...kv) {
	if !c.visible {
		return
	}
	e := obj{{"type", typ}, {"timestamp", s.ts()}}
	e = append(e, extra...)
	e = e.with("channel", c.json())
	s.emit(c.subs, nil, e)
}

func (s *Server) setState(c *channel, state string) {
	if c.state == state || c.gone {
		return
	}
	c.state = state
	s.chanEvent(c, "ChannelStateChange")
}

// dialEvent is what Asterisk's Dial sends for an originated channel (the
// "peer" is the originated channel itself; there is no caller channel).
func (s *Server) dialEvent(c *channel, status string) {
	if !c.visible {
		return
	}
	s.emit(c.subs, nil, obj{{"type", "Dial"}, {"timestamp", s.ts()}, {"dialstatus", status},
		{"forward", ""}, {"dialstring", c.dialString}, {"peer", c.json()}})
}

// enterStasis puts c into app: refused (false) when no WebSocket of the app is
// connected, as Asterisk's Stasis() fails at once in that case.
func (s *Server) enterStasis(c *channel, app string, args []string, fromDialplan bool) bool {
	if s.apps[app] == 0 {
		return false
	}
	c.stasisApp = app
	c.fromDialpl = fromDialplan
	c.subs[app] = true
	c.appName, c.appData = "Stasis", app
	if args == nil {
		args = []string{}
	}
	c.vars["STASISSTATUS"] = ""
	e := obj{{"type", "StasisStart"}, {"timestamp", s.ts()}, {"args", args}, {"channel", c.json()}}
	s.emit(c.subs, nil, e)
	return true
}

// answerChannel moves c (and the far side of a Local pair) to Up.
func (s *Server) answerChannel(c *channel) {
	if c.state == "Up" || c.gone {
		return
	}
	s.setState(c, "Up")
	if c.peer != nil && !c.peer.gone {
		s.setState(c.peer, "Up")
		if c.peer.dialing {
			c.peer.dialing = false
			s.dialEvent(c.peer, "ANSWER")
		}
	}
	if c.ph != nil {
		c.ph.answered()
	}
}

// hangup ends c. soft marks a hangup requested through ARI (DELETE): Asterisk
// reports it as "soft": true, cause 32 (AST_SOFTHANGUP_EXPLICIT) before the
// real cause appears on ChannelDestroyed. by says who ended it, for reports.
func (s *Server) hangup(c *channel, cause int, soft bool, by string) {
	if c.gone {
		return
	}
	if soft {
		s.chanEvent(c, "ChannelHangupRequest", kv{"cause", 32}, kv{"soft", true})
	} else {
		s.chanEvent(c, "ChannelHangupRequest", kv{"cause", cause})
	}
	s.teardown(c, cause, by)
}

// teardown removes c and, for a Local pair, its other half, in the order
// Asterisk reports it: c leaves its bridge and Stasis, the other half is asked
// to hang up, c is destroyed, then the other half.
func (s *Server) teardown(c *channel, cause int, by string) {
	s.teardownCauses(c, cause, cause, by)
}

func (s *Server) teardownCauses(c *channel, cause, peerCause int, by string) {
	if c.gone {
		return
	}
	c.gone = true
	s.leaveAll(c, cause)
	p := c.peer
	if p != nil && !p.gone {
		p.gone = true
		s.chanEvent(p, "ChannelHangupRequest", kv{"cause", cause})
	}
	s.destroy(c, cause)
	if p != nil && s.channels[p.id] == p {
		s.leaveAll(p, peerCause)
		s.destroy(p, peerCause)
	}
	if c.ph != nil {
		c.ph.ended(by, cause)
	}
	if p != nil && p.ph != nil {
		p.ph.ended(by, cause)
	}
}

// leaveAll ends what c takes part in: ringing, media, bridge, Stasis.
func (s *Server) leaveAll(c *channel, cause int) {
	if c.ringTimer != nil {
		c.ringTimer.Stop()
	}
	if c.dialing {
		c.dialing = false
		if st := dialStatusFor(cause); st != "" {
			s.dialEvent(c, st)
		}
	}
	s.stopMedia(c)
	if b := c.bridge; b != nil {
		b.remove(c)
		c.bridge = nil
		s.emit(mergeSubs(b.subs, c.subs), nil, obj{{"type", "ChannelLeftBridge"}, {"timestamp", s.ts()}, {"bridge", b.json()}, {"channel", c.json()}})
		s.bridgeChanged(b)
	}
	if c.stasisApp != "" {
		s.emit(c.subs, nil, obj{{"type", "StasisEnd"}, {"timestamp", s.ts()}, {"channel", c.json()}})
		if c.fromDialpl {
			// Without subscribeAll a dialplan channel is no longer the app's
			// business after StasisEnd: no ChannelDestroyed reaches it.
			delete(c.subs, c.stasisApp)
		}
		c.stasisApp = ""
	}
}

func (s *Server) destroy(c *channel, cause int) {
	if c.visible {
		s.emit(c.subs, nil, obj{{"type", "ChannelDestroyed"}, {"timestamp", s.ts()}, {"cause", cause},
			{"cause_txt", causeText(cause)}, {"channel", c.json()}})
	}
	delete(s.channels, c.id)
}

func dialStatusFor(cause int) string {
	switch cause {
	case 19, 18:
		return "NOANSWER"
	case 17:
		return "BUSY"
	case 34, 38, 41, 42:
		return "CONGESTION"
	case 16:
		return "CANCEL"
	case 1, 3, 28:
		return "CHANUNAVAIL"
	}
	return ""
}

func mergeSubs(a, b map[string]bool) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// farSideHangup is a hangup coming from the person on the phone.
func (s *Server) farSideHangup(c *channel, cause int) {
	s.hangup(c, cause, false, "phone")
}
