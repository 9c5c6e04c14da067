package ivr

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// fakeRoster is the roster in memory; PINs lock after lockAfter failures.
type fakeRoster struct {
	mu          sync.Mutex
	territories map[string]oncall.Territory // by DID
	requerants  map[string]oncall.Enrolment // by RPPS
	pins        map[int64]string
	failures    map[int64]int
	lockAfter   int
	callerFails map[string]int               // by caller number
	callerLocks map[string]time.Time         // by caller number
	chains      map[int64][]oncall.Candidate // by specialty id
	onDutyAt    []time.Time
	pinChecks   int
	refusals    int // RefusePIN calls: PINs typed for an RPPS with no PIN to check
	panicIn     string
	errIn       map[string]error
}

func (d *fakeRoster) fail(method string) error {
	if d.panicIn == method {
		panic("fake directory: " + method + " exploded")
	}
	return d.errIn[method]
}

func (d *fakeRoster) TerritoryByDID(_ context.Context, did string) (oncall.Territory, error) {
	if err := d.fail("TerritoryByDID"); err != nil {
		return oncall.Territory{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.territories[did]
	if !ok {
		return oncall.Territory{}, fmt.Errorf("territory of %s: %w", did, oncall.ErrNotFound)
	}
	return t, nil
}

func (d *fakeRoster) Requerant(_ context.Context, territoryID int64, rpps string) (oncall.Enrolment, error) {
	if err := d.fail("Requerant"); err != nil {
		return oncall.Enrolment{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.requerants[rpps]
	if !ok || e.TerritoryID != territoryID {
		return oncall.Enrolment{}, oncall.ErrNotFound
	}
	return e, nil
}

func (d *fakeRoster) RequerantByPhone(_ context.Context, territoryID int64, phone string) (oncall.Enrolment, error) {
	if err := d.fail("RequerantByPhone"); err != nil {
		return oncall.Enrolment{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.requerants {
		for _, p := range e.Phones {
			if p == phone && e.TerritoryID == territoryID {
				return e, nil
			}
		}
	}
	return oncall.Enrolment{}, oncall.ErrNotFound
}

func (d *fakeRoster) VerifyPIN(_ context.Context, enrolmentID int64, pin, caller string, now time.Time) error {
	if err := d.fail("VerifyPIN"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pinChecks++
	for rpps, e := range d.requerants {
		if e.ID != enrolmentID {
			continue
		}
		// An RPPS lock never refuses the GP's own phones (roster's rule).
		if e.LockedUntil.After(now) && !slices.Contains(e.Phones, caller) {
			return &oncall.LockedError{Until: e.LockedUntil}
		}
		if d.pins[e.ID] == pin {
			d.failures[e.ID] = 0
			return nil
		}
		d.failures[e.ID]++
		if d.failures[e.ID] >= d.lockAfter {
			e.LockedUntil = now.Add(15 * time.Minute)
			d.requerants[rpps] = e
			return &oncall.LockedError{Until: e.LockedUntil}
		}
		return &oncall.WrongPINError{Remaining: d.lockAfter - d.failures[e.ID]}
	}
	return oncall.ErrNotFound
}

func (d *fakeRoster) OnDuty(_ context.Context, _, specialtyID int64, at time.Time) ([]oncall.Candidate, error) {
	if err := d.fail("OnDuty"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.onDutyAt = append(d.onDutyAt, at)
	return d.chains[specialtyID], nil
}

type captureRecorder struct {
	mu     sync.Mutex
	events []callevent.Event
	// inProgress, when set, is read at each event (inProgressAt).
	inProgress   func() int
	inProgressAt []int
}

func (r *captureRecorder) Record(ev callevent.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	if r.inProgress != nil {
		r.inProgressAt = append(r.inProgressAt, r.inProgress())
	}
	return nil
}

func (r *captureRecorder) all() []callevent.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]callevent.Event(nil), r.events...)
}

type captureMetrics struct {
	mu       sync.Mutex
	results  []callevent.Result
	attempts []callevent.AttemptResult
	outcomes []callevent.Outcome
	pending  int
	toSpec   []time.Duration
}

func (m *captureMetrics) CallEnded(r callevent.Result) {
	m.mu.Lock()
	m.results = append(m.results, r)
	m.mu.Unlock()
}
func (m *captureMetrics) AttemptEnded(r callevent.AttemptResult) {
	m.mu.Lock()
	m.attempts = append(m.attempts, r)
	m.mu.Unlock()
}
func (m *captureMetrics) TimeToSpecialist(d time.Duration) {
	m.mu.Lock()
	m.toSpec = append(m.toSpec, d)
	m.mu.Unlock()
}
func (m *captureMetrics) OutcomeKeyed(o callevent.Outcome) {
	m.mu.Lock()
	m.outcomes = append(m.outcomes, o)
	m.mu.Unlock()
}
func (m *captureMetrics) OutcomePending() { m.mu.Lock(); m.pending++; m.mu.Unlock() }

// RefusePIN counts as a PIN check does (the same work for the caller).
func (d *fakeRoster) RefusePIN(_ context.Context, _ int64, _, _, _ string, _ time.Time) error {
	if err := d.fail("RefusePIN"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pinChecks++
	d.refusals++
	return &oncall.WrongPINError{Remaining: 3}
}

func (d *fakeRoster) CheckCaller(_ context.Context, _ int64, caller string, now time.Time) error {
	if err := d.fail("CheckCaller"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if until := d.callerLocks[caller]; until.After(now) {
		return &oncall.LockedError{Until: until}
	}
	return nil
}

func (d *fakeRoster) CallerFailure(_ context.Context, _ int64, caller string, now time.Time) error {
	if err := d.fail("CallerFailure"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.callerFails == nil {
		d.callerFails, d.callerLocks = map[string]int{}, map[string]time.Time{}
	}
	d.callerFails[caller]++
	if d.lockAfter > 0 && d.callerFails[caller] >= d.lockAfter {
		d.callerLocks[caller] = now.Add(15 * time.Minute)
		return &oncall.LockedError{Until: d.callerLocks[caller]}
	}
	return nil
}
