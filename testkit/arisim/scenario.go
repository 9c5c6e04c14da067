package arisim

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is a set of scripted phones: people who call in and endpoints the
// application dials out to. Build it in Go or load it from YAML.
type Scenario struct {
	App string `yaml:"app"` // Stasis app inbound calls enter ("regul")
	// Sounds overrides prompt durations by media URI; DefaultSound is the rest.
	DefaultSound Duration            `yaml:"default_sound"`
	Sounds       map[string]Duration `yaml:"sounds"`
	Inbound      []InboundCall       `yaml:"inbound"`
	Outbound     []Endpoint          `yaml:"outbound"`
	// Unknown is the script of any dial string not listed (default: congestion).
	Unknown []Step `yaml:"unknown"`
}

// InboundCall is a person who dials a DID at a given moment.
type InboundCall struct {
	Name  string   `yaml:"name"`
	From  string   `yaml:"from"` // caller number, e.g. +33140000001
	DID   string   `yaml:"did"`  // dialled number, becomes dialplan exten
	At    Duration `yaml:"at"`   // when, after Play
	Args  []string `yaml:"args"` // Stasis args, default ["inbound", DID]
	Steps []Step   `yaml:"steps"`
}

// Endpoint is a phone reached by a dial string, e.g. PJSIP/+33612345678@trunk.
type Endpoint struct {
	Name  string `yaml:"name"`
	Dial  string `yaml:"dial"`
	Steps []Step `yaml:"steps"`
}

type endpoint struct {
	steps []Step
	rep   *PhoneReport
}

// Common endpoint scripts.
var (
	// AnswersAfter rings d then answers and stays on the line.
	AnswersAfter = func(d time.Duration) []Step { return []Step{Ring(d), Answer(), Silent()} }
	// NoAnswer rings until the originate times out.
	NoAnswer = func() []Step { return []Step{Ring(0)} }
	// IsBusy rings briefly then signals busy (17).
	IsBusy = func() []Step { return []Step{Ring(time.Second), Busy()} }
	// Unreachable fails at once with congestion (34).
	Unreachable = func() []Step { return []Step{Congestion()} }
	// Voicemail answers after d and never presses a key.
	Voicemail = func(d time.Duration) []Step { return []Step{Ring(d), Answer(), Silent()} }
)

// appName is the Stasis app inbound calls enter ("regul" by default).
func (sc *Scenario) appName() string {
	if sc.App == "" {
		return "regul"
	}
	return sc.App
}

// LoadScenario reads a YAML scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	var sc Scenario
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return &sc, nil
}

// Report is what every phone of a scenario experienced.
type Report struct {
	Phones []*PhoneReport
}

// Phone finds a phone's report by name (nil if none).
func (r *Report) Phone(name string) *PhoneReport {
	for _, p := range r.Phones {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Play installs sc: endpoints become dialable and inbound calls are placed at
// their times. It returns the reports, which fill in as calls progress.
func (s *Server) Play(sc *Scenario) *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc.DefaultSound > 0 {
		s.opts.DefaultSoundDuration = time.Duration(sc.DefaultSound)
	}
	for uri, d := range sc.Sounds {
		s.opts.SoundDurations[uri] = time.Duration(d)
	}
	if sc.Unknown != nil {
		s.unknown = sc.Unknown
	}
	rep := &Report{}
	for _, e := range sc.Outbound {
		r := &PhoneReport{Name: e.Name, Number: e.Dial}
		s.endpoints[e.Dial] = &endpoint{steps: e.Steps, rep: r}
		rep.Phones = append(rep.Phones, r)
		s.reports = append(s.reports, r)
	}
	app := sc.appName()
	for _, in := range sc.Inbound {
		in := in
		r := &PhoneReport{Name: in.Name, Number: in.From}
		rep.Phones = append(rep.Phones, r)
		s.reports = append(s.reports, r)
		s.pending++
		s.clock.AfterFunc(time.Duration(in.At), s.locked(func() {
			s.pending--
			s.placeInbound(app, in, r)
		}))
	}
	s.checkIdle()
	return rep
}

// Call places one inbound call now, outside any scenario file.
func (s *Server) Call(app string, in InboundCall) *PhoneReport {
	r := &PhoneReport{Name: in.Name, Number: in.From}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, r)
	s.placeInbound(app, in, r)
	return r
}

func (s *Server) placeInbound(app string, in InboundCall, r *PhoneReport) {
	s.trunkSeq++
	c := &channel{id: s.newChannelID(), name: fmt.Sprintf("PJSIP/trunk-%08x", s.trunkSeq), state: "Ring",
		caller: Party{Number: in.From}, context: "from-trunk", exten: in.DID, priority: 1, vars: map[string]string{}}
	s.addChannel(c)
	ph := &phone{s: s, leg: c, steps: in.Steps, rep: r}
	c.ph = ph
	s.live[ph] = true
	args := in.Args
	if args == nil {
		args = []string{"inbound", in.DID}
	}
	if !s.enterStasis(c, app, args, true) {
		// Stasis() fails at once without a connected app; the dialplan
		// goes on to its fallback and hangs up.
		s.teardown(c, 16, "asterisk")
		return
	}
	ph.run()
}

func (s *Server) endpointFor(dial string) ([]Step, *PhoneReport) {
	if e := s.endpoints[dial]; e != nil {
		return e.steps, e.rep
	}
	if s.unknown != nil {
		return s.unknown, nil
	}
	return Unreachable(), nil
}

func (s *Server) phoneDone(p *phone) {
	delete(s.live, p)
	s.checkIdle()
}

// checkIdle wakes Wait when no scenario phone is live or pending.
func (s *Server) checkIdle() {
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	busy := s.pending > 0 || len(s.live) > 0
	select {
	case <-s.idle:
		if busy {
			s.idle = make(chan struct{})
		}
	default:
		if !busy {
			close(s.idle)
		}
	}
}

// Wait blocks until every scheduled call has been placed and every phone's
// call has ended, or ctx ends.
func (s *Server) Wait(ctx context.Context) error {
	s.mu.Lock()
	s.checkIdle()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
