// Package bridge is the only package of regul that talks to Asterisk. It
// implements the call script's ports (ivr.Leg, ivr.InboundCall,
// ivr.OutboundLeg, ivr.Switch) over ARI with github.com/CyCoreSystems/ari/v5
// for the REST requests and its own events WebSocket.
//
// Why its own WebSocket: the native client of ari/v5 v5.3.1 retries its
// connection forever without a context, reports no link state, never says
// when it reconnected (so nothing could resync), hands events to a bus that
// drops them past 100 per subscriber, and sends nil events after a decode
// error. Here one reader goroutine decodes every event and applies it at once
// to the state of the leg it concerns (found by channel, playback or bridge
// id); applying never blocks, so nothing is dropped and every leg sees its
// events in wire order. A leg's state is its digit buffer (alive for the
// whole leg), its playbacks, its ringing/answered/ended flags and a context
// cancelled with an *ivr.HangupError when the channel goes away.
//
// Routes are registered before the request that makes Asterisk emit events
// (client-made channel, playback and bridge ids), because events often
// arrive before the REST response.
//
// After a reconnect Asterisk replays nothing: the server lists channels and
// bridges, ends every leg whose channel vanished (HangupError.Vanished) and
// destroys its own bridges left empty.
package bridge
