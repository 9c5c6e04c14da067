package bridge

import (
	_ "unsafe" // go:linkname

	_ "github.com/CyCoreSystems/ari/v5/stdbus" // the variable below
)

// eventBufferSize is the buffer of our one subscription to ari/v5's bus.
// ari/v5 gives each subscription 100 slots and drops an event, silently,
// when they are full; a reader goroutine that only moves events into our
// own queue (start.go) does not keep them from filling: ari/v5's WebSocket
// goroutine decodes a burst of queued messages without yielding, and the
// woken reader waits for it. At 100 new calls a second that happened every
// few seconds. 65,536 slots (1 MiB) hold minutes of events at any load the
// line takes; a buffer found full all the same is still counted, warned
// about and followed by a resync (read).
const eventBufferSize = 1 << 16

// stdbusBufferSize is ari/v5's unexported stdbus.subscriptionEventBufferSize
// (v5.3.1), read when a subscription is made. It is set once, in init,
// before any subscription exists; TestBusBuffer checks that it took.
//
//go:linkname stdbusBufferSize github.com/CyCoreSystems/ari/v5/stdbus.subscriptionEventBufferSize
var stdbusBufferSize int

func init() { stdbusBufferSize = eventBufferSize }
