package bridge

import "time"

// LinkUp says whether the events WebSocket is connected (for /readyz).
func (s *Server) LinkUp() bool { up, _, _ := s.link.state(); return up }

// CallsInProgress counts inbound calls from StasisStart until their
// handler returned and their legs were hung up.
func (s *Server) CallsInProgress() int64 { return s.inProgress.Load() }

// Stats are the bridge's counters, for metrics.
type Stats struct {
	LinkUp          bool
	LinkSince       time.Time // when the link last went up or down
	Reconnects      int64     // WebSocket reconnections since Open
	EventsReceived  uint64    // WebSocket messages
	EventsMalformed uint64    // messages that were not an ARI event: the only events ever lost
	EventsUnrouted  uint64    // events about channels we do not control (expected: Local halves, late events)
	CallsInProgress int64
	CallsTotal      uint64
	Legs            int // channels routed now
}

func (s *Server) Stats() Stats {
	up, since, reconnects := s.link.state()
	s.mu.Lock()
	legs := len(s.legs)
	s.mu.Unlock()
	return Stats{
		LinkUp: up, LinkSince: since, Reconnects: reconnects,
		EventsReceived: s.received.Load(), EventsMalformed: s.malformed.Load(), EventsUnrouted: s.unrouted.Load(),
		CallsInProgress: s.inProgress.Load(), CallsTotal: s.callsTotal.Load(), Legs: legs,
	}
}
