package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/ivr"
)

// connection is a mixing bridge of ours.
type connection struct {
	srv *Server
	id  string
	key *ari.Key
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
	c := &connection{srv: s, id: id, key: bridgeKey(id)}
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
	s.log.Info("legs connected", zap.String("bridge_id", id), zap.String("channel_a", legs[0].id), zap.String("channel_b", legs[1].id))
	return c, nil
}

// Close destroys the bridge; the legs stay up. A bridge already gone is
// no error.
func (c *connection) Close(ctx context.Context) error {
	err := c.srv.ari.Bridge().Delete(c.key)
	if err != nil && statusOf(err) != 404 {
		return requestError("destroy bridge "+c.id, err)
	}
	c.srv.dropBridge(c.id)
	return nil
}

func (s *Server) dropBridge(id string) {
	s.mu.Lock()
	delete(s.bridges, id)
	s.mu.Unlock()
}

func bridgeKey(id string) *ari.Key { return ari.NewKey(ari.BridgeKey, id) }
