package bridge

import (
	"go.uber.org/zap"
)

// stasisStart takes a channel we do not know yet entering the app.
func (s *Server) stasisStart(e *event) {
	ch := e.Channel
	log := s.log.With(zap.String("channel_id", ch.ID))
	if len(e.Args) == 0 || e.Args[0] != "inbound" {
		// Not from our inbound dialplan, or a leg dialled by a previous
		// run of the controller: nobody would drive it.
		log.Warn("unexpected channel entered the application, hanging up", zap.Strings("args", e.Args))
		go s.hangupStray(ch.ID)
		return
	}
	dialed := ch.Exten
	if len(e.Args) > 1 && e.Args[1] != "" {
		dialed = e.Args[1]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		log.Info("draining: inbound call sent back to the dialplan")
		go s.sendBack(ch.ID)
		return
	}
	l := s.newLeg(ch.ID, false)
	l.caller, l.dialed = normalizeCaller(ch.CallerNumber), dialed
	l.inStasis, l.state = true, ch.State
	l.confirmed = s.gen.Add(1)
	s.legs[l.id] = l
	s.incoming = append(s.incoming, l)
	s.callsTotal.Add(1)
	s.calls.Add(1)
	select {
	case s.incomingSig <- struct{}{}:
	default:
	}
}

func (s *Server) hangupStray(id string) {
	l := s.newLeg(id, false)
	if err := s.ari.Channel().Hangup(l.key, "normal"); err != nil && statusOf(err) != 404 {
		l.log.Warn("hang up unexpected channel", zap.Error(err))
	}
}

// sendBack lets the dialplan after Stasis() take the call (its fallback
// message), or hangs up when that fails.
func (s *Server) sendBack(id string) {
	l := s.newLeg(id, false)
	if err := s.ari.Channel().Continue(l.key, "", "", 0); err != nil {
		l.log.Warn("send call back to the dialplan failed, hanging up", zap.Error(err))
		s.hangupStray(id)
	}
}
