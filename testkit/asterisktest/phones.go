package asterisktest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Operator is the operator's ARI application "phones": GPs are originated
// from it into the line, and the line's calls to specialists arrive in it.
type Operator struct {
	ARI    *ARI
	Events *Events
	// Dir is the operator instance's folder (recordings are under
	// spool/recording).
	Dir string
}

// Phone is one channel on the operator: a GP's phone or a specialist's.
type Phone struct {
	op     *Operator
	ID     string
	Number string
}

// Dial places a GP's call from number `from` to the regulation number did,
// through the trunk; the phone enters "phones" when the line answers.
func (o *Operator) Dial(ctx context.Context, did, from string) (*Phone, error) {
	var ch Channel
	q := url.Values{"endpoint": {"PJSIP/" + did + "@line"}, "app": {PhonesUser}, "appArgs": {"gp"},
		"callerId": {from}, "timeout": {"30"}}
	if err := o.ARI.Do(ctx, "POST", "/channels", q, &ch); err != nil {
		return nil, fmt.Errorf("GP %s dials %s: %w", from, did, err)
	}
	return &Phone{op: o, ID: ch.ID, Number: from}, nil
}

// Incoming waits for the line's call to number (a specialist's mobile),
// looking at the operator's events from index `from` on.
func (o *Operator) Incoming(ctx context.Context, from int, number string) (*Phone, error) {
	e, _, err := o.Events.Wait(ctx, from, "a call to "+number, func(e Event) bool {
		return e.Type == "StasisStart" && len(e.Args) == 2 && e.Args[0] == "specialist" && e.Args[1] == number
	})
	if err != nil {
		return nil, err
	}
	return &Phone{op: o, ID: e.Channel.ID, Number: number}, nil
}

// WaitAnswered waits until the line answered the GP's call.
func (p *Phone) WaitAnswered(ctx context.Context) error {
	_, _, err := p.op.Events.Wait(ctx, 0, p.Number+" answered", func(e Event) bool {
		return e.ChannelID() == p.ID && (e.Type == "StasisStart" || e.Type == "ChannelDestroyed")
	})
	if err != nil {
		return err
	}
	if p.Ended() {
		return fmt.Errorf("%s: the call ended before it was answered (cause %d)", p.Number, p.endCause())
	}
	return nil
}

// WaitEnded waits until the phone's call is over and returns the cause
// Asterisk gave (16: normal clearing).
func (p *Phone) WaitEnded(ctx context.Context) (int, error) {
	e, _, err := p.op.Events.Wait(ctx, 0, p.Number+" hung up", func(e Event) bool {
		return e.ChannelID() == p.ID && (e.Type == "ChannelDestroyed" || e.Type == "StasisEnd" || e.Type == "ChannelHangupRequest")
	})
	if err != nil {
		return 0, err
	}
	return e.Cause, nil
}

// Ended says whether the call is over.
func (p *Phone) Ended() bool {
	for _, e := range p.op.Events.All() {
		if e.ChannelID() == p.ID && (e.Type == "ChannelDestroyed" || e.Type == "StasisEnd") {
			return true
		}
	}
	return false
}

func (p *Phone) endCause() int {
	for _, e := range p.op.Events.All() {
		if e.ChannelID() == p.ID && e.Type == "ChannelDestroyed" {
			return e.Cause
		}
	}
	return 0
}

// Press types keys as RFC 4733 events, 100 ms each, 250 ms apart.
func (p *Phone) Press(ctx context.Context, digits string) error {
	q := url.Values{"dtmf": {digits}, "duration": {"100"}, "between": {"250"}}
	if err := p.op.ARI.Do(ctx, "POST", "/channels/"+p.ID+"/dtmf", q, nil); err != nil {
		return fmt.Errorf("%s presses %q: %w", p.Number, strings.Repeat("x", len(digits)), err)
	}
	return nil
}

// Ring sends 180 Ringing; Answer answers.
func (p *Phone) Ring(ctx context.Context) error {
	return p.op.ARI.Do(ctx, "POST", "/channels/"+p.ID+"/ring", nil, nil)
}

// Answer takes the call.
func (p *Phone) Answer(ctx context.Context) error {
	return p.op.ARI.Do(ctx, "POST", "/channels/"+p.ID+"/answer", nil, nil)
}

// Busy refuses the call with 486 Busy Here.
func (p *Phone) Busy(ctx context.Context) error {
	return p.op.ARI.Do(ctx, "DELETE", "/channels/"+p.ID, url.Values{"reason": {"busy"}}, nil)
}

// Hangup ends the call from this phone.
func (p *Phone) Hangup(ctx context.Context) error {
	err := p.op.ARI.Do(ctx, "DELETE", "/channels/"+p.ID, nil, nil)
	if IsStatus(err, 404) {
		return nil
	}
	return err
}

// Record records what the phone hears (the audio the line sends it) into
// the operator's spool, as WAV, through a snoop channel: a recording on the
// phone's own channel would hold up its Stasis commands (the keys it types)
// until it ends. WaitRecorded reads it back.
func (p *Phone) Record(ctx context.Context, name string) error {
	snoop := p.ID + "-snoop-" + name
	q := url.Values{"spy": {"in"}, "app": {PhonesUser}, "appArgs": {"snoop"}, "snoopId": {snoop}}
	from := p.op.Events.Len()
	if err := p.op.ARI.Do(ctx, "POST", "/channels/"+p.ID+"/snoop", q, nil); err != nil {
		return fmt.Errorf("snoop on %s: %w", p.Number, err)
	}
	if _, _, err := p.op.Events.Wait(ctx, from, "snoop channel", Of("StasisStart", snoop)); err != nil {
		return err
	}
	q = url.Values{"name": {name}, "format": {"wav"}, "ifExists": {"overwrite"}, "maxDurationSeconds": {"600"}}
	return p.op.ARI.Do(ctx, "POST", "/channels/"+snoop+"/record", q, nil)
}

// Recording returns a finished recording's WAV bytes.
func (o *Operator) Recording(name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(o.Dir, "spool", "recording", name+".wav"))
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", name, err)
	}
	return b, nil
}

// WaitRecorded waits until the named recording is finished (the channel
// hung up or the recording was stopped) and returns its WAV bytes and the
// Asterisk time it started.
func (o *Operator) WaitRecorded(ctx context.Context, name string) ([]byte, time.Time, error) {
	started, _, err := o.Events.Wait(ctx, 0, "recording "+name+" started", func(e Event) bool {
		return e.Type == "RecordingStarted" && strings.Contains(string(e.Raw), `"name":"`+name+`"`)
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if _, _, err := o.Events.Wait(ctx, 0, "recording "+name+" finished", func(e Event) bool {
		return (e.Type == "RecordingFinished" || e.Type == "RecordingFailed") && strings.Contains(string(e.Raw), `"name":"`+name+`"`)
	}); err != nil {
		return nil, time.Time{}, err
	}
	b, err := o.Recording(name)
	return b, started.Time(), err
}
