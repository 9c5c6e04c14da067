package bridge

import "time"

// LinkUp says whether ari/v5's events WebSocket is connected and Asterisk
// lists the application (for /readyz).
func (s *Server) LinkUp() bool { up, _, _ := s.link.state(); return up }

// CallsInProgress counts inbound calls from StasisStart until their
// handler returned and their legs were hung up.
func (s *Server) CallsInProgress() int64 { return s.inProgress.Load() }

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
	CallsInProgress     int64
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
	s.mu.Lock()
	legs := len(s.legs)
	s.mu.Unlock()
	return Stats{
		LinkUp: up, LinkSince: since, Reconnects: reconnects,
		EventsReceived: s.received.Load(), EventsMalformed: s.malformed.Load(), EventsUnrouted: s.unrouted.Load(),
		EventsBacklogFull: s.backlogFull.Load(), ResyncsAfterBacklog: s.resyncs.Load(),
		CallsInProgress: s.inProgress.Load(), CallsTotal: s.callsTotal.Load(), Legs: legs,
		HoldFailures: s.holdFailures.Load(), HoldProblem: s.HoldProblem(),
		PlaybacksRetried: s.playbacksRetried.Load(), PlaybacksLost: s.playbacksLost.Load(),
	}
}
