package arisim

import (
	"fmt"
	"strings"
	"time"
)

// Timing of the reference dialplan's applications, as the traces show it.
// SendDTMF(digits,250) keeps 100 ms of quiet, then sends each digit for
// 100 ms (reported at its end) followed by 250 ms of pause: the first digit
// is reported 200 ms after the application starts, the next ones 350 ms
// apart, and the application ends 250 ms after the last. Press reports its
// first digit one gap after it starts, hence a lead of 200 - 350 ms.
// Answer() on a channel without media waits 500 ms for a first frame.
const (
	sendDTMFGap     = 350 * time.Millisecond
	sendDTMFLead    = 200*time.Millisecond - sendDTMFGap
	sendDTMFTail    = 250 * time.Millisecond
	answerMediaWait = 500 * time.Millisecond
)

// localPrograms is the dialplan of the reference traces (README of
// ari-reference), so Local/... originates replay as on the real Asterisk.
func localPrograms() map[string][]Step {
	return map[string][]Step{
		"s@gp-sim":         {WaitAnswer(), Wait(2*time.Second + sendDTMFLead), Press("10003456789#", sendDTMFGap), Wait(30*time.Second + sendDTMFTail), Hangup()},
		"s@specialist-sim": {Answer(), Wait(answerMediaWait + 2*time.Second + sendDTMFLead), Press("1", sendDTMFGap), Wait(20*time.Second + sendDTMFTail), Hangup()},
		"s@ring-sim":       {Ring(60 * time.Second), Hangup()},
		"s@busy-sim":       {Ring(2 * time.Second), Busy()},
	}
}

// originateReq is POST /channels (or /channels/{id}) once parsed.
type originateReq struct {
	id, endpoint, app string
	args              []string
	context, exten    string
	callerID          Party
	timeout           time.Duration
	vars              map[string]string
}

// originate creates the channel(s) and starts the callee. The caller holds s.mu.
func (s *Server) originate(r originateReq) (*channel, *apiError) {
	tech, rest, ok := strings.Cut(r.endpoint, "/")
	if !ok || tech == "" || rest == "" {
		return nil, errMsg(400, "Invalid endpoint specified")
	}
	if r.app == "" && r.exten == "" && r.context == "" {
		return nil, errMsg(400, "Application or extension must be specified")
	}
	if r.id != "" && s.channels[r.id] != nil {
		return nil, errMsg(409, "Channel with given unique ID already exists")
	}
	switch tech {
	case "Local":
		return s.originateLocal(r, rest), nil
	case "PJSIP", "SIP", "IAX2", "DAHDI":
		if s.opts.PJSIPNotLoaded {
			return nil, &apiError{status: 500, body: obj{{"error", "Allocation failed"}}}
		}
		return s.originateTrunk(r, tech, rest), nil
	}
	return nil, &apiError{status: 500, body: obj{{"error", "Allocation failed"}}}
}

func (s *Server) newLeg(r originateReq, name, ctx, exten string) *channel {
	id := r.id
	if id == "" {
		id = s.newChannelID()
	}
	c := &channel{id: id, name: name, state: "Down", context: ctx, exten: exten, priority: 1,
		caller: r.callerID, vars: map[string]string{}, dialString: "", originApp: r.app, originArgs: r.args}
	for k, v := range r.vars {
		c.vars[k] = v
	}
	return c
}

// subscribeOriginator subscribes the originate's app to c once c exists:
// Asterisk does so only after creating the channel, so an app without
// subscribeAll never sees ChannelCreated of the channels it originates.
func subscribeOriginator(c *channel, r originateReq) {
	if r.app != "" {
		c.subs[r.app] = true
	}
}

// originateTrunk dials a scripted endpoint (or the default behaviour).
func (s *Server) originateTrunk(r originateReq, tech, rest string) *channel {
	s.trunkSeq++
	peer := rest
	if _, after, ok := strings.Cut(rest, "@"); ok {
		peer = after
	}
	name := fmt.Sprintf("%s/%s-%08x", tech, peer, s.trunkSeq)
	c := s.newLeg(r, name, "default", "s")
	c.dialString = rest
	s.addChannel(c)
	subscribeOriginator(c, r)
	reached := s.startDial(c, r)
	steps, rep := s.endpointFor(r.endpoint)
	ph := &phone{s: s, leg: c, steps: steps, rep: rep}
	c.ph = ph
	s.live[ph] = true
	if rep != nil {
		rep.mu.Lock()
		rep.Calls++
		rep.mu.Unlock()
	}
	if reached {
		ph.run()
	}
	return c
}

