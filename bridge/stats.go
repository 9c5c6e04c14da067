package bridge

import "time"

// LinkUp says whether ari/v5's events WebSocket is connected and Asterisk
// lists the application (for /readyz).
func (s *Server) LinkUp() bool { up, _, _ := s.link.state(); return up }

// Stats are the bridge's counters, for metrics.
type Stats struct {
	LinkUp          bool
	LinkSince       time.Time // when the link last went up or down
	Reconnects      int64     // WebSocket reconnections since Open
	EventsReceived  uint64    // events read from ari/v5's bus
	EventsMalformed uint64    // events ari/v5 could not decode (delivered as nil)
	// EventsBacklogFull counts the events read while ari/v5's subscription
	// buffer was full: ari/v5 drops events silently then, so some may be lost.
	EventsBacklogFull uint64
	// ResyncsAfterBacklog counts the resyncs from Asterisk's state run
	// after such an episode, so that no call waits for an event lost there.
	ResyncsAfterBacklog uint64
	EventsUnrouted      uint64 // events about channels we do not control (expected: Local halves, late events)
	CallsTotal          uint64
	Legs                int // channels routed now
	// HoldFailures counts hold media Asterisk could not play (a missing
	// hold-music file, say); HoldProblem says what is wrong now, "" if nothing.
	HoldFailures uint64
	HoldProblem  string
	// PlaybacksRetried counts plays Asterisk accepted but never started,
	// asked again; PlaybacksLost those given up after every retry.
	PlaybacksRetried uint64
	PlaybacksLost    uint64
}

func (s *Server) Stats() Stats {
	up, since, reconnects := s.link.state()
	legs := s.legCount()
	return Stats{
		LinkUp: up, LinkSince: since, Reconnects: reconnects,
		EventsReceived: s.received.Load(), EventsMalformed: s.malformed.Load(), EventsUnrouted: s.unrouted.Load(),
		EventsBacklogFull: s.backlogFull.Load(), ResyncsAfterBacklog: s.resyncs.Load(),
		CallsTotal: s.callsTotal.Load(), Legs: legs,
		HoldFailures: s.holdFailures.Load(), HoldProblem: s.HoldProblem(),
		PlaybacksRetried: s.playbacksRetried.Load(), PlaybacksLost: s.playbacksLost.Load(),
	}
}

// legCount is how many channels the bridge routes now. The calls in
// progress are counted by the call script (ivr.Script.CallsInProgress),
// which knows every kind of call; the bridge only waits for its handlers.
func (s *Server) legCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.legs)
}
