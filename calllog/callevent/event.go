// Package callevent is the vocabulary of a call's record: the kinds of
// event a call goes through, the event itself, how a call, an attempt and
// a conversation end, and the call's reference. It holds values only, so
// that the call script (ivr) records a call without depending on how
// calllog spools and stores it. Package calllog owns the records.
package callevent

import (
	"fmt"
	"regexp"
	"time"
)

// Kind is the closed set of things that happen in a call.
type Kind string

const (
	CallStarted       Kind = "call_started"       // DID, Caller, Reference
	TerritoryUnknown  Kind = "territory_unknown"  // DID not a regulation number
	TerritoryResolved Kind = "territory_resolved" // TerritoryID, Reference
	ClosedHours       Kind = "closed_hours"
	Answered          Kind = "answered"
	IdentFailed       Kind = "ident_failed"     // Reason: bad_rpps | timeout | not_enrolled | wrong_pin | locked; RPPS when typed
	Identified        Kind = "identified"       // RPPS, Name
	Refused           Kind = "refused"          // Reason
	SpecialtyChosen   Kind = "specialty_chosen" // SpecialtyID, Specialty
	NobodyOnDuty      Kind = "nobody_on_duty"
	AttemptStarted    Kind = "attempt_started"  // Attempt, RPPS, Phone, Rank
	AttemptRinging    Kind = "attempt_ringing"  // Attempt
	AttemptAnswered   Kind = "attempt_answered" // Attempt
	AttemptEnded      Kind = "attempt_ended"    // Attempt, Result, Cause
	Bridged           Kind = "bridged"          // Attempt, RPPS
	OutcomeKeyed      Kind = "outcome_keyed"    // Outcome, DelayHours
	OutcomePending    Kind = "outcome_pending"  // specialist left before keying it
	CallbackRequested Kind = "callback_requested"
	LegHungUp         Kind = "leg_hung_up" // Party: gp | specialist, Cause
	CallEnded         Kind = "call_ended"  // Result
	// CallAdopted: a controller took the call up after the one running it
	// stopped (crash, deploy, failover); its events are numbered from then
	// on in a range of their own.
	CallAdopted Kind = "call_adopted"
	// CallbackStarted: this call is a callback through the line answering
	// the callback request of call Origin; RPPS is the specialist calling
	// back. The call's own events say the rest (territory, GP, specialty,
	// attempt 1 = the specialist's leg).
	CallbackStarted Kind = "callback_started"
	// CallbackGPDialled and CallbackGPEnded: one try to reach the GP of a
	// callback (Attempt numbers the leg, Phone; then AttemptRes, Cause).
	CallbackGPDialled Kind = "callback_gp_dialled"
	CallbackGPEnded   Kind = "callback_gp_ended"
)

// Result is how a call ended, as coordinators filter it.
type Result string

const (
	ResultBridged    Result = "bridged"   // GP and specialist talked
	ResultCallback   Result = "callback"  // nobody reached: callback registered
	ResultRefused    Result = "refused"   // identification failed or not enrolled
	ResultAbandoned  Result = "abandoned" // the GP hung up before being put through
	ResultOutOfHours Result = "out_of_hours"
	ResultUnknownDID Result = "unknown_did"
	ResultFailed     Result = "failed" // our own failure (a bug or Asterisk gone)
	// ResultInterrupted is a call cut by our side: the controller died,
	// Asterisk restarted, a second SIGTERM. Never "abandoned", which says
	// the GP hung up.
	ResultInterrupted Result = "interrupted"
)

// Outcome is what the specialist keyed after the conversation.
type Outcome string

const (
	OutcomeTeleconsultation Outcome = "teleconsultation"
	OutcomeTeleexpertise    Outcome = "teleexpertise"
	OutcomeVisit            Outcome = "consultation_presentiel"
	OutcomeHospital         Outcome = "orientation_hopital"
	OutcomeAdvice           Outcome = "avis_seul"
)

// AttemptResult is how one specialist leg ended.
type AttemptResult string

const (
	AttemptAccepted  AttemptResult = "accepted"
	AttemptDeclined  AttemptResult = "declined"
	AttemptNoAnswer  AttemptResult = "no_answer"
	AttemptVoicemail AttemptResult = "voicemail"
	AttemptBusy      AttemptResult = "busy"
	AttemptFailed    AttemptResult = "failed"
	AttemptCancelled AttemptResult = "cancelled"
)

// Event is one step of a call. Seq numbers a call's events from 1 without
// gaps; (CallID, Seq) is unique, which makes replaying the spool idempotent.
// Only the fields a kind names are set. No patient data, ever.
type Event struct {
	CallID string    `json:"call_id"`
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Kind   Kind      `json:"kind"`

	DID         string        `json:"did,omitempty"`
	Caller      string        `json:"caller,omitempty"`
	TerritoryID int64         `json:"territory_id,omitempty"`
	RPPS        string        `json:"rpps,omitempty"`
	Name        string        `json:"name,omitempty"`
	SpecialtyID int64         `json:"specialty_id,omitempty"`
	Specialty   string        `json:"specialty,omitempty"`
	Attempt     int           `json:"attempt,omitempty"`
	Rank        int           `json:"rank,omitempty"`
	Phone       string        `json:"phone,omitempty"`
	AttemptRes  AttemptResult `json:"attempt_result,omitempty"`
	Cause       int           `json:"cause,omitempty"`
	Party       string        `json:"party,omitempty"`
	Outcome     Outcome       `json:"outcome,omitempty"`
	DelayHours  int           `json:"delay_hours,omitempty"`
	Result      Result        `json:"result,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	// Reference is the one the script drew (see reference.go); the one
	// stored on the call row, unique in its territory, is what counts.
	Reference string `json:"reference,omitempty"`
	// Origin is, on a CallbackStarted, the call whose callback request
	// this call answers.
	Origin string `json:"origin,omitempty"`
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate says what is wrong with an event that could never be stored.
func (ev Event) Validate() error {
	switch {
	case !uuidPattern.MatchString(ev.CallID):
		return fmt.Errorf("call id %q is not a UUID", ev.CallID)
	case ev.Seq < 1:
		return fmt.Errorf("call %s: seq %d is not positive", ev.CallID, ev.Seq)
	case ev.Kind == "":
		return fmt.Errorf("call %s seq %d: no kind", ev.CallID, ev.Seq)
	}
	return nil
}
