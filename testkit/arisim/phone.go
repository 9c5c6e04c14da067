package arisim

import (
	"strings"
	"time"

	"github.com/regul-sante/regul/internal/clock"
)

// Step is one action of a scripted phone. Exactly one field is set; YAML
// writes it as a one-key map, e.g. `- press: "1#"` or `- wait: 2s`.
type Step struct {
	Wait         Duration `yaml:"wait,omitempty"`           // do nothing for this long
	WaitAnswer   bool     `yaml:"wait_answer,omitempty"`    // until the app answers this phone's call
	WaitForSound string   `yaml:"wait_for_sound,omitempty"` // until a sound whose URI contains this has finished playing to the phone
	WaitBridged  bool     `yaml:"wait_bridged,omitempty"`   // until the phone is in a bridge with somebody else (talking)
	// WaitHearing waits until a sound whose URI contains this has started
	// playing to the phone (a tone, which never finishes by itself).
	WaitHearing string `yaml:"wait_hearing,omitempty"`
	// DropWebSockets is a fault placed at an exact point of a call: every
	// events WebSocket drops (as DropWebSockets), and the script goes on.
	DropWebSockets bool `yaml:"drop_websockets,omitempty"`
	// Mark tells the test this point was reached (Server.Marks), and goes on.
	Mark       string    `yaml:"mark,omitempty"`
	Press      string    `yaml:"press,omitempty"`      // DTMF digits, one per Gap
	Gap        Duration  `yaml:"gap,omitempty"`        // spacing of Press digits (default 250ms)
	Hangup     bool      `yaml:"hangup,omitempty"`     // hang up (cause 16)
	Silent     bool      `yaml:"silent,omitempty"`     // stay on the line until the other side hangs up
	Ring       *Duration `yaml:"ring,omitempty"`       // outbound: ring this long (0: until the originate times out)
	Answer     bool      `yaml:"answer,omitempty"`     // outbound: pick up
	Busy       bool      `yaml:"busy,omitempty"`       // outbound: signal busy (cause 17)
	Congestion bool      `yaml:"congestion,omitempty"` // outbound: unreachable (cause 34)
	Fail       int       `yaml:"fail,omitempty"`       // outbound: fail with this cause
}

// Step constructors for scenarios built in Go.
func Wait(d time.Duration) Step                   { return Step{Wait: Duration(d)} }
func WaitAnswer() Step                            { return Step{WaitAnswer: true} }
func WaitForSound(uriPart string) Step            { return Step{WaitForSound: uriPart} }
func WaitBridged() Step                           { return Step{WaitBridged: true} }
func WaitHearing(uriPart string) Step             { return Step{WaitHearing: uriPart} }
func DropWebSockets() Step                        { return Step{DropWebSockets: true} }
func Mark(name string) Step                       { return Step{Mark: name} }
func Press(digits string, gap time.Duration) Step { return Step{Press: digits, Gap: Duration(gap)} }
func Hangup() Step                                { return Step{Hangup: true} }
func Silent() Step                                { return Step{Silent: true} }
func Ring(d time.Duration) Step                   { r := Duration(d); return Step{Ring: &r} }
func Answer() Step                                { return Step{Answer: true} }
func Busy() Step                                  { return Step{Busy: true} }
func Congestion() Step                            { return Step{Congestion: true} }
func Fail(cause int) Step                         { return Step{Fail: cause} }

// phone is the person (or dialplan) at the far end of an app-facing channel.
// It runs under the server lock; its waits are clock timers.
type phone struct {
	s     *Server
	leg   *channel // the channel the app sees
	own   *channel // the other half of a Local pair, nil for PJSIP
	steps []Step
	pc    int
	timer clock.Timer
	// wait_for_sound: finished sounds are counted from mark, so a prompt that
	// ended before the step began still counts (no race with the controller).
	finished []string
	mark     int
	// wait_hearing: sounds started, counted from startMark likewise.
	started   []string
	startMark int
	waiting   string // "", "sound", "answer", "bridged", "timer", "forever"
	// wasBridged: the phone has been in a bridge with somebody (wait_bridged
	// then goes on at once, even if the bridge came before the step).
	wasBridged bool
	rep        *PhoneReport
	done       bool
}

func (p *phone) note(kind EntryKind, v string) {
	if p.rep != nil {
		p.rep.add(p.s.clock.Now(), kind, v)
	}
	if kind == EntrySound {
		p.started = append(p.started, v)
		if p.waiting == "hearing" {
			p.run()
		}
	}
}

func (p *phone) takeStarted(part string) bool {
	for i := p.startMark; i < len(p.started); i++ {
		if strings.Contains(p.started[i], part) {
			p.startMark = i + 1
			return true
		}
	}
	return false
}

func (p *phone) soundFinished(uri string) {
	p.finished = append(p.finished, uri)
	if p.waiting == "sound" {
		p.run()
	}
}

