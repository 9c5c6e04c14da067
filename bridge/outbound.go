package bridge

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// ringGrace is added to the ring timeout Asterisk enforces before our own
// backstop ends a leg that is still not answered.
const ringGrace = 5 * time.Second

// outboundLeg is a specialist's leg being dialled.
type outboundLeg struct{ *leg }

var _ ivr.OutboundLeg = outboundLeg{}

// Dial originates req.Key as a channel into our application. See ivr.Switch.
func (s *Server) Dial(ctx context.Context, req ivr.DialRequest) (ivr.OutboundLeg, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err := checkChannelID(req.Key); err != nil {
		return nil, fmt.Errorf("dial: key: %w", err)
	}
	endpoint, err := endpointFor(s.opts.DialTemplate, req.Phone)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", req.Key, err)
	}
	s.mu.Lock()
	if l := s.dials[req.Key]; l != nil {
		s.mu.Unlock()
		l.log.Debug("dial repeated with the same key: same leg, no new originate")
		return outboundLeg{l}, nil
	}
	l := s.newLeg(req.Key, true)
	if f, ok := req.For.(hasLeg); ok {
		if c := f.base().call; c != nil {
			l.call = c
			c.addLeg(l)
		}
	}
	// Route first: Dial and StasisStart often come before the answer.
	s.legs[l.id] = l
	s.dials[l.id] = l
	s.mu.Unlock()

	h, err := s.ari.Channel().StageOriginate(nil, ari.OriginateRequest{
		Endpoint:  endpoint,
		App:       s.opts.Application,
		AppArgs:   "dialed," + req.Key,
		CallerID:  req.CallerID,
		Timeout:   int(math.Ceil(req.RingTimeout.Seconds())),
		ChannelID: req.Key,
		// Written with the channel itself: a controller adopting the call
		// after a crash knows which phone this leg rings, even when the
		// crash came right after the originate.
		Variables: map[string]string{varName(ivr.MemoryPhone): req.Phone},
	})
	if err == nil {
		err = h.Exec()
	}
	if err != nil {
		if adopted := s.adopt(l, err); !adopted {
			l.log.Warn("originate failed", zap.Error(err))
			if st := statusOf(err); st == 0 || st >= 500 {
				// No answer, or a server error: Asterisk may still place the
				// call. Its id is ours: hang it up, now and whenever it shows.
				s.cancelOriginate(l)
			} else {
				s.forget(l)
			}
			l.end(causeUnknown, "originate failed", false)
			return nil, &ivr.DialError{Result: ivr.DialFailed, Cause: causeUnknown,
				CauseText: fmt.Sprintf("originate refused: %v", requestError("originate "+req.Key, err))}
		}
	}
	l.mu.Lock()
	l.confirmLocked()
	if l.ended == nil {
		l.startDialTimersLocked(req)
	}
	l.mu.Unlock()
	l.log.Info("dialling", zap.String("endpoint_tech", strings.SplitN(endpoint, "/", 2)[0]), zap.Duration("ring_timeout", req.RingTimeout))
	return outboundLeg{l}, nil
}

// adopt takes over a channel that already exists with the leg's id: an
// originate answered 409 (a retry after a lost answer, or a controller
// restart), or one whose answer never came although Asterisk placed it.
func (s *Server) adopt(l *leg, originateErr error) bool {
	if st := statusOf(originateErr); st != 409 && st != 0 {
		return false
	}
	data, err := s.ari.Channel().Data(l.key)
	if err != nil {
		return false
	}
	l.mu.Lock()
	// A channel originated into our app enters it when answered (or is
	// destroyed when it cannot), so Up means in Stasis.
	l.inStasis = data.State == "Up"
	l.setStateLocked(data.State)
	l.notifyLocked()
	l.mu.Unlock()
	l.log.Info("originate: channel already exists, adopted", zap.String("state", data.State))
	return true
}

// cancelOriginate makes sure a leg whose originate answer never came does
// not ring for nobody: it is hung up by its id now (retried), and again if
// an event shows the channel later (the leg stays routed until forgotten
// with the other ended dials).
func (s *Server) cancelOriginate(l *leg) {
	l.mu.Lock()
	l.unwanted = true
	l.mu.Unlock()
	go s.hangupUnwanted(l)
}

