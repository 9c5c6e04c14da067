package ivr

import (
	"context"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
)

// Directory is the roster as the call script reads it; *roster.Store
// implements it. Every method honours ctx.
type Directory interface {
	// TerritoryByDID returns the territory a regulation number belongs to;
	// errors.Is(err, roster.ErrNotFound) when the number is nobody's.
	TerritoryByDID(ctx context.Context, did string) (roster.Territory, error)
	// Requerant returns the GP enrolled under rpps in the territory;
	// roster.ErrNotFound when not enrolled there. LockedUntil is set (in the
	// future) while the RPPS is locked after repeated PIN failures.
	Requerant(ctx context.Context, territoryID int64, rpps string) (roster.Enrolment, error)
	// RequerantByPhone returns the GP enrolled in the territory whose phone
	// is this caller number; roster.ErrNotFound when none.
	RequerantByPhone(ctx context.Context, territoryID int64, phone string) (roster.Enrolment, error)
	// VerifyPIN checks a PIN and counts failures per (RPPS, caller number),
	// per caller number and per RPPS (see roster.LockoutPolicy). It returns
	// nil, a *roster.WrongPINError with the tries left, or a
	// *roster.LockedError (errors.Is(err, roster.ErrLocked)) when the caller
	// number is locked.
	VerifyPIN(ctx context.Context, enrolmentID int64, pin, callerNumber string, now time.Time) error
	// RefusePIN answers a PIN typed for an RPPS with no PIN to check (not
	// enrolled here, or enrolled without one) exactly as VerifyPIN answers
	// a wrong one — same work, same counts, same errors — so that the line
	// does not tell who is enrolled.
	RefusePIN(ctx context.Context, territoryID int64, rpps, pin, callerNumber string, now time.Time) error
	// CheckCaller returns a *roster.LockedError while the caller number is
	// locked after repeated failures (on any RPPS), else nil; "" (withheld)
	// is one shared bucket.
	CheckCaller(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error
	// CallerFailure counts an identification that named no enrolled GP (an
	// unknown RPPS) against the caller number, so that probing RPPS numbers
	// locks the caller too; *roster.LockedError when it reaches the limit.
	CallerFailure(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error
	// OnDuty returns the escalation chain for the specialty at the instant:
	// ranked specialists first, the specialty's fallback line last
	// (Fallback set); empty when nobody is on duty.
	OnDuty(ctx context.Context, territoryID, specialtyID int64, at time.Time) ([]roster.Candidate, error)
}

// Recorder receives the events of every call, in Seq order per call.
//
// Record must not block on the database: the call goes on whatever happens to
// its log (implementations spool to local disk and replay). An error means the
// event could not even be spooled; the script logs it and carries on.
type Recorder interface {
	Record(ev calllog.Event) error
}

// Notifier is the seam towards SMS and the coordinators.
//
// Both methods are called from the call's goroutine and MUST return fast
// (queue the work in a durable outbox and return): the script gives them a
// short deadline and never lets them delay a caller. An error is logged.
type Notifier interface {
	// NobodyReached says a GP's request was registered for a callback
	// because nobody on duty could be reached.
	NobodyReached(ctx context.Context, req CallbackRequest) error
	// OutcomePending says a specialist left a bridged call without keying
	// its outcome (send them a one-time link to key it later).
	OutcomePending(ctx context.Context, p PendingOutcome) error
}

// CallbackRequest is a GP waiting to be called back.
type CallbackRequest struct {
	CallID           string
	At               time.Time
	TerritoryID      int64
	TerritorySlug    string
	SpecialtyID      int64
	Specialty        string // slug
	RequerantRPPS    string
	RequerantName    string
	CallerNumber     string   // as presented by the network (may be empty)
	RequerantPhones  []string // the GP's enrolled phones
	OnDuty           []roster.Candidate
	CoordinatorPhone string
}

// PendingOutcome is a bridged call whose outcome the specialist has not keyed.
type PendingOutcome struct {
	CallID          string
	At              time.Time
	TerritoryID     int64
	SpecialtyID     int64
	SpecialistRPPS  string
	SpecialistPhone string
	RequerantRPPS   string
}

// Metrics are the counters and timings the script reports. Implementations
// must be safe for concurrent use and must not block.
type Metrics interface {
	CallStarted()                         // a call is in progress
	CallEnded(result calllog.Result)      // …and no longer, with its result
	AttemptEnded(calllog.AttemptResult)   // one specialist leg ended
	TimeToSpecialist(d time.Duration)     // from the first specialist dialled to the bridge
	OutcomeKeyed(outcome calllog.Outcome) // the specialist keyed the outcome
	OutcomePending()                      // the specialist left without keying it
}

// NopMetrics discards every figure.
type NopMetrics struct{}

func (NopMetrics) CallStarted()                       {}
func (NopMetrics) CallEnded(calllog.Result)           {}
func (NopMetrics) AttemptEnded(calllog.AttemptResult) {}
func (NopMetrics) TimeToSpecialist(time.Duration)     {}
func (NopMetrics) OutcomeKeyed(calllog.Outcome)       {}
func (NopMetrics) OutcomePending()                    {}
