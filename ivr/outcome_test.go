package ivr

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
)

func TestOutcome(t *testing.T) {
	tests := []struct {
		name       string
		plan       func(p *dialPlan)
		outcome    callevent.Outcome // "" when pending
		delay      int
		specialist []string // after the whisper
		gpTail     []string // what the GP hears after the hold music stops
	}{{
		name:       "téléconsultation, no delay asked",
		plan:       func(p *dialPlan) { p.keys["outcome_menu"] = "1" },
		outcome:    callevent.OutcomeTeleconsultation,
		specialist: ids("outcome_menu", "outcome_saved"),
	}, {
		name:       "visit within 7 days",
		plan:       func(p *dialPlan) { p.keys["outcome_menu"] = "3"; p.keys["delay_menu"] = "3" },
		outcome:    callevent.OutcomeVisit,
		delay:      168,
		specialist: ids("outcome_menu", "delay_menu", "outcome_saved"),
	}, {
		name:       "téléexpertise within 48 h",
		plan:       func(p *dialPlan) { p.keys["delay_menu"] = "2" },
		outcome:    callevent.OutcomeTeleexpertise,
		delay:      48,
		specialist: ids("outcome_menu", "delay_menu", "outcome_saved"),
	}, {
		name:       "hospital",
		plan:       func(p *dialPlan) { p.keys["outcome_menu"] = "4" },
		outcome:    callevent.OutcomeHospital,
		specialist: ids("outcome_menu", "outcome_saved"),
	}, {
		name:       "invalid key told, then advice only",
		plan:       func(p *dialPlan) { p.keys["outcome_menu"] = "9"; p.keys["choice_invalid"] = "5" },
		outcome:    callevent.OutcomeAdvice,
		specialist: ids("outcome_menu", "choice_invalid", "outcome_saved"),
	}, {
		name:       "invalid delay told, then 24 h",
		plan:       func(p *dialPlan) { p.keys["delay_menu"] = "8"; p.keys["choice_invalid"] = "1" },
		outcome:    callevent.OutcomeTeleexpertise,
		delay:      24,
		specialist: ids("outcome_menu", "delay_menu", "choice_invalid", "outcome_saved"),
	}, {
		name:       "silence is asked again, then pending",
		plan:       func(p *dialPlan) { delete(p.keys, "outcome_menu") },
		specialist: ids("outcome_menu", "no_input", "outcome_menu", "no_input", "outcome_menu", "outcome_later"),
	}, {
		name:       "specialist hangs up before keying",
		plan:       func(p *dialPlan) { p.keys["outcome_menu"] = "H" },
		specialist: ids("outcome_menu"),
	}, {
		name:       "specialist hangs up at the delay question",
		plan:       func(p *dialPlan) { p.keys["delay_menu"] = "H" },
		specialist: ids("outcome_menu", "delay_menu"),
	}, {
		name:       "specialist hangs up first, during the conversation",
		plan:       func(p *dialPlan) { p.afterConnect = "specialist" },
		specialist: nil,
		gpTail:     ids("goodbye_specialist_left"),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.happy()
			p := accepts("gp")
			tc.plan(&p)
			h.sw.plans[martinPhone] = []dialPlan{p}
			h.run()
			if got := h.result(); got != callevent.ResultBridged {
				t.Errorf("result %s, want bridged", got)
			}
			expectSeq(t, "specialist heard", h.leg(1).Heard(), cat(whisperTo("cardiologie", false), tc.specialist))
			expectSeq(t, "GP heard", h.gp.Heard(), cat(identified, ids("searching", "(hold)", "(/hold)"), tc.gpTail))
			keyed, pending := h.events(callevent.OutcomeKeyed), h.events(callevent.OutcomePending)
			if tc.outcome != "" {
				if len(keyed) != 1 || keyed[0].Outcome != tc.outcome || keyed[0].DelayHours != tc.delay || len(pending) != 0 {
					t.Errorf("outcome_keyed %+v, outcome_pending %+v; want %s %d h", keyed, pending, tc.outcome, tc.delay)
				}
				return
			}
			if len(keyed) != 0 || len(pending) != 1 || pending[0].RPPS != "10002000015" {
				t.Errorf("outcome_keyed %+v, outcome_pending %+v; want pending", keyed, pending)
			}
			if h.metrics.pending != 1 {
				t.Fatalf("%d pending outcomes in metrics", h.metrics.pending)
			}
			// The link SMS goes, when the record is applied, to the phone of
			// the attempt the pending outcome names.
			var dialled []callevent.Event
			for _, ev := range h.events(callevent.AttemptStarted) {
				if ev.Attempt == pending[0].Attempt {
					dialled = append(dialled, ev)
				}
			}
			if len(dialled) != 1 || dialled[0].Phone != martinPhone || dialled[0].RPPS != "10002000015" {
				t.Errorf("attempt %d of the pending outcome: %+v", pending[0].Attempt, dialled)
			}
		})
	}
}

