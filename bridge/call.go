package bridge

import (
	"sync"

	"github.com/regul-sante/regul/ivr"
)

// call is one inbound call and the legs dialled by its handler, so that
// none is left ringing when the handler returns.
type call struct {
	in *leg

	mu  sync.Mutex
	out []*leg
}

func (c *call) addLeg(l *leg) {
	c.mu.Lock()
	c.out = append(c.out, l)
	c.mu.Unlock()
}

func (c *call) outboundLegs() []*leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*leg(nil), c.out...)
}

// inboundCall is the GP's leg.
type inboundCall struct{ *leg }

var _ ivr.InboundCall = inboundCall{}

func (c inboundCall) CallerNumber() string { return c.caller }
func (c inboundCall) DialedNumber() string { return c.dialed }
