package asterisktest

import (
	"context"
	"strings"
)

// The line's side, seen by the monitor (subscribeAll on the line's ARI):
// which line channel is which phone, and what each was played.

// InboundChannel waits for the line's channel of a call from number (the
// GP's), from index `from` of the monitor's events.
func InboundChannel(ctx context.Context, ev *Events, from int, number string) (string, error) {
	e, _, err := ev.Wait(ctx, from, "the line's channel for "+number, func(e Event) bool {
		return e.Type == "ChannelCreated" && e.Channel != nil && e.Channel.Caller.Number == number
	})
	return e.ChannelID(), err
}

// OutboundChannel waits for the line's channel dialling number (a
// specialist's mobile): the Dial event naming it.
func OutboundChannel(ctx context.Context, ev *Events, from int, number string) (Event, error) {
	e, _, err := ev.Wait(ctx, from, "the line dialling "+number, func(e Event) bool {
		return e.Type == "Dial" && e.Peer != nil && strings.HasPrefix(e.DialString, number+"@")
	})
	return e, err
}

// Heard lists the media played to a line channel, in order ("sound:" is
// dropped: "regul/bienvenue", "digits:0179000099").
func Heard(ev *Events, channelID string) []string {
	var out []string
	for _, e := range ev.All() {
		if (e.Type == "PlaybackStarted" || e.Type == "PlaybackContinuing") && e.ChannelID() == channelID {
			out = append(out, strings.TrimPrefix(e.Playback.MediaURI, "sound:"))
		}
	}
	return out
}

// WaitHeard waits until a media containing part starts on the channel
// and returns the index after that event.
func WaitHeard(ctx context.Context, ev *Events, from int, channelID, part string) (int, error) {
	_, next, err := ev.Wait(ctx, from, "«"+part+"» played", func(e Event) bool {
		return (e.Type == "PlaybackStarted" || e.Type == "PlaybackContinuing") && e.ChannelID() == channelID &&
			strings.Contains(e.Playback.MediaURI, part)
	})
	return next, err
}
