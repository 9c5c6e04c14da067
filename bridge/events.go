package bridge

import (
	"strings"

	"github.com/CyCoreSystems/ari/v5"
)

// event is the part of an ARI event the bridge acts on, copied out of
// ari/v5's typed events: the leg state machine reads plain fields and
// never meets ari/v5's optional pointers (caller, dialplan) as nil.
type event struct {
	Type       string
	Args       []string // StasisStart
	Channel    *channel // nil when the event names no channel
	Peer       *channel // Dial: the channel being dialled
	Digit      string
	Cause      int
	CauseText  string // ChannelDestroyed only: ChannelHangupRequest carries none
	Soft       bool
	DialStatus string
	Playback   *playback
	Bridge     string // ChannelEnteredBridge, ChannelLeftBridge: the bridge's id
}

// channel is an ARI Channel object as events carry it.
type channel struct {
	ID, State, CallerNumber, Exten string
}

type playback struct {
	ID, State, TargetURI string
}

// fromARI converts one event delivered by ari/v5's bus. It is a type switch
// rather than a JSON round trip: the reader must stay far ahead of
// Asterisk (see BenchmarkDispatch). Types the leg state machine does not
// act on keep only their channel, so they still confirm that the channel
// exists and are counted as routed.
func fromARI(e ari.Event) *event {
	switch v := e.(type) {
	case *ari.StasisStart:
		return &event{Type: v.Type, Args: v.Args, Channel: channelOf(&v.Channel)}
	case *ari.StasisEnd:
		return &event{Type: v.Type, Channel: channelOf(&v.Channel)}
	case *ari.ChannelStateChange:
		return &event{Type: v.Type, Channel: channelOf(&v.Channel)}
	case *ari.ChannelDtmfReceived:
		return &event{Type: v.Type, Channel: channelOf(&v.Channel), Digit: v.Digit}
	case *ari.ChannelHangupRequest:
		return &event{Type: v.Type, Channel: channelOf(&v.Channel), Cause: v.Cause, Soft: v.Soft}
	case *ari.ChannelDestroyed:
		return &event{Type: v.Type, Channel: channelOf(&v.Channel), Cause: v.Cause, CauseText: v.CauseTxt}
	case *ari.Dial:
		return &event{Type: v.Type, Peer: channelOf(&v.Peer), DialStatus: v.Dialstatus}
	case *ari.PlaybackStarted:
		return &event{Type: v.Type, Playback: playbackOf(&v.Playback)}
	case *ari.PlaybackFinished:
		return &event{Type: v.Type, Playback: playbackOf(&v.Playback)}
	case *ari.ChannelEnteredBridge:
		return &event{Type: v.Type, Channel: channelOf(&v.Channel), Bridge: v.Bridge.ID}
	case *ari.ChannelLeftBridge:
		return &event{Type: v.Type, Channel: channelOf(&v.Channel), Bridge: v.Bridge.ID}
	}
	out := &event{Type: e.GetType()}
	for _, k := range e.Keys() {
		if k != nil && k.Kind == ari.ChannelKey && k.ID != "" {
			out.Channel = &channel{ID: k.ID}
			break
		}
	}
	return out
}

func channelOf(c *ari.ChannelData) *channel {
	if c.ID == "" {
		return nil
	}
	out := &channel{ID: c.ID, State: c.State}
	if c.Caller != nil {
		out.CallerNumber = c.Caller.Number
	}
	if c.Dialplan != nil {
		out.Exten = c.Dialplan.Exten
	}
	return out
}

func playbackOf(p *ari.PlaybackData) *playback {
	if p.ID == "" && p.TargetURI == "" {
		return nil
	}
	return &playback{ID: p.ID, State: p.State, TargetURI: p.TargetURI}
}

// channelID is the channel an event is about, "" when none.
func (e *event) channelID() string {
	switch {
	case e.Type == "Dial" && e.Peer != nil:
		return e.Peer.ID
	case e.Channel != nil:
		return e.Channel.ID
	case e.Playback != nil:
		// target_uri is "channel:<id>" for a channel's playback.
		if id, ok := strings.CutPrefix(e.Playback.TargetURI, "channel:"); ok {
			return id
		}
	}
	return ""
}
