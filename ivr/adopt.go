package ivr

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// What the script remembers on the channels (Leg.Remember) so that a
// controller started after a crash, a deploy or a failover can take the
// call up where it was.
const (
	memCall      = "call"      // GP leg: the call id
	memGP        = "gp"        // GP leg: the identified GP's RPPS
	memSpecialty = "specialty" // GP leg: the chosen specialty's id
	memTried     = "tried"     // GP leg: attempts made and the phones dialled
	memAdopted   = "adopted"   // GP leg: how many times the call was adopted
	memAccepted  = "accepted"  // specialist leg: the RPPS of the specialist who accepted
	memPhone     = MemoryPhone // dialled leg: the phone it rings
)

// MemoryCall is the name under which the call id is remembered on the GP's
// channel: a channel without it carries no call of ours.
const MemoryCall = memCall

// MemoryPhone is the name under which a dialled leg remembers the phone it
// rings (DialRequest.Phone): the switch writes it with the channel itself,
// so that it is there even when a crash follows the originate at once.
const MemoryPhone = "phone"

// adoptedSeqStep separates the event numbers of each controller that ran a
// call: the n-th adoption numbers its events from n*adoptedSeqStep, after
// every event the earlier ones can have written, without asking the
// database (which may be down) for the last one.
const adoptedSeqStep = 10000

// Adoption is a call that an earlier controller left in Asterisk, as found
// when this one connected.
type Adoption struct {
	CallID string
	// GP is the GP's leg; nil when it is gone.
	GP     InboundCall
	Memory map[string]string // what the script remembered on the GP's leg
	// Specialists are the call's specialist legs still up.
	Specialists []AdoptedLeg
	// Connection is the bridge mixing the GP and a specialist, nil when none.
	Connection Connection
}

// AdoptedLeg is a specialist's leg found still up.
type AdoptedLeg struct {
	Leg     OutboundLeg
	Attempt int
	Memory  map[string]string
	// Mixed says the leg is in the call's bridge with the GP: the
	// specialist had accepted, even if the controller died before their
	// acceptance reached the channel's memory.
	Mixed bool
}

// Resume takes up an adopted call where it was: a bridged call goes on
// (and its outcome is keyed when the GP hangs up), a specialist left alone
// keys the outcome, a GP still waiting hears an apology and the step in
// progress starts over (a hunt skips the phones already rung).
func (s *Script) Resume(ctx context.Context, a Adoption) {
	c := s.beginAdopted(ctx, a)
	defer s.finish(c)
	c.result = s.resultOf(c, s.resume(c, a))
}

func (s *Script) beginAdopted(ctx context.Context, a Adoption) *call {
	gp := a.GP
	if gp == nil {
		gp = goneLeg{id: a.CallID}
	}
	generation, _ := strconv.Atoi(a.Memory[memAdopted])
	generation++
	c := &call{
		id: a.CallID, gp: gp, did: gp.DialedNumber(), caller: gp.CallerNumber(),
		serverCtx: ctx, started: s.clock.Now(), seq: generation * adoptedSeqStep,
	}
	c.log = s.log.With(zap.String("call_id", c.id), zap.String("did", c.did),
		zap.String("caller", maskNumber(c.caller)), zap.String("leg", gp.ID()), zap.Int("adoption", generation))
	c.ctx, c.cancel = context.WithCancelCause(gp.Context())
	stop := func() { c.cancel(fmt.Errorf("call stopped: %w", context.Cause(ctx))) }
	c.stopLink = context.AfterFunc(ctx, stop)
	if ctx.Err() != nil {
		stop()
	}
	s.running.add(c.id)
	gp.Remember(memAdopted, strconv.Itoa(generation))
	c.log.Info("call adopted", zap.Int("specialist_legs", len(a.Specialists)), zap.Bool("bridged", a.Connection != nil))
	s.record(c, callevent.Event{Kind: callevent.CallAdopted})
	return c
}