func TestSpecialistLeavesFirstIsRecorded(t *testing.T) {
	h := newHarness(t)
	h.happy()
	h.sw.plans[martinPhone] = []dialPlan{accepts("specialist")}
	h.run()
	expectSeq(t, "events", h.kinds(), []callevent.Kind{
		callevent.CallStarted, callevent.TerritoryResolved, callevent.Answered, callevent.Identified,
		callevent.SpecialtyChosen, callevent.AttemptStarted, callevent.AttemptRinging, callevent.AttemptAnswered, callevent.AttemptEnded,
		callevent.Bridged, callevent.LegHungUp, callevent.OutcomePending, callevent.CallEnded,
	})
	if ev := h.events(callevent.LegHungUp)[0]; ev.Party != "specialist" {
		t.Errorf("leg_hung_up %+v", ev)
	}
	if h.gp.hungUpBy != "script" {
		t.Errorf("GP leg ended by %q, want the script after the goodbye", h.gp.hungUpBy)
	}
}

// A conversation past MaxConversation ends the GP's leg; the specialist
// still keys the outcome.
func TestConversationTooLong(t *testing.T) {
	h := newHarness(t)
	h.happy()
	h.sw.plans[martinPhone] = []dialPlan{accepts("")} // nobody hangs up
	h.opts.MaxConversation = 3 * time.Hour
	done := make(chan struct{})
	h.clock.armed = func(d time.Duration) {
		if d == 3*time.Hour { // the script is in the conversation: let time pass
			go func() { defer close(done); h.clock.Advance(d) }()
		}
	}
	h.run()
	<-done
	expectSeq(t, "GP heard", h.gp.Heard(), cat(identified, ids("searching", "(hold)", "(/hold)", "conversation_too_long")))
	expectSeq(t, "specialist heard", h.leg(1).Heard(), cat(whisperTo("cardiologie", false), ids("outcome_menu", "delay_menu", "outcome_saved")))
	if h.result() != callevent.ResultBridged || len(h.events(callevent.OutcomeKeyed)) != 1 || len(h.events(callevent.LegHungUp)) != 0 {
		t.Errorf("result %s, events %v", h.result(), h.kinds())
	}
}

// Stopping the server stops its calls with an apology, never silence.
func TestServerStopsTheCall(t *testing.T) {
	h := newHarness(t)
	h.happy()
	s, err := New(h.opts, Deps{Roster: h.roster, Switch: h.sw, Recorder: h.rec,
		Clock: h.clock, Logger: h.logger, Prompts: loadCatalogue(t), Metrics: h.metrics})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Serve(ctx, h.gp)
	h.checkInvariants()
	if h.result() != callevent.ResultFailed {
		t.Errorf("result %s, want failed", h.result())
	}
	expectSeq(t, "GP heard", h.gp.Heard(), ids("technical_error"))
}
