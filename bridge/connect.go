package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// leaveWait bounds Close's wait for each leg's ChannelLeftBridge.
const leaveWait = 2 * time.Second

// connection is a mixing bridge of ours.
type connection struct {
	srv  *Server
	id   string
	key  *ari.Key
	legs []*leg
}

var _ ivr.Connection = (*connection)(nil)

type hasLeg interface{ base() *leg }

// Connect mixes a and b in a new bridge named id. When a leg cannot join
// (gone, or no longer in our application) the bridge is destroyed and that
// leg's *ivr.HangupError is returned. See ivr.Switch.
func (s *Server) Connect(ctx context.Context, id string, a, b ivr.Leg) (ivr.Connection, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err := checkChannelID(id); err != nil {
		return nil, fmt.Errorf("connect: bridge id: %w", err)
	}
	la, oka := a.(hasLeg)
	lb, okb := b.(hasLeg)
	if !oka || !okb {
		return nil, errors.New("connect: legs must come from this bridge.Server")
	}
	legs := []*leg{la.base(), lb.base()}
	for _, l := range legs {
		if e := l.endedErr(); e != nil {
			return nil, e
		}
		// Music on hold of a channel would go on inside the bridge.
		if err := l.stopHoldIfHolding(ctx); err != nil {
			return nil, err
		}
	}
	c := &connection{srv: s, id: id, key: bridgeKey(id), legs: legs}
	s.mu.Lock()
	s.bridges[id] = c
	s.mu.Unlock()

	h, err := s.ari.Bridge().StageCreate(c.key, "mixing", id)
	if err == nil {
		err = h.Exec()
	}
	if err != nil {
		// Asterisk answers a duplicate id with 500 "Possible duplicate
		// bridge id": a retry after a lost answer finds its bridge there.
		if _, derr := s.ari.Bridge().Data(c.key); derr != nil {
			s.dropBridge(id)
			return nil, requestError("create bridge "+id, err)
		}
	}
	for _, l := range legs {
		// Set before the request: ChannelEnteredBridge may come first, and
		// Close must wait for the leave even when it never came.
		l.mu.Lock()
		l.bridge = id
		l.mu.Unlock()
		if err := s.ari.Bridge().AddChannel(c.key, l.id); err != nil {
			var out error
			switch statusOf(err) {
			case 400, 404, 422: // channel not found / not in Stasis
				out = l.gone(ctx)
			default:
				out = requestError(fmt.Sprintf("add channel %s to bridge %s", l.id, id), err)
			}
			cctx, cancel := context.WithTimeout(context.Background(), s.opts.CleanupTimeout)
			if cerr := c.Close(cctx); cerr != nil {
				s.log.Warn("destroy bridge after a failed connect", zap.String("bridge_id", id), zap.Error(cerr))
			}
			cancel()
			return nil, out
		}
	}
	s.log.Debug("legs connected", zap.String("bridge_id", id), zap.String("channel_a", legs[0].id), zap.String("channel_b", legs[1].id))
	return c, nil
}

// Close destroys the bridge; the legs stay up. It returns once every leg
// still up has left the bridge (ChannelLeftBridge), or after leaveWait: a
// real Asterisk loses a play sent to a channel still in a dying bridge
// (no PlaybackStarted, the playback id answers 404). A bridge already gone
// is no error.
func (c *connection) Close(ctx context.Context) error {
	err := c.srv.mustHappen(ctx, "destroy bridge "+c.id, func() error { return c.srv.ari.Bridge().Delete(c.key) })
	if err != nil {
		return requestError("destroy bridge "+c.id, err)
	}
	c.srv.dropBridge(c.id)
	deadline := time.Now().Add(leaveWait)
	for _, l := range c.legs {
		t := time.NewTimer(time.Until(deadline))
		err := l.await(ctx, t.C, func() bool { return l.bridge != c.id || l.ended != nil })
		t.Stop()
		switch {
		case errors.Is(err, errWaitTimeout):
			l.log.Warn("no ChannelLeftBridge after the bridge was destroyed", zap.String("bridge_id", c.id), zap.Duration("waited", leaveWait))
			l.mu.Lock()
			l.bridge = ""
			l.mu.Unlock()
		case err != nil:
			return err
		}
	}
	return nil
}

func (s *Server) dropBridge(id string) {
	s.mu.Lock()
	delete(s.bridges, id)
	s.mu.Unlock()
}

func bridgeKey(id string) *ari.Key { return ari.NewKey(ari.BridgeKey, id) }