// resume is the adopted call, from where it was.
func (s *Script) resume(c *call, a Adoption) error {
	if handled, err := s.resumeCallback(c, a); handled {
		return err
	}
	s.restore(c, a)
	accepted := s.settleSpecialists(c, a)
	switch {
	case accepted != nil && a.Connection != nil && c.ctx.Err() == nil:
		c.bridged = true
		c.log.Info("conversation goes on")
		return s.conversation(c, accepted, a.Connection)
	case accepted != nil && a.Connection != nil:
		c.bridged = true
		s.closeBridge(c, a.Connection)
		s.noteGPHangup(c)
		s.keyOutcome(c, accepted)
		return nil
	case accepted != nil && c.ctx.Err() == nil:
		return s.converse(c, accepted)
	case accepted != nil:
		// The GP left while no controller watched: the specialist keys
		// the outcome of the conversation they had.
		c.bridged = true
		s.noteGPHangup(c)
		s.keyOutcome(c, accepted)
		return nil
	case c.ctx.Err() != nil:
		return end(callevent.ResultInterrupted, "GP gone while no controller watched the call")
	}
	if err := s.resolveTerritory(c); err != nil {
		return err
	}
	s.startCallerCheck(c)
	if err := c.gp.Play(c.ctx, false, s.prompts.media(pResumed)); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	switch {
	case c.requerant.RPPS == "":
		return s.fromIdentification(c)
	case c.specialty.ID == 0:
		return s.fromMenu(c)
	}
	return s.fromHunt(c)
}

// restore reads back what the call had learnt before the restart.
func (s *Script) restore(c *call, a Adoption) {
	c.attempts, c.tried = decodeTried(a.Memory[memTried])
	for _, sp := range a.Specialists {
		c.attempts = max(c.attempts, sp.Attempt)
		if p := sp.Memory[memPhone]; p != "" && !slices.Contains(c.tried, p) {
			c.tried = append(c.tried, p) // dialled just before the crash
		}
	}
	if c.did == "" {
		return
	}
	ctx, cancel := s.lookup(c)
	defer cancel()
	terr, err := s.roster.TerritoryByDID(ctx, c.did)
	if err != nil {
		c.log.Warn("adopted call: territory not found again", zap.Error(err))
		return
	}
	c.territory = terr
	if rpps := a.Memory[memGP]; rpps != "" {
		if enr, err := s.roster.Requerant(ctx, terr.ID, rpps); err == nil {
			c.requerant = enr
		} else {
			c.log.Warn("adopted call: GP not found again, identification starts over", zap.Error(err))
		}
	}
	id, _ := strconv.ParseInt(a.Memory[memSpecialty], 10, 64)
	for _, sp := range terr.Specialties {
		if sp.ID == id && c.requerant.RPPS != "" {
			c.specialty = sp
		}
	}
}

// settleSpecialists keeps the specialist who had accepted the call and
// hangs up every other leg (still ringing, or hearing the whisper): the
// hunt that goes on will not ring their phone again.
func (s *Script) settleSpecialists(c *call, a Adoption) *specialist {
	var accepted *specialist
	for _, l := range a.Specialists {
		c.legs = append(c.legs, l.Leg)
		if rpps := l.Memory[memAccepted]; (rpps != "" || l.Mixed) && accepted == nil {
			accepted = &specialist{leg: l.Leg, attempt: l.Attempt, phone: l.Memory[memPhone],
				cand: oncall.Candidate{RPPS: rpps}}
			continue
		}
		s.hangupLeg(c, l.Leg)
		s.attemptEnded(c, l.Attempt, callevent.AttemptCancelled, 0)
	}
	return accepted
}

// encodeTried writes the attempts count and the phones dialled:
// "3:+33612000015,+33612000023,+33247000001".
func encodeTried(attempts int, phones []string) string {
	return strconv.Itoa(attempts) + ":" + strings.Join(phones, ",")
}

func decodeTried(v string) (int, []string) {
	n, list, ok := strings.Cut(v, ":")
	if !ok {
		return 0, nil
	}
	attempts, _ := strconv.Atoi(n)
	if list == "" {
		return attempts, nil
	}
	return attempts, strings.Split(list, ",")
}

// goneLeg stands for a GP's leg that was gone when the call was adopted.
type goneLeg struct{ id string }

var goneCtx = func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&HangupError{Vanished: true})
	return ctx
}()

func (g goneLeg) ID() string                                             { return g.id + "-gp-gone" }
func (g goneLeg) Context() context.Context                               { return goneCtx }
func (g goneLeg) Answer(context.Context) error                           { return g.err() }
func (g goneLeg) Play(context.Context, bool, ...string) error            { return g.err() }
func (g goneLeg) FlushDigits()                                           {}
func (g goneLeg) StartHold(context.Context) error                        { return g.err() }
func (g goneLeg) StopHold(context.Context) error                         { return nil }
func (g goneLeg) Hangup(context.Context, HangupReason) error             { return nil }
func (g goneLeg) Remember(string, string)                                {}
func (g goneLeg) CallerNumber() string                                   { return "" }
func (g goneLeg) DialedNumber() string                                   { return "" }
func (g goneLeg) err() error                                             { return &HangupError{LegID: g.ID(), Vanished: true} }
func (g goneLeg) ReadDigit(context.Context, time.Duration) (byte, error) { return 0, g.err() }
