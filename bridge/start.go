package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"
)

// connectClient starts ari/v5's Connect, which returns only once its first
// WebSocket connection is up and retries forever meanwhile. Its result goes
// to the returned channel while start waits for it; when start gave up
// (abandon closed), a Connect that succeeds late is stopped at once.
func (s *Server) connectClient(abandon <-chan struct{}) <-chan error {
	connected := make(chan error)
	go func() {
		err := s.ari.Connect()
		select {
		case connected <- err:
		case <-abandon:
			if err == nil {
				s.stopClient()
			}
		}
	}()
	return connected
}

// start waits until ari/v5 connected its events WebSocket and Asterisk
// lists our application, subscribing to ari/v5's bus as soon as it exists.
// Meanwhile it asks Asterisk for the application over REST, which is how a
// wrong password shows at once: ari/v5 only logs its failed handshakes to a
// discarded log and redials.
func (s *Server) start(ctx context.Context, connected <-chan error) error {
	key := ari.NewKey(ari.ApplicationKey, s.opts.Application)
	var (
		isConnected bool
		attempt     uint64
		lastErr     error
		wait        = 5 * time.Millisecond
	)
	for {
		attempt = s.link.attempt()
		_, err := s.ari.Application().Data(key)
		switch st := statusOf(err); {
		case err == nil && isConnected:
			if !s.link.upIf(attempt) {
				// Dropped already: the watcher brings it back.
				s.log.Warn("ARI events WebSocket dropped right after connecting")
			}
			s.filterEvents(ctx)
			return nil
		case st == 401:
			return fmt.Errorf("connect to ARI events %s: %w", s.link.url, ErrUnauthorized)
		case isConnected && err != nil && st != 404:
			return fmt.Errorf("ARI REST %s: %w", redact(s.opts.URL), requestError("get application "+s.opts.Application, err))
		case err != nil && st != 404:
			lastErr = err // Asterisk not answering yet; ari/v5 keeps dialling
		}
		t := time.NewTimer(wait)
		select {
		case err := <-connected:
			t.Stop()
			if err != nil {
				return fmt.Errorf("connect to ARI events %s: %w", s.link.url, err)
			}
			isConnected = true
			s.subscribe()
			connected, wait = nil, 5*time.Millisecond
			continue // check the registration now
		case <-ctx.Done():
			t.Stop()
			if lastErr == nil {
				lastErr = errors.New("none")
			}
			return fmt.Errorf("connect to ARI events %s: gave up after %v: %w (last error: %v)",
				s.link.url, context.Cause(ctx), ctx.Err(), lastErr)
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// subscribe takes the one subscription to every event of ari/v5's bus and
// starts the reader. Events ari/v5 received between its first connection
// and this point went to a bus without subscribers: sweepOrphans settles
// the channels they concerned.
func (s *Server) subscribe() {
	if s.opts.beforeSubscribe != nil {
		s.opts.beforeSubscribe(s)
	}
	sub := s.ari.Bus().Subscribe(nil, ari.Events.All)
	s.sub = sub
	go func() {
		defer close(s.readerDone)
		s.read(sub.Events())
	}()
}

// read applies every event in order. ari/v5's bus drops an event, silently,
// when a subscription has its buffer full: ours has 65,536 slots
// (busbuffer.go) and dispatch never blocks, so it does not fill. (A
// goroutine of its own moving events into a queue of ours was tried: the
// extra hand-over between goroutines cost latency under load and the 100
// slots filled all the same.) Should the buffer be found full (the process
// starved of CPU for long), an event may have been dropped then: it is
// counted, warned about once per episode, and once the episode is over
// every call is resynced from Asterisk's state (lossSuspected).
func (s *Server) read(events <-chan ari.Event) {
	full := false
	for e := range events {
		switch n := len(events); {
		case n >= cap(events)-1:
			s.backlogFull.Add(1)
			if !full {
				full = true
				s.log.Warn("ARI event backlog full: ari/v5 may be dropping events; the calls will be resynced from Asterisk", zap.Int("backlog", cap(events)))
			}
		case n == 0 && full:
			full = false
			s.dispatch(e)
			s.lossSuspected()
			continue
		}
		s.dispatch(e)
	}
}

// lossSuspected resyncs every call from Asterisk's state (as after a
// reconnect) on its own goroutine: one at a time, and one more if events
// may have been lost again while it ran.
func (s *Server) lossSuspected() {
	s.resyncs.Add(1)
	if s.resyncing.Swap(true) {
		s.resyncAgain.Store(true)
		return
	}
	go func() {
		for {
			s.resyncAgain.Store(false)
			s.resync()
			if s.resyncAgain.Load() {
				continue
			}
			s.resyncing.Store(false)
			// A loss noted between the check and the store found a resync
			// still running: run it here unless another goroutine took over.
			if !s.resyncAgain.Load() || s.resyncing.Swap(true) {
				return
			}
		}
	}()
}

// watch brings the link back up after each redial of ari/v5: it waits for
// Asterisk to list the application again, then resyncs.
func (s *Server) watch(ctx context.Context) {
	defer close(s.watchDone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.link.dialing:
		}
		attempt, ok := s.awaitRegistered(ctx)
		if !ok {
			return
		}
		if s.link.upIf(attempt) {
			s.filterEvents(ctx)
			s.resync()
		}
	}
}

// awaitRegistered polls GET /applications/{app} until it answers 200,
// backing off between ReconnectMin and ReconnectMax, back to the minimum
// at each new dial of ari/v5. It returns the number of dials made before
// the request that saw the application, for link.upIf, or false when ctx
// ended.
func (s *Server) awaitRegistered(ctx context.Context) (uint64, bool) {
	key := ari.NewKey(ari.ApplicationKey, s.opts.Application)
	wait := s.opts.ReconnectMin
	for {
		attempt := s.link.attempt()
		_, err := s.ari.Application().Data(key)
		if err == nil {
			return attempt, true
		}
		if st := statusOf(err); st != 404 {
			s.log.Debug("ARI application check failed while the link is down", zap.Int("status", st), zap.Error(err))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, false
		case <-s.link.dialing:
			t.Stop()
			wait = s.opts.ReconnectMin
			continue
		case <-t.C:
		}
		wait = min(2*wait, s.opts.ReconnectMax)
	}
}

// stopClient ends ari/v5's listen loop and the reader. It must run only
// after ari/v5's Connect returned: Connect writes the cancel function and
// the bus, with no synchronisation. ari/v5's Client.Close is not used (see
// clientCancel).
func (s *Server) stopClient() {
	s.link.policy.Store(dialRefuse) // a dial already under way fails, then the loop sees its context ended
	if cancel, err := clientCancel(s.ari); err == nil && cancel != nil {
		cancel()
	}
	if s.sub != nil {
		s.sub.Cancel() // closes the events channel: the reader returns
	}
}
