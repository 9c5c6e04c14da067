// Package bridge is the only package of regul that talks to Asterisk. It
// implements the call script's ports (ivr.Leg, ivr.InboundCall,
// ivr.OutboundLeg, ivr.Switch) over ARI with the native client of
// github.com/CyCoreSystems/ari/v5 v5.3.1, for REST requests and events.
//
// # Events
//
// ari/v5 keeps the events WebSocket and decodes each message into a typed
// event on its bus. The server takes one subscription to every event of
// that bus, and one reader goroutine hands each to dispatch, which applies
// it at once to the state of the leg it concerns (found by channel,
// playback or bridge id); applying never blocks, so every leg sees its
// events in wire order and the bus never holds more than a few. A leg's
// state is its digit buffer (alive for the whole leg), its playbacks, its
// ringing/answered/ended flags and a context cancelled with an
// *ivr.HangupError when the channel goes away.
//
// Routes are registered before the request that makes Asterisk emit events
// (client-made channel, playback and bridge ids), because events often
// arrive before the REST response.
//
// # Link state, reconnects and resync
//
// ari/v5 redials its WebSocket by itself (10ms after a read failure, then
// every second) and says nothing. Its dials go through our net.Dialer,
// whose Control hook runs at each attempt: a (re)dial means the connection
// is gone, so the link is down. A watcher then polls GET
// /applications/{app} (404 while no WebSocket of the application is
// connected) until Asterisk lists it: the link is up. Asterisk replays
// nothing, so the server then lists channels and bridges, ends every leg
// whose channel vanished (HangupError.Vanished), re-reads legs still
// ringing and destroys its own bridges left empty.
//
// Open starts ari/v5's Connect, which retries forever, and waits for it,
// for the application to be listed, for ctx or for ConnectTimeout. A wrong
// password shows at once as a 401 on the same REST check. The subscription
// is taken as soon as Connect returns: a call entering the application
// before that had its StasisStart sent to a bus without subscribers. So,
// once open, the server hangs up every channel of its application it does
// not know (missed that way, or left by a previous run of the controller).
//
// # Traps of ari/v5 v5.3.1 stepped around
//
//   - RequestTimeout is never used and the http.Client is unexported: one
//     whose transport gives each request a deadline is set through
//     reflection (rest.go, deadline.go).
//   - Connect retries forever: it runs on its own goroutine and Open waits
//     with a deadline. After a failed Open, ari/v5's loop cannot be stopped
//     without a race, so the dial hook parks it for good (parkDials).
//   - Connected() and Close() touch a flag the listen goroutine writes
//     without synchronisation: neither is used; the loop is stopped through
//     its cancel function, read once Connect returned (clientCancel).
//   - native.Connect writes the node id while the loop reads it: New and
//     Client.Connect are used instead.
//   - New reads ARI_* environment variables for options left empty: every
//     option is set.
//   - The bus drops events past 100 waiting per subscriber, silently: one
//     subscription, given 65,536 slots (busbuffer.go), and a reader that
//     never blocks; a full buffer all the same is counted
//     (Stats.EventsBacklogFull), warned about once per episode, and every
//     call is then resynced from Asterisk's state (Stats.ResyncsAfterBacklog).
//   - An event type ari/v5 does not know becomes a nil event that its bus
//     dereferences: a panic no recover can catch. Asterisk is asked to send
//     the routed types only (filter.go), and dispatch ignores nil events
//     (counted as malformed) should one ever get through.
//   - The WebSocket has no ping: TCP keepalive on the dialer notices an
//     Asterisk that vanished without closing the connection. (A handshake
//     Asterisk accepts but never answers still holds ari/v5's loop; the
//     link then stays reported down.)
//   - ari.Once ignores its context and ext/play loses digits between
//     prompts: neither is used.
package bridge
