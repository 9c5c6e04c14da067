package arisim

import (
	"net/http"
	"time"
)

// faults are the failure controls tests switch on; zero value: none.
type faults struct {
	refuseStatus  int
	delay         time.Duration
	failOriginate int             // cause, -1 when off
	losePlays     int             // plays still to lose
	loseVariables map[string]bool // channel variables answered 204 and not kept
}

func (f *faults) restErr() *apiError { return nil }

// refused applies RefuseREST and DelayREST to one request; it reports
// whether the request was answered already. The delay is real time: it is
// the controller's HTTP client that must feel it.
func (s *Server) refused(w http.ResponseWriter) bool {
	s.mu.Lock()
	st, d := s.faults.refuseStatus, s.faults.delay
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	if st != 0 {
		writeJSON(w, st, obj{{"message", http.StatusText(st)}})
		return true
	}
	return false
}

// RefuseREST answers every REST call (and WebSocket handshake) with status;
// 0 stops refusing.
func (s *Server) RefuseREST(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.refuseStatus = status
}

// DelayREST holds every REST call for d of real time before serving it; 0 stops.
func (s *Server) DelayREST(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.delay = d
}

// FailOriginates makes every following originate fail with cause (e.g. 34
// congestion, 38 network out of order) right after its 200; a negative cause
// stops it.
func (s *Server) FailOriginates(cause int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failOriginate = cause
}

// LosePlays makes the next n channel plays be answered 201 and lost (no
// PlaybackStarted, GET /playbacks/{id} 404), as a real Asterisk does with
// a play it queued in a dying bridge.
func (s *Server) LosePlays(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.losePlays = n
}

// LoseVariables makes every following write of these channel variables be
// answered 204 and not kept, as when a controller dies between its request
// and Asterisk's handling of it; no name stops it.
func (s *Server) LoseVariables(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.loseVariables = map[string]bool{}
	for _, n := range names {
		s.faults.loseVariables[n] = true
	}
}

// Restart emulates an Asterisk restart: every WebSocket drops, and every
// channel, bridge and playback vanishes without a single event. Phones end
// with By "restart".
func (s *Server) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.dropLocked()
	}
	for _, c := range s.channels {
		c.gone = true
		if c.ringTimer != nil {
			c.ringTimer.Stop()
		}
		if c.ph != nil {
			c.ph.ended("restart", 0)
		}
	}
	for _, p := range s.playbacks {
		if p.timer != nil {
			p.timer.Stop()
		}
	}
	s.channels = map[string]*channel{}
	s.bridges = map[string]*bridge{}
	s.playbacks = map[string]*playback{}
	s.started = s.clock.Now()
}
