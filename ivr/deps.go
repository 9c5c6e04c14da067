package ivr

import (
	"context"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// Roster is the roster as the call script reads it: whose regulation number
// was called, who is calling, who is on duty. The line serves it from
// memory (roster.LineView), so that a call never waits on the database.
// Every method honours ctx.
type Roster interface {
	// TerritoryByDID returns the territory a regulation number belongs to;
	// errors.Is(err, oncall.ErrNotFound) when the number is nobody's.
	TerritoryByDID(ctx context.Context, did string) (oncall.Territory, error)
	// Requerant returns the GP enrolled under rpps in the territory;
	// oncall.ErrNotFound when not enrolled there. LockedUntil is set (in the
	// future) while the RPPS is locked after repeated PIN failures.
	Requerant(ctx context.Context, territoryID int64, rpps string) (oncall.Enrolment, error)
	// RequerantByPhone returns the GP enrolled in the territory whose phone
	// is this caller number; oncall.ErrNotFound when none.
	RequerantByPhone(ctx context.Context, territoryID int64, phone string) (oncall.Enrolment, error)
	// VerifyPIN checks a PIN and counts failures per (RPPS, caller number),
	// per caller number and per RPPS (see roster.LockoutPolicy). It returns
	// nil, a *oncall.WrongPINError with the tries left, or a
	// *oncall.LockedError (errors.Is(err, oncall.ErrLocked)) when the caller
	// number is locked.
	VerifyPIN(ctx context.Context, enrolmentID int64, pin, callerNumber string, now time.Time) error
	// RefusePIN answers a PIN typed for an RPPS with no PIN to check (not
	// enrolled here, or enrolled without one) exactly as VerifyPIN answers
	// a wrong one — same work, same counts, same errors — so that the line
	// does not tell who is enrolled.
	RefusePIN(ctx context.Context, territoryID int64, rpps, pin, callerNumber string, now time.Time) error
	// CheckCaller returns a *oncall.LockedError while the caller number is
	// locked after repeated failures (on any RPPS), else nil; "" (withheld)
	// is one shared bucket.
	CheckCaller(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error
	// CallerFailure counts an identification that named no enrolled GP (an
	// unknown RPPS) against the caller number, so that probing RPPS numbers
	// locks the caller too; *oncall.LockedError when it reaches the limit.
	CallerFailure(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error
	// OnDuty returns the escalation chain for the specialty at the instant:
	// ranked specialists first, the specialty's fallback line last
	// (Fallback set); empty when nobody is on duty.
	OnDuty(ctx context.Context, territoryID, specialtyID int64, at time.Time) ([]oncall.Candidate, error)
}

// Recorder receives the events of every call, in Seq order per call.
//
// Record must not block on the database: the call goes on whatever happens to
// its log (implementations spool to local disk and replay). An error means the
// event could not even be spooled; the script logs it and carries on.
type Recorder interface {
	Record(ev callevent.Event) error
}

// Metrics are the counters and timings the script reports; the calls in
// progress are not among them, they are read (Script.CallsInProgress).
// Implementations must be safe for concurrent use and must not block.
type Metrics interface {
	CallEnded(result callevent.Result)      // a call ended, with its result
	AttemptEnded(callevent.AttemptResult)   // one specialist leg ended
	TimeToSpecialist(d time.Duration)       // from the first specialist dialled to the bridge
	OutcomeKeyed(outcome callevent.Outcome) // the specialist keyed the outcome
	OutcomePending()                        // the specialist left without keying it
}

// NopMetrics discards every figure.
type NopMetrics struct{}

func (NopMetrics) CallEnded(callevent.Result)           {}
func (NopMetrics) AttemptEnded(callevent.AttemptResult) {}
func (NopMetrics) TimeToSpecialist(time.Duration)       {}
func (NopMetrics) OutcomeKeyed(callevent.Outcome)       {}
func (NopMetrics) OutcomePending()                      {}