// talking: the phone's channel is now in a bridge with another channel.
func (p *phone) talking() {
	p.wasBridged = true
	if p.waiting == "bridged" {
		p.run()
	}
}

func (p *phone) answered() {
	if p.waiting == "answer" {
		p.run()
	}
}

func (p *phone) ended(by string, cause int) {
	if p.done {
		return
	}
	p.done = true
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.rep != nil {
		p.rep.end(p.s.clock.Now(), by, cause)
	}
	p.s.phoneDone(p)
}

// sleep suspends the script for d of emulated time, then resumes it.
func (p *phone) sleep(d time.Duration, then func()) {
	p.waiting = "timer"
	p.timer = p.s.clock.AfterFunc(d, p.s.locked(func() {
		if p.done {
			return
		}
		p.waiting = ""
		then()
	}))
}

// run executes steps until one has to wait.
func (p *phone) run() {
	p.waiting = ""
	for !p.done && p.pc < len(p.steps) {
		st := p.steps[p.pc]
		switch {
		case st.WaitHearing != "":
			if !p.takeStarted(st.WaitHearing) {
				p.waiting = "hearing"
				return
			}
			p.pc++
		case st.WaitForSound != "":
			if !p.takeSound(st.WaitForSound) {
				p.waiting = "sound"
				return
			}
			p.pc++
		case st.Mark != "":
			p.pc++
			p.note(EntryMark, st.Mark)
			select {
			case p.s.marks <- st.Mark:
			default:
			}
		case st.DropWebSockets:
			p.pc++
			for c := range p.s.conns {
				c.dropLocked()
			}
		case st.WaitBridged:
			if !p.wasBridged {
				p.waiting = "bridged"
				return
			}
			p.pc++
		case st.WaitAnswer:
			if p.leg.state != "Up" {
				p.waiting = "answer"
				return
			}
			p.pc++
		case st.Wait > 0:
			p.pc++
			p.sleep(time.Duration(st.Wait), p.run)
			return
		case st.Press != "":
			p.pc++
			gap := time.Duration(st.Gap)
			if gap <= 0 {
				gap = 250 * time.Millisecond
			}
			p.press(st.Press, gap)
			return
		case st.Hangup:
			p.pc++
			p.hangup(16)
			return
		case st.Silent:
			p.waiting = "forever"
			return
		case st.Ring != nil:
			p.pc++
			p.s.ring(p.leg)
			if *st.Ring > 0 {
				p.sleep(time.Duration(*st.Ring), p.run)
			} else {
				p.waiting = "forever"
			}
			return
		case st.Answer:
			p.pc++
			p.s.calleeAnswers(p)
		case st.Busy:
			p.pc++
			p.s.calleeRefuses(p, 17)
			return
		case st.Congestion:
			p.pc++
			p.s.calleeRefuses(p, 34)
			return
		case st.Fail != 0:
			p.pc++
			p.s.calleeRefuses(p, st.Fail)
			return
		default:
			p.pc++ // empty step
		}
	}
	if !p.done && p.pc >= len(p.steps) {
		p.waiting = "forever" // end of script: stay on the line
	}
}

func (p *phone) takeSound(part string) bool {
	for i := p.mark; i < len(p.finished); i++ {
		if strings.Contains(p.finished[i], part) {
			p.mark = i + 1
			return true
		}
	}
	return false
}

// press sends one digit per gap, each arriving as ChannelDtmfReceived.
func (p *phone) press(digits string, gap time.Duration) {
	if digits == "" {
		p.run()
		return
	}
	p.sleep(gap, func() {
		if p.leg.gone {
			return
		}
		d := digits[:1]
		p.note(EntryPressed, d)
		p.s.chanEvent(p.leg, "ChannelDtmfReceived", kv{"digit", d}, kv{"duration_ms", 100})
		p.s.relayDTMF(p.leg, d)
		p.press(digits[1:], gap)
	})
}

func (p *phone) hangup(cause int) {
	if p.own != nil {
		// The Local half that runs the dialplan hangs up.
		p.s.chanEvent(p.own, "ChannelHangupRequest", kv{"cause", cause})
		p.s.teardown(p.own, cause, "phone")
		return
	}
	p.s.farSideHangup(p.leg, cause)
}

// relayDTMF passes a digit received on c to the other members of its bridge,
// as a mixing bridge does. Only a Local pair reports it, on the half that
// runs dialplan (it reads the DTMF frame); a trunk channel just sends it
// down the line. Observed in originate_bridge: the specialist's "1" is
// reported on the specialist's channel, then on the GP's ;1 half.
func (s *Server) relayDTMF(c *channel, digit string) {
	if c.bridge == nil {
		return
	}
	for _, m := range c.bridge.members {
		if m == c || m.ph == nil || m.ph.own == nil || m.ph.own.gone {
			continue
		}
		s.chanEvent(m.ph.own, "ChannelDtmfReceived", kv{"digit", digit}, kv{"duration_ms", 100})
	}
}