func (s *Server) hangupUnwanted(l *leg) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CleanupTimeout)
	defer cancel()
	_ = s.mustHappen(ctx, "hang up unanswered originate "+l.id, func() error {
		return s.ari.Channel().Hangup(l.key, ariReason(ivr.HangupNormal))
	})
}

func (s *Server) forget(l *leg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.legs[l.id] == l {
		delete(s.legs, l.id)
	}
	if s.dials[l.id] == l {
		delete(s.dials, l.id)
	}
}

// startDialTimersLocked arms our own limits: no ringing by EarlyTimeout (a
// phone switched off that the network never reports) and, as a backstop to
// Asterisk's timeout=, no answer by RingTimeout.
func (l *leg) startDialTimersLocked(req ivr.DialRequest) {
	if req.EarlyTimeout > 0 {
		l.timers = append(l.timers, time.AfterFunc(req.EarlyTimeout, func() {
			l.giveUp(func() bool { return !l.ringing },
				&ivr.DialError{Result: ivr.DialFailed, Cause: causeUnknown, CauseText: fmt.Sprintf("no ringing within %v", req.EarlyTimeout)},
				ivr.HangupNormal)
		}))
	}
	if req.RingTimeout > 0 {
		l.timers = append(l.timers, time.AfterFunc(req.RingTimeout+ringGrace, func() {
			l.giveUp(func() bool { return !l.answered },
				&ivr.DialError{Result: ivr.DialNoAnswer, Cause: causeNoAnswer, CauseText: fmt.Sprintf("not answered within %v", req.RingTimeout)},
				ivr.HangupNoAnswer)
		}))
	}
}

func (l *leg) giveUp(still func() bool, why *ivr.DialError, reason ivr.HangupReason) {
	l.mu.Lock()
	if l.ended != nil || l.answered || !still() {
		l.mu.Unlock()
		return
	}
	l.preset = why
	l.mu.Unlock()
	l.log.Info("giving up dial", zap.String("why", why.CauseText))
	ctx, cancel := context.WithTimeout(context.Background(), l.srv.opts.CleanupTimeout)
	defer cancel()
	if err := l.Hangup(ctx, reason); err != nil {
		l.log.Warn("hang up abandoned dial", zap.Error(err))
	}
}

// WaitAnswer returns nil once the channel is answered and in our
// application (so it can be bridged), or a *ivr.DialError. See ivr.OutboundLeg.
func (o outboundLeg) WaitAnswer(ctx context.Context, ringing func()) error {
	l := o.leg
	for {
		tell := false
		err := l.await(ctx, nil, func() bool {
			tell = ringing != nil && l.alerted
			return tell || l.answered || l.ended != nil
		})
		if err != nil {
			return err
		}
		if !tell {
			break
		}
		ringing()
		ringing = nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.answered {
		return nil
	}
	return l.dialErrorLocked()
}

// dialErrorLocked says why an unanswered leg ended.
func (l *leg) dialErrorLocked() *ivr.DialError {
	switch {
	case l.preset != nil:
		return l.preset
	case l.hangupBy != nil:
		return &ivr.DialError{Result: ivr.DialCancelled, Cause: l.ended.Cause, CauseText: "hung up by us while ringing"}
	case l.ended.Vanished:
		return &ivr.DialError{Result: ivr.DialFailed, Cause: causeUnknown, CauseText: "channel vanished"}
	}
	return &ivr.DialError{Result: dialResultFor(l.dialStatus, l.ended.Cause), Cause: l.ended.Cause, CauseText: l.ended.CauseText}
}

// checkChannelID refuses ids that cannot be a channel or bridge id in a URL
// path, or that Asterisk would take for a pair of Local channel ids.
func checkChannelID(id string) error {
	if id == "" {
		return fmt.Errorf("empty id")
	}
	if len(id) > 128 || strings.ContainsAny(id, "/?#&%;, \t\r\n\"'") {
		return fmt.Errorf("%q must be at most 128 characters without / ? # & %% ; , quotes or spaces", id)
	}
	return nil
}
