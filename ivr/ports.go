// Package ivr is the call's script, from answer to outcome: prompts, digit
// collection, identification, the specialty menu, the hunt through the
// on-duty chain, the whisper and accept, and the outcome keyed by the
// specialist. It is written against the small interfaces below and knows no
// ARI type, no SQL and no HTTP: package bridge implements Leg and Switch over
// ARI, roster and calllog provide the data.
package ivr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Leg is one party's channel (the GP's or a specialist's) as the script sees it.
//
// Every blocking method returns context.Cause(ctx) when ctx ends, and a
// *HangupError (errors.Is(err, ErrHangup)) when this leg has hung up or
// vanished. Digits are buffered for the whole life of the leg: a digit typed
// during a prompt or between two prompts is never lost.
type Leg interface {
	// ID names the leg in logs and records (the channel id).
	ID() string
	// Context is cancelled, with a *HangupError as its cause, when the leg
	// hangs up or vanishes.
	Context() context.Context
	Answer(ctx context.Context) error
	// Play plays media in order ("sound:regul/bienvenue", "digits:42",
	// "number:24") and returns when the last one has finished. With
	// interruptible set it returns as soon as a digit is in the buffer,
	// leaving the digit there for ReadDigit (barge-in).
	Play(ctx context.Context, interruptible bool, media ...string) error
	// ReadDigit takes the next digit ('0'-'9', '*', '#') from the buffer,
	// waiting at most timeout; ErrDigitTimeout when none came.
	ReadDigit(ctx context.Context, timeout time.Duration) (byte, error)
	// FlushDigits drops buffered digits (before a question whose answer
	// must not be typed ahead, e.g. the specialist's accept key).
	FlushDigits()
	// StartHold plays music on hold until StopHold or Play.
	StartHold(ctx context.Context) error
	StopHold(ctx context.Context) error
	// Hangup ends the leg; no error when it is already gone.
	Hangup(ctx context.Context, reason HangupReason) error
	// Remember writes name=value on the channel, where a controller that
	// adopts the call after a restart reads it back (Adoption.Memory). It
	// returns at once: the write is made in the background, in order.
	Remember(name, value string)
}

// InboundCall is the GP's leg, as it arrived from the dialplan.
type InboundCall interface {
	Leg
	// CallerNumber is the presented number (E.164 when the network gives it).
	CallerNumber() string
	// DialedNumber is the regulation number (DID) that was dialled.
	DialedNumber() string
}

// OutboundLeg is a specialist's leg being dialled.
type OutboundLeg interface {
	Leg
	// WaitAnswer returns nil once the far end answers, or a *DialError
	// (busy, no answer, failed) when the attempt ends without an answer.
	// ringing, when not nil, is called once, on the caller's goroutine,
	// when the network first reports the phone ringing (or in progress).
	WaitAnswer(ctx context.Context, ringing func()) error
}

// Switch places outbound legs and mixes legs together.
type Switch interface {
	// Dial originates a leg. Dialling again with the same Key never rings a
	// phone twice: it returns the leg of the first request.
	Dial(ctx context.Context, req DialRequest) (OutboundLeg, error)
	// Connect mixes the two legs in a new bridge named id.
	Connect(ctx context.Context, id string, a, b Leg) (Connection, error)
}

// Connection is two legs mixed together.
type Connection interface {
	// Close destroys the bridge; the legs stay up.
	Close(ctx context.Context) error
}

// DialRequest describes one attempt to reach a phone.
type DialRequest struct {
	Key          string        // "<call id>-<attempt>": idempotency key and channel id
	Phone        string        // E.164, remembered on the leg from its creation (MemoryPhone)
	CallerID     string        // presented number: the regulation number
	RingTimeout  time.Duration // give up when not answered by then
	EarlyTimeout time.Duration // give up when no ringing at all is seen by then
	// For is the leg of the call this dial is made for (the GP's): the
	// switch ends the dialled leg with that call, whatever the script does.
	For Leg
}

// HangupReason is why we end a leg.
type HangupReason string

const (
	HangupNormal    HangupReason = "normal"
	HangupBusy      HangupReason = "busy"
	HangupNoAnswer  HangupReason = "no_answer"
	HangupCongested HangupReason = "congestion"
)

// ErrHangup is matched by every *HangupError.
var ErrHangup = errors.New("leg hung up")

// ErrNotPlayed says Asterisk accepted a play but never started it, even
// when asked again: the listener heard nothing of it.
var ErrNotPlayed = errors.New("media never started playing")

// ErrDigitTimeout says no digit came in time.
var ErrDigitTimeout = errors.New("no digit before the timeout")

// HangupError says a leg is gone, and why.
type HangupError struct {
	LegID     string
	Cause     int // Q.850 cause as Asterisk reports it (16 normal, 17 busy, 19 no answer…)
	CauseText string
	Vanished  bool // the channel disappeared (e.g. found missing after an ARI reconnect)
	ByUs      bool // we hung it up (a hard shutdown, a failure), not the party
	Restarted bool // lost with an Asterisk restart, not hung up by the party
}

func (e *HangupError) Error() string {
	if e.Vanished {
		return fmt.Sprintf("leg %s vanished", e.LegID)
	}
	return fmt.Sprintf("leg %s hung up (cause %d %s)", e.LegID, e.Cause, e.CauseText)
}

func (e *HangupError) Is(target error) bool { return target == ErrHangup }

// DialResult is how an unanswered attempt ended.
type DialResult string

const (
	DialBusy      DialResult = "busy"
	DialNoAnswer  DialResult = "no_answer"
	DialFailed    DialResult = "failed" // unreachable, congestion, refused by the network
	DialCancelled DialResult = "cancelled"
)

// DialError says why an attempt ended without an answer.
type DialError struct {
	Result    DialResult
	Cause     int
	CauseText string
}

func (e *DialError) Error() string {
	return fmt.Sprintf("dial %s (cause %d %s)", e.Result, e.Cause, e.CauseText)
}
