package arisim

import (
	"fmt"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written "2s", "1m30s" in YAML.
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// EntryKind is what happened to a phone.
type EntryKind string

const (
	EntrySound    EntryKind = "sound"     // a prompt started playing to the phone (channel or its bridge)
	EntrySoundEnd EntryKind = "sound_end" // that prompt finished, failed or was stopped
	EntryMOHStart EntryKind = "moh_start" // hold music started
	EntryMOHStop  EntryKind = "moh_stop"
	EntryPressed  EntryKind = "pressed" // the phone pressed a digit
	EntryDTMF     EntryKind = "dtmf"    // the app sent a digit to the phone
	EntryRinging  EntryKind = "ringing"
	EntryAnswered EntryKind = "answered" // the call was answered (by the app for inbound, by the phone for outbound)
	EntryBridged  EntryKind = "bridged"  // the phone's channel entered a bridge
	EntryMark     EntryKind = "mark"     // the phone's script reached a Mark step
)

// Entry is one thing a phone experienced, on the emulator's clock.
type Entry struct {
	At    time.Time
	Kind  EntryKind
	Value string
}

// End says how a phone's call ended. By is "phone" (it hung up or refused),
// "app" (the controller hung up), "timeout" (originate timeout),
// "asterisk" (Stasis failed: the app was not connected) or "restart".
type End struct {
	At    time.Time
	By    string
	Cause int
	Text  string
}

// PhoneReport is what one person on one phone experienced.
type PhoneReport struct {
	mu      sync.Mutex
	Name    string
	Number  string // caller number (inbound) or dial string (outbound)
	Entries []Entry
	Ended   *End
	// Calls counts how many times the phone was dialled (outbound).
	Calls int
}

func (r *PhoneReport) add(at time.Time, k EntryKind, v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Entries = append(r.Entries, Entry{At: at, Kind: k, Value: v})
}

func (r *PhoneReport) end(at time.Time, by string, cause int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Ended = &End{At: at, By: by, Cause: cause, Text: causeText(cause)}
}

// Heard lists the sound URIs played to the phone, in order.
func (r *PhoneReport) Heard() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.Entries {
		if e.Kind == EntrySound {
			out = append(out, e.Value)
		}
	}
	return out
}

// Pressed is every digit the phone pressed, in order.
func (r *PhoneReport) Pressed() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ""
	for _, e := range r.Entries {
		if e.Kind == EntryPressed {
			s += e.Value
		}
	}
	return s
}

// Snapshot copies the report (safe while the call goes on).
func (r *PhoneReport) Snapshot() *PhoneReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &PhoneReport{Name: r.Name, Number: r.Number, Entries: append([]Entry(nil), r.Entries...), Calls: r.Calls}
	if r.Ended != nil {
		e := *r.Ended
		c.Ended = &e
	}
	return c
}

// LongestSilence is the longest span between from and to during which the
// phone heard nothing: no prompt or tone playing to it (EntrySound to
// EntrySoundEnd) and no music on hold (EntryMOHStart to EntryMOHStop).
// Bridged conversation is not counted as sound: pick to before it.
func (r *PhoneReport) LongestSilence(from, to time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	playing, moh := 0, false
	quietSince := from
	longest := time.Duration(0)
	quiet := func() bool { return playing == 0 && !moh }
	for _, e := range r.Entries {
		if e.At.After(to) {
			break
		}
		wasQuiet := quiet()
		switch e.Kind {
		case EntrySound:
			playing++
		case EntrySoundEnd:
			playing = max(playing-1, 0)
		case EntryMOHStart:
			moh = true
		case EntryMOHStop:
			moh = false
		default:
			continue
		}
		switch {
		case wasQuiet && !quiet():
			if start := maxTime(quietSince, from); e.At.After(start) {
				longest = max(longest, e.At.Sub(start))
			}
		case !wasQuiet && quiet():
			quietSince = e.At
		}
	}
	if quiet() {
		if start := maxTime(quietSince, from); to.After(start) {
			longest = max(longest, to.Sub(start))
		}
	}
	return longest
}

// First is when the phone first experienced kind with value ("" matches
// any value), and false when it never did.
func (r *PhoneReport) First(kind EntryKind, value string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.Entries {
		if e.Kind == kind && (value == "" || e.Value == value) {
			return e.At, true
		}
	}
	return time.Time{}, false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