// startDial starts ringing c, bounded by the originate's timeout. Under
// FailOriginates the network fails the call right after the 200 and the
// far end is never reached (false): its script does not run.
func (s *Server) startDial(c *channel, r originateReq) bool {
	c.dialing = true
	s.dialEvent(c, "")
	if fc := s.faults.failOriginate; fc >= 0 {
		s.clock.AfterFunc(0, s.locked(func() { s.teardown(c, fc, "fault") }))
		return false
	}
	timeout := r.timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	c.ringTimer = s.clock.AfterFunc(timeout, s.locked(func() {
		if c.gone || !c.dialing {
			return
		}
		// Observed: no final Dial event on an originate timeout.
		c.dialing = false
		if c.peer == nil {
			s.chanEvent(c, "ChannelHangupRequest", kv{"cause", 19})
		}
		s.teardown(c, 19, "timeout")
	}))
	return true
}

func (s *Server) originateLocal(r originateReq, rest string) *channel {
	s.localSeq++
	base := fmt.Sprintf("Local/%s-%08x", rest, s.localSeq-1)
	exten, ctx, _ := strings.Cut(rest, "@")
	one := s.newLeg(r, base+";1", ctx, exten)
	two := &channel{id: s.newChannelID(), name: base + ";2", state: "Ring", context: ctx, exten: exten, priority: 1,
		vars: map[string]string{}, subs: map[string]bool{}}
	one.peer, two.peer = two, one
	one.dialString = rest
	s.addChannel(one)
	s.addChannel(two)
	subscribeOriginator(one, r)
	subscribeOriginator(two, r)
	prog, known := localPrograms()[rest]
	if ctx == "incoming" {
		known = true
	}
	if !known {
		// Observed: no such extension, both halves destroyed with cause 0.
		two.gone, one.gone = true, true
		s.destroy(two, 0)
		s.destroy(one, 0)
		return one
	}
	if ctx == "incoming" {
		// ;2 runs Stasis(<exten's app>), ;1 runs the originate's context;
		// ;1 is "dialing" ;2 until the app answers ;2.
		one.dialing = true
		s.dialEvent(one, "")
		app := s.opts.LocalStasisApp
		steps := localPrograms()[r.exten+"@"+r.context]
		ph := &phone{s: s, leg: two, own: one, steps: steps}
		two.ph = ph
		s.live[ph] = true
		if !s.enterStasis(two, app, nil, true) {
			s.teardown(two, 0, "asterisk")
			return one
		}
		ph.run()
		return one
	}
	reached := s.startDial(one, r)
	ph := &phone{s: s, leg: one, own: two, steps: prog}
	one.ph = ph
	s.live[ph] = true
	if reached {
		ph.run()
	}
	return one
}

// ring: the callee alerts.
func (s *Server) ring(c *channel) {
	if c.gone || !c.dialing {
		return
	}
	s.setState(c, "Ringing")
	s.dialEvent(c, "RINGING")
	if c.ph != nil {
		c.ph.note(EntryRinging, "")
	}
}

// calleeAnswers: Up, Dial ANSWER, then StasisStart into the originate's app.
func (s *Server) calleeAnswers(p *phone) {
	c := p.leg
	if c.gone || !c.dialing {
		return
	}
	if p.own != nil {
		s.setState(p.own, "Up")
	}
	s.setState(c, "Up")
	c.dialing = false
	if c.ringTimer != nil {
		c.ringTimer.Stop()
	}
	s.dialEvent(c, "ANSWER")
	p.note(EntryAnswered, "")
	if c.originApp != "" && !s.enterStasis(c, c.originApp, c.originArgs, false) {
		// Observed: the app is not connected, the answered channel is hung
		// up at once (no ChannelHangupRequest of its own), cause 0; a Local
		// callee's other half is asked to hang up, then both are destroyed.
		s.teardown(c, 0, "asterisk")
	}
}

// calleeRefuses: busy, congestion or another failure cause while ringing.
func (s *Server) calleeRefuses(p *phone, cause int) {
	c := p.leg
	if c.gone {
		return
	}
	if p.own != nil {
		// Observed with Busy() on a Local callee: the app side gets cause 0.
		s.setState(p.own, "Busy")
		if c.dialing {
			c.dialing = false
			s.dialEvent(c, dialStatusFor(cause))
		}
		s.chanEvent(p.own, "ChannelHangupRequest", kv{"cause", 0})
		p.own.gone = true
		s.leaveAll(c, 0)
		c.gone = true
		s.destroy(c, 0)
		s.destroy(p.own, cause)
		p.ended("phone", cause)
		return
	}
	s.hangup(c, cause, false, "phone")
}
