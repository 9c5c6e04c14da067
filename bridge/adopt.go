package bridge

import (
	"context"
	"regexp"
	"strconv"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// AdoptHandler takes up a call an earlier controller left in the
// application (see ivr.Script.Resume). Like a Handler, it runs in its own
// goroutine; when it returns, the call's legs still up are hung up.
type AdoptHandler func(ctx context.Context, a ivr.Adoption)

// SetAdopter makes Serve adopt the calls it finds in the application at
// start instead of hanging them up. Call it before Serve.
func (s *Server) SetAdopter(h AdoptHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adopter = h
}

// specialistID matches a specialist leg's channel id: "<call id>-<attempt>"
// (ivr's DialRequest.Key).
var specialistID = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-([0-9]+)$`)

// memorised are the names Remember writes, read back at adoption.
var (
	gpMemory         = []string{"call", "gp", "specialty", "tried", "adopted"}
	specialistMemory = []string{"accepted", "phone"}
)

// adoption is one call being gathered from the channels found.
type adoption struct {
	gp   *leg
	spec []*leg
	a    ivr.Adoption
}

// adoptChannels takes up the channels of the application that nobody
// drives (see settle): grouped by call, with their bridge, each handed to
// the adopter in its own goroutine.
func (s *Server) adoptChannels(ids []string, bridgeIDs []string) {
	calls := map[string]*adoption{}
	// A specialist's leg still ringing is not in the application yet (it
	// enters when answered): look for our legs among every channel.
	if all, err := s.listChannels(); err == nil {
		seen := map[string]bool{}
		for _, id := range ids {
			seen[id] = true
		}
		for _, id := range s.unknown(all) {
			if !seen[id] && specialistID.MatchString(id) {
				ids = append(ids, id)
			}
		}
	} else {
		s.log.Warn("adoption: cannot list the channels: specialist legs still ringing are not adopted", zap.Error(err))
	}
	get := func(id string) *adoption {
		if calls[id] == nil {
			calls[id] = &adoption{a: ivr.Adoption{CallID: id}}
		}
		return calls[id]
	}
	for _, id := range ids {
		if m := specialistID.FindStringSubmatch(id); m != nil {
			l := s.adoptLeg(id, true)
			if l == nil {
				continue
			}
			n, _ := strconv.Atoi(m[2])
			ad := get(m[1])
			ad.spec = append(ad.spec, l)
			ad.a.Specialists = append(ad.a.Specialists, ivr.AdoptedLeg{Leg: outboundLeg{l}, Attempt: n, Memory: s.readMemory(l, specialistMemory)})
			continue
		}
		l := s.adoptLeg(id, false)
		if l == nil {
			continue
		}
		mem := s.readMemory(l, gpMemory)
		if mem["call"] == "" {
			// A GP whose StasisStart nobody received (it came as the events
			// WebSocket dropped, or before the subscription), or whose call
			// had not written its id yet: served as a new call.
			s.forget(l)
			l.log.Warn("a call nobody drives in the application: served as a new call")
			s.stasisStart(&event{Type: "StasisStart", Args: []string{"inbound"},
				Channel: &channel{ID: l.id, State: l.state, CallerNumber: l.caller, Exten: l.dialed}})
			continue
		}
		ad := get(mem["call"])
		ad.gp, ad.a.GP, ad.a.Memory = l, inboundCall{l}, mem
	}
	for id, ad := range calls {
		ad.a.Connection = s.adoptBridge(id, ad) // a call's bridge is named by the call id
		for i, l := range ad.spec {
			l.mu.Lock()
			ad.a.Specialists[i].Mixed = l.bridge == id
			l.mu.Unlock()
		}
	}
	for _, id := range bridgeIDs {
		if calls[id] == nil {
			s.destroyStrayBridge(id)
		}
	}
	for _, ad := range calls {
		s.runAdopted(ad)
	}
}

// adoptLeg routes a channel found in the application to a new leg, then
// reads its state: an event that came before the leg was routed is not
// lost, since a channel gone meanwhile answers 404.
func (s *Server) adoptLeg(id string, outbound bool) *leg {
	l := s.newLeg(id, outbound)
	s.mu.Lock()
	if s.legs[id] != nil {
		s.mu.Unlock()
		return nil // a new call took it meanwhile
	}
	s.legs[id] = l
	if outbound {
		s.dials[id] = l
	}
	s.mu.Unlock()
	data, err := s.ari.Channel().Data(l.key)
	if err != nil {
		s.forget(l)
		if statusOf(err) != 404 {
			l.log.Warn("adoption: cannot read the channel, left alone", zap.Error(err))
		}
		return nil
	}
	l.mu.Lock()
	// A channel originated into our app enters it when answered: Up means
	// in Stasis (see adopt).
	l.inStasis = !outbound || data.State == "Up"
	l.setStateLocked(data.State)
	l.answered = outbound && data.State == "Up"
	l.confirmLocked()
	if data.Caller != nil {
		l.caller = normalizeCaller(data.Caller.Number)
	}
	if data.Dialplan != nil {
		l.dialed = data.Dialplan.Exten
	}
	l.mu.Unlock()
	return l
}

// readMemory reads back what the script remembered on a channel.
func (s *Server) readMemory(l *leg, names []string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		v, err := s.ari.Channel().GetVariable(l.key, varName(n))
		switch {
		case err == nil:
			if v != "" {
				out[n] = v
			}
		case statusOf(err) != 404:
			l.log.Warn("adoption: cannot read a channel variable", zap.String("variable", varName(n)), zap.Error(err))
		}
	}
	return out
}

// adoptBridge takes up the call's bridge: the legs in it stay mixed.
func (s *Server) adoptBridge(id string, ad *adoption) ivr.Connection {
	data, err := s.ari.Bridge().Data(bridgeKey(id))
	if err != nil {
		if statusOf(err) != 404 {
			s.log.Warn("adoption: cannot read the bridge", zap.String("bridge_id", id), zap.Error(err))
		}
		return nil
	}
	if len(data.ChannelIDs) == 0 {
		s.destroyStrayBridge(id)
		return nil
	}
	c := &connection{srv: s, id: id, key: bridgeKey(id)}
	for _, cid := range data.ChannelIDs {
		for _, l := range append([]*leg{ad.gp}, ad.spec...) {
			if l != nil && l.id == cid {
				l.mu.Lock()
				l.bridge = id
				l.mu.Unlock()
				c.legs = append(c.legs, l)
			}
		}
	}
	s.mu.Lock()
	s.bridges[id] = c
	s.mu.Unlock()
	return c
}

// destroyStrayBridge removes a bridge of the application that belongs to
// no call found: what it mixed is gone.
func (s *Server) destroyStrayBridge(id string) {
	s.mu.Lock()
	ours := s.bridges[id] != nil
	s.mu.Unlock()
	if ours {
		return
	}
	if err := s.ari.Bridge().Delete(bridgeKey(id)); err != nil && statusOf(err) != 404 {
		s.log.Warn("adoption: destroy a bridge of no call", zap.String("bridge_id", id), zap.Error(err))
	}
}

// runAdopted runs one adopted call like a new one: counted in progress,
// its legs hung up when the handler returns.
func (s *Server) runAdopted(ad *adoption) {
	c := &call{in: ad.gp, out: ad.spec}
	for _, l := range append([]*leg{ad.gp}, ad.spec...) {
		if l != nil {
			l.call = c
		}
	}
	s.mu.Lock()
	h := s.adopter
	s.mu.Unlock()
	s.calls.Add(1)
	go func() {
		defer s.calls.Done()
		defer s.cleanup(c)
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("adopted call handler panicked", zap.Any("panic", r), zap.StackSkip("stack", 1))
			}
		}()
		s.log.Info("adopting call", zap.String("call_id", ad.a.CallID), zap.Bool("gp", ad.gp != nil),
			zap.Int("specialist_legs", len(ad.spec)), zap.Bool("bridged", ad.a.Connection != nil))
		h(s.hardCtx, ad.a)
	}()
}
