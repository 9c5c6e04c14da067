package bridge

import (
	"context"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"
)

// resync runs after the events WebSocket came back (the watcher saw the
// application registered again): Asterisk replays nothing, so whatever
// happened meanwhile is read back through REST.
//   - a leg whose channel is gone ends with HangupError{Vanished: true};
//   - a dialled leg still waiting for its answer gets its state re-read
//     (it may have been answered meanwhile);
//   - a bridge of ours left without channels is destroyed.
func (s *Server) resync() {
	// Legs confirmed after this point may be missing from the list only
	// because they were created after it was taken.
	gen := s.gen.Load()
	ids, err := s.listChannels()
	if err != nil {
		s.log.Error("resync after reconnect: cannot list channels; legs left as they are", zap.Error(err))
		return
	}
	present := make(map[string]bool, len(ids))
	for _, id := range ids {
		present[id] = true
	}
	s.mu.Lock()
	legs := make([]*leg, 0, len(s.legs))
	for _, l := range s.legs {
		legs = append(legs, l)
	}
	bridges := make([]*connection, 0, len(s.bridges))
	for _, c := range s.bridges {
		bridges = append(bridges, c)
	}
	s.mu.Unlock()

	restarted := s.asteriskRestarted()
	vanished := 0
	for _, l := range legs {
		l.mu.Lock()
		check := l.ended == nil && l.confirmed != 0 && l.confirmed <= gen
		waiting := check && l.outbound && !l.answered
		l.mu.Unlock()
		switch {
		case !check:
		case !present[l.id]:
			vanished++
			l.log.Warn("channel vanished while the ARI link was down", zap.Bool("asterisk_restarted", restarted))
			l.mu.Lock()
			l.lostInRestart = restarted
			l.endLocked(causeUnknown, "vanished while the ARI link was down", true)
			l.mu.Unlock()
		case waiting:
			s.refresh(l)
		}
	}
	for _, c := range bridges {
		data, err := s.ari.Bridge().Data(c.key)
		switch {
		case statusOf(err) == 404:
			s.dropBridge(c.id)
		case err != nil:
			s.log.Warn("resync: read bridge", zap.String("bridge_id", c.id), zap.Error(err))
		case len(data.ChannelIDs) == 0:
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.CleanupTimeout)
			if err := c.Close(ctx); err != nil {
				s.log.Warn("resync: destroy empty bridge", zap.String("bridge_id", c.id), zap.Error(err))
			}
			cancel()
		}
	}
	s.log.Info("resync after reconnect done", zap.Int("legs", len(legs)), zap.Int("vanished", vanished), zap.Int("bridges", len(bridges)))
	// A call whose StasisStart was sent as the WebSocket dropped is in the
	// application with nobody driving it: take it up like at start.
	s.mu.Lock()
	adopter := s.adopter
	s.mu.Unlock()
	if s.opts.Adopt && adopter != nil && s.linkCtx != nil {
		s.sweeping.Add(1)
		go func() {
			defer s.sweeping.Done()
			s.settle(s.linkCtx, adopter)
		}()
	}
}

// asteriskRestarted says whether Asterisk restarted since it was last
// asked: its startup time changed. Channels that vanished meanwhile were
// then lost with it, not hung up by their party.
func (s *Server) asteriskRestarted() bool {
	info, err := s.ari.Asterisk().Info(nil)
	if err != nil {
		s.log.Warn("cannot read Asterisk's startup time", zap.Error(err))
		return false
	}
	started := time.Time(info.StatusInfo.StartupTime)
	old := s.asteriskStarted.Swap(&started)
	return old != nil && !old.Equal(started)
}

// listChannels lists every channel, retrying briefly: just after a
// reconnect Asterisk may still be busy.
func (s *Server) listChannels() ([]string, error) {
	var err error
	wait := s.opts.ReconnectMin
	for range 5 {
		keys, lerr := s.ari.Channel().List(nil)
		if lerr == nil {
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i] = k.ID
			}
			return ids, nil
		}
		err = lerr
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.hardCtx.Done():
			t.Stop()
			return nil, requestError("list channels", err)
		}
		wait = min(2*wait, s.opts.ReconnectMax)
	}
	return nil, requestError("list channels", err)
}

// refresh re-reads a dialled leg whose answer may have been missed.
func (s *Server) refresh(l *leg) {
	data, err := s.ari.Channel().Data(l.key)
	if err != nil {
		if statusOf(err) == 404 {
			l.end(causeUnknown, "vanished while the ARI link was down", true)
		}
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if data.State == "Up" {
		l.inStasis = true // see adopt
	}
	l.setStateLocked(data.State)
	l.notifyLocked()
}

// orphanGrace is how long a channel of our application that the server
// does not know may wait for its StasisStart, in flight on the WebSocket
// while the REST list that showed it came back, before it is an orphan.
const orphanGrace = time.Second

// settle runs once, after Open or (with Options.Adopt) when Serve starts.
// It takes care of the channels of our application that the server does
// not drive: left by an earlier run of the controller (a conversation, a
// GP on hold, a specialist's phone ringing), or entered between ari/v5's
// first connection and the subscription to its bus, whose StasisStart
// nobody received. With an adopter they are adopted (the call goes on);
// without, hung up (a caller re-dials and gets a working line). A channel
// counts only if it is in our application on two lists orphanGrace apart
// and still unknown.
func (s *Server) settle(ctx context.Context, adopter AdoptHandler) {
	first, bridges, err := s.appContents()
	if err != nil {
		s.log.Warn("orphan sweep: cannot list the application's channels", zap.Error(err))
		return
	}
	if len(s.unknown(first)) == 0 {
		return
	}
	t := time.NewTimer(orphanGrace)
	select {
	case <-ctx.Done():
		t.Stop()
		return
	case <-t.C:
	}
	second, _, err := s.appContents()
	if err != nil {
		s.log.Warn("orphan sweep: cannot list the application's channels", zap.Error(err))
		return
	}
	again := make(map[string]bool, len(second))
	for _, id := range s.unknown(second) {
		again[id] = true
	}
	var both []string
	for _, id := range s.unknown(first) {
		if again[id] && ctx.Err() == nil {
			both = append(both, id)
		}
	}
	if adopter != nil {
		s.adoptChannels(both, bridges)
		return
	}
	for _, id := range both {
		s.log.Warn("orphan channel in the application (previous run, or entered before the subscription), hanging up", zap.String("channel_id", id))
		s.hangupStray(id)
	}
}

// appContents lists the channels and bridges Asterisk has in our application.
func (s *Server) appContents() (channels, bridges []string, err error) {
	data, err := s.ari.Application().Data(ari.NewKey(ari.ApplicationKey, s.opts.Application))
	if err != nil {
		return nil, nil, requestError("get application "+s.opts.Application, err)
	}
	return data.ChannelIDs, data.BridgeIDs, nil
}

// unknown keeps the ids no leg routes.
func (s *Server) unknown(ids []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range ids {
		if s.legs[id] == nil {
			out = append(out, id)
		}
	}
	return out
}
