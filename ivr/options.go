package ivr

import (
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// Options tune the script. A zero field takes its default (see DefaultOptions);
// a negative one is an error.
type Options struct {
	FirstDigitTimeout time.Duration // wait for the first key of an entry (10 s)
	InterDigitTimeout time.Duration // wait between keys; ends the entry when digits were typed (5 s)
	MaxTries          int           // tries for the RPPS, the PIN, the menu and the outcome (3)
	AcceptTimeout     time.Duration // the specialist's key after the whisper; none means voicemail (10 s)
	EarlyTimeout      time.Duration // DialRequest.EarlyTimeout: no ringing at all by then (8 s)
	HoldMessageEvery  time.Duration // "merci de patienter" while the hunt runs (30 s)
	MaxConversation   time.Duration // a bridged conversation is ended after this (2 h)
	LookupTimeout     time.Duration // each Roster call (5 s)
	CleanupTimeout    time.Duration // hang-ups and the last record at the end (5 s)
	// Used when a territory leaves its own timeouts at zero.
	DefaultRingTimeout time.Duration // 25 s
	DefaultHuntTimeout time.Duration // 120 s
	// LeftOpenAfter: a call not put through whose record got no event for
	// this long, and that no controller drives, is closed 'interrupted'
	// (10 min: longer than any hunt and identification; a bridged call
	// gets MaxConversation more).
	LeftOpenAfter time.Duration
}

// DefaultOptions are the keypad conventions and timeouts of the design.
func DefaultOptions() Options {
	return Options{
		FirstDigitTimeout:  10 * time.Second,
		InterDigitTimeout:  5 * time.Second,
		MaxTries:           3,
		AcceptTimeout:      10 * time.Second,
		EarlyTimeout:       8 * time.Second,
		HoldMessageEvery:   30 * time.Second,
		MaxConversation:    2 * time.Hour,
		LookupTimeout:      5 * time.Second,
		CleanupTimeout:     5 * time.Second,
		DefaultRingTimeout: 25 * time.Second,
		DefaultHuntTimeout: 120 * time.Second,
		LeftOpenAfter:      10 * time.Minute,
	}
}

func (o Options) withDefaults() (Options, error) {
	d := DefaultOptions()
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"FirstDigitTimeout", &o.FirstDigitTimeout, d.FirstDigitTimeout},
		{"InterDigitTimeout", &o.InterDigitTimeout, d.InterDigitTimeout},
		{"AcceptTimeout", &o.AcceptTimeout, d.AcceptTimeout},
		{"EarlyTimeout", &o.EarlyTimeout, d.EarlyTimeout},
		{"HoldMessageEvery", &o.HoldMessageEvery, d.HoldMessageEvery},
		{"MaxConversation", &o.MaxConversation, d.MaxConversation},
		{"LookupTimeout", &o.LookupTimeout, d.LookupTimeout},
		{"CleanupTimeout", &o.CleanupTimeout, d.CleanupTimeout},
		{"DefaultRingTimeout", &o.DefaultRingTimeout, d.DefaultRingTimeout},
		{"DefaultHuntTimeout", &o.DefaultHuntTimeout, d.DefaultHuntTimeout},
		{"LeftOpenAfter", &o.LeftOpenAfter, d.LeftOpenAfter},
	}
	for _, f := range durations {
		switch {
		case *f.v < 0:
			return o, fmt.Errorf("ivr option %s: %s is negative", f.name, *f.v)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	switch {
	case o.MaxTries < 0:
		return o, fmt.Errorf("ivr option MaxTries: %d is negative", o.MaxTries)
	case o.MaxTries == 0:
		o.MaxTries = d.MaxTries
	case o.MaxTries > 9:
		return o, fmt.Errorf("ivr option MaxTries: %d is more than a caller will bear (at most 9)", o.MaxTries)
	}
	if o.FirstDigitTimeout < time.Second || o.InterDigitTimeout < time.Second {
		return o, fmt.Errorf("ivr options FirstDigitTimeout %s / InterDigitTimeout %s: under a second nobody can type",
			o.FirstDigitTimeout, o.InterDigitTimeout)
	}
	return o, nil
}

// Deps are the script's collaborators. Roster, Switch, Recorder and
// Prompts are required; Clock, Logger and Metrics default to the wall
// clock, a no-op logger and NopMetrics.
type Deps struct {
	Roster   Roster
	Switch   Switch
	Recorder Recorder
	Clock    clock.Clock
	Logger   *zap.Logger
	Prompts  *Prompts
	Metrics  Metrics
	// Callbacks, when set, lets a specialist type a callback code at the
	// RPPS prompt (see callback.go); nil: codes are bad RPPS like any.
	Callbacks Callbacks
	// Random is where call references are drawn from; nil is crypto/rand.
	// Tests inject a fixed source to make two calls draw the same one.
	Random io.Reader
}

// Script runs calls. It is safe for concurrent use: Serve once per call.
type Script struct {
	opt     Options
	roster  Roster
	sw      Switch
	rec     Recorder
	clock   clock.Clock
	log     *zap.Logger
	prompts *Prompts
	metrics Metrics
	random  io.Reader
	running inProgress
	cbs     Callbacks
}

// New checks the options and dependencies and returns a script.
func New(opt Options, deps Deps) (*Script, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	var missing []error
	if deps.Roster == nil {
		missing = append(missing, errors.New("ivr: Deps.Roster is nil"))
	}
	if deps.Switch == nil {
		missing = append(missing, errors.New("ivr: Deps.Switch is nil"))
	}
	if deps.Recorder == nil {
		missing = append(missing, errors.New("ivr: Deps.Recorder is nil"))
	}
	if deps.Prompts == nil {
		missing = append(missing, errors.New("ivr: Deps.Prompts is nil (load asterisk-config/prompts.yaml)"))
	} else if err := deps.Prompts.checkRequired(); err != nil {
		missing = append(missing, err)
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	s := &Script{
		opt: opt, roster: deps.Roster, sw: deps.Switch, rec: deps.Recorder,
		clock: deps.Clock, log: deps.Logger, prompts: deps.Prompts, metrics: deps.Metrics,
		random: deps.Random, cbs: deps.Callbacks,
	}
	if s.clock == nil {
		s.clock = clock.System()
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.metrics == nil {
		s.metrics = NopMetrics{}
	}
	return s, nil
}
