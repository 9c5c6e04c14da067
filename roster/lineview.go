package roster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// LineView is the roster as the regulation line reads it during calls: it
// serves the call script's lookups (territory by DID, the calling GP, PIN
// checks, who is on duty) from an in-memory snapshot of the roster that it
// refreshes in the background. A call never waits on PostgreSQL for them,
// and new calls still connect while the database is down: the snapshot keeps
// serving what it last loaded. A roster change is seen within one refresh.
//
// PIN checks go to the database, which counts failures for every controller;
// when the database does not answer, the PIN is checked against the
// snapshot's hash and failures are counted in memory with the same policy.
type LineView struct {
	store    *Store
	log      *zap.Logger
	clock    clock.Clock
	opts     LineViewOptions
	mu       sync.RWMutex
	snap     *snapshot
	loadedAt time.Time
	failMu   sync.Mutex
	failures map[int64]*memFailures // by enrolment id: locks seen, and counts while the database is away
	callers  map[callerKey]*memFailures
	pairs    map[pairKey]*memFailures
	outage   bool
}

// LineViewOptions tune the snapshot.
type LineViewOptions struct {
	Refresh    time.Duration // how often the snapshot is reloaded (default 15 s)
	Behind     time.Duration // shifts kept before now (default 2 h)
	Ahead      time.Duration // shifts kept after now: how long an outage can last (default 26 h)
	PINTimeout time.Duration // how long a PIN check waits on the database (default 2 s)
	Lockout    LockoutPolicy
	// SnapshotFile, when set, is where every successful refresh saves the
	// snapshot, for a start without the database (LoadSnapshotFile).
	SnapshotFile string
}

type callerKey struct {
	territoryID int64
	number      string
}

type pairKey struct {
	territoryID  int64
	rpps, number string
}

type memFailures struct {
	count       int
	locks       int
	lockedUntil time.Time
}

// fail counts a failure in memory with the store's rules: at the limit, a
// lock for the next growing delay. It returns the tries left and the lock.
func (f *memFailures) fail(limit int, pol LockoutPolicy, now time.Time) (int, time.Time) {
	if f.lockedUntil.After(now) {
		return 0, f.lockedUntil
	}
	f.count++
	if f.count < limit {
		return limit - f.count, time.Time{}
	}
	f.count = 0
	f.locks++
	f.lockedUntil = now.Add(pol.lockFor(f.locks))
	return 0, f.lockedUntil
}

// snapshot is immutable once built; a refresh swaps it whole.
type snapshot struct {
	byDID      map[string]*oncall.Territory
	requerants map[int64]map[string]oncall.Enrolment // territory → RPPS
	byPhone    map[int64]map[string][]oncall.Enrolment
	byID       map[int64]oncall.Enrolment
	pinHash    map[int64]string
	requis     map[requisKey]oncall.Enrolment
	shifts     map[int64][]heldSpan // by specialty
	specialty  map[int64]oncall.Specialty
}

type requisKey struct {
	territoryID, specialtyID int64
	rpps                     string
}

type heldSpan struct {
	start, end        time.Time
	rank              int
	rpps, last, first string
	override          bool
}

// NewLineView returns a view with no snapshot yet; call Refresh once before
// use, then Run in the background.
func NewLineView(store *Store, opts LineViewOptions, clk clock.Clock, log *zap.Logger) *LineView {
	if opts.Refresh <= 0 {
		opts.Refresh = 15 * time.Second
	}
	if opts.Behind <= 0 {
		opts.Behind = 2 * time.Hour
	}
	if opts.Ahead <= 0 {
		opts.Ahead = 26 * time.Hour
	}
	if opts.PINTimeout <= 0 {
		opts.PINTimeout = 2 * time.Second
	}
	opts.Lockout = opts.Lockout.withDefaults()
	if clk == nil {
		clk = clock.System()
	}
	return &LineView{store: store, log: log, clock: clk, opts: opts,
		failures: map[int64]*memFailures{}, callers: map[callerKey]*memFailures{}, pairs: map[pairKey]*memFailures{}}
}

// Run refreshes the snapshot until ctx ends. A failed refresh keeps the
// previous snapshot and is logged once per outage.
func (v *LineView) Run(ctx context.Context) {
	t := time.NewTicker(v.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := v.Refresh(ctx)
			switch {
			case err != nil && !v.outage:
				v.outage = true
				v.log.Warn("roster snapshot not refreshed; calls keep using the last one", zap.Error(err), zap.Time("loaded_at", v.LoadedAt()))
			case err == nil && v.outage:
				v.outage = false
				v.log.Info("roster snapshot refreshed again")
			}
		}
	}
}

// LoadedAt says when the snapshot in use was loaded (zero before the first).
func (v *LineView) LoadedAt() time.Time {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.loadedAt
}

// Refresh reloads the snapshot from the database.
func (v *LineView) Refresh(ctx context.Context) error {
	now := v.clock.Now()
	data, err := v.load(ctx, now.Add(-v.opts.Behind), now.Add(v.opts.Ahead))
	if err != nil {
		return fmt.Errorf("load roster snapshot: %w", err)
	}
	v.mu.Lock()
	v.snap, v.loadedAt = data.build(), now
	v.mu.Unlock()
	if v.opts.SnapshotFile != "" {
		// Not fatal: the calls use the snapshot in memory; only a start
		// without the database would miss it. Logged at every failure.
		if err := writeSnapshotFile(v.opts.SnapshotFile, data, now); err != nil {
			v.log.Error("roster snapshot not saved under data_dir: a start without the database would use an older one", zap.Error(err))
		}
	}
	return nil
}

func (v *LineView) current() (*snapshot, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.snap == nil {
		return nil, errors.New("roster snapshot not loaded yet")
	}
	return v.snap, nil
}

// TerritoryByDID returns the territory a regulation number belongs to.
func (v *LineView) TerritoryByDID(_ context.Context, did string) (oncall.Territory, error) {
	s, err := v.current()
	if err != nil {
		return oncall.Territory{}, err
	}
	// The dialled number usually comes as stored (E.164): parsing it, the
	// costliest step of a call's lookup, only when it does not.
	t, ok := s.byDID[did]
	if !ok {
		if e164, err := NormalizePhone(did); err == nil {
			did = e164
			t, ok = s.byDID[did]
		}
	}
	if !ok {
		return oncall.Territory{}, fmt.Errorf("regulation number %s: %w", did, oncall.ErrNotFound)
	}
	return *t, nil
}

// Requerant returns a GP's requérant enrolment in a territory.
func (v *LineView) Requerant(_ context.Context, territoryID int64, rpps string) (oncall.Enrolment, error) {
	s, err := v.current()
	if err != nil {
		return oncall.Enrolment{}, err
	}
	norm, err := oncall.NormalizeRPPS(rpps)
	if err != nil {
		return oncall.Enrolment{}, fmt.Errorf("requérant: %w", err)
	}
	e, ok := s.requerants[territoryID][norm]
	if !ok {
		return oncall.Enrolment{}, fmt.Errorf("requérant %s: %w", norm, oncall.ErrNotFound)
	}
	return v.withMemoryLock(e), nil
}

// RequerantByPhone returns the one GP whose phones include the number.
func (v *LineView) RequerantByPhone(_ context.Context, territoryID int64, phone string) (oncall.Enrolment, error) {
	s, err := v.current()
	if err != nil {
		return oncall.Enrolment{}, err
	}
	found, ok := s.byPhone[territoryID][phone] // as stored (E.164): no parsing
	if !ok {
		e164, err := NormalizePhone(phone)
		if err != nil {
			return oncall.Enrolment{}, fmt.Errorf("requérant by phone: %w: %w", oncall.ErrNotFound, err)
		}
		found = s.byPhone[territoryID][e164]
	}
	if len(found) != 1 {
		return oncall.Enrolment{}, fmt.Errorf("requérant by phone: %w", oncall.ErrNotFound)
	}
	return v.withMemoryLock(found[0]), nil
}

func (v *LineView) withMemoryLock(e oncall.Enrolment) oncall.Enrolment {
	v.failMu.Lock()
	defer v.failMu.Unlock()
	if f := v.failures[e.ID]; f != nil && f.lockedUntil.After(e.LockedUntil) {
		e.LockedUntil = f.lockedUntil
	}
	return e
}

// VerifyPIN checks the PIN in the database; when the database does not
// answer in time, against the snapshot (see the type's comment).
func (v *LineView) VerifyPIN(ctx context.Context, enrolmentID int64, pin, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, v.opts.PINTimeout)
	err := v.store.VerifyPIN(dbCtx, enrolmentID, pin, callerNumber, now)
	cancel()
	var wrong *oncall.WrongPINError
	var locked *oncall.LockedError
	if errors.As(err, &locked) {
		// Kept for when the database is away.
		v.rememberLock(enrolmentID, callerNumber, locked.Until)
		return err
	}
	if err == nil || errors.As(err, &wrong) || errors.Is(err, oncall.ErrNotFound) ||
		errors.Is(err, ErrNoPIN) || ctx.Err() != nil {
		return err
	}
	v.log.Warn("PIN checked against the roster snapshot: database unavailable", zap.Int64("enrolment_id", enrolmentID), zap.Error(err))
	return v.verifyInMemory(enrolmentID, pin, callerNumber, now)
}

// RefusePIN answers a PIN typed for an RPPS with no PIN to check as a wrong
// one (see Store.RefusePIN), in the database, else in memory.
func (v *LineView) RefusePIN(ctx context.Context, territoryID int64, rpps, pin, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, v.opts.PINTimeout)
	err := v.store.RefusePIN(dbCtx, territoryID, rpps, pin, callerNumber, now)
	cancel()
	var wrong *oncall.WrongPINError
	if err == nil || errors.As(err, &wrong) || errors.Is(err, oncall.ErrLocked) || ctx.Err() != nil {
		return err
	}
	v.log.Warn("identification failure counted in memory: database unavailable", zap.Error(err))
	_, _ = CheckPIN(dummyPINHash(), pin)
	v.failMu.Lock()
	defer v.failMu.Unlock()
	return v.failInMemory(territoryID, rpps, 0, callerNumber, now)
}

// failInMemory counts a failure per (RPPS, number), per number and, for an
// enrolment, per RPPS, with the store's rules; v.failMu is held.
func (v *LineView) failInMemory(territoryID int64, rpps string, enrolmentID int64, callerNumber string, now time.Time) error {
	pol := v.opts.Lockout
	if err := v.numberLockedInMemory(territoryID, rpps, callerNumber, now); err != nil {
		return err
	}
	pair := v.entry(v.pairs, pairKey{territoryID, rpps, callerNumber})
	pairLeft, pairUntil := pair.fail(pol.MaxAttempts, pol, now)
	caller := v.entry(v.callers, callerKey{territoryID, callerNumber})
	callerLeft, callerUntil := caller.fail(pol.callerLimit(callerNumber), pol, now)
	if enrolmentID != 0 {
		v.entry(v.failures, enrolmentID).fail(pol.RPPSAttempts, pol, now)
	}
	until := pairUntil
	if callerUntil.After(until) {
		until = callerUntil
	}
	if !until.IsZero() {
		return &oncall.LockedError{Until: until}
	}
	return &oncall.WrongPINError{Remaining: min(pairLeft, callerLeft)}
}

// numberLockedInMemory says whether this controller locked the number,
// for the RPPS or for all; v.failMu is held.
func (v *LineView) numberLockedInMemory(territoryID int64, rpps, callerNumber string, now time.Time) error {
	for _, f := range []*memFailures{v.pairs[pairKey{territoryID, rpps, callerNumber}], v.callers[callerKey{territoryID, callerNumber}]} {
		if f != nil && f.lockedUntil.After(now) {
			return &oncall.LockedError{Until: f.lockedUntil}
		}
	}
	return nil
}

func (v *LineView) entry(m any, k any) *memFailures {
	switch m := m.(type) {
	case map[pairKey]*memFailures:
		key := k.(pairKey)
		if m[key] == nil {
			m[key] = &memFailures{}
		}
		return m[key]
	case map[callerKey]*memFailures:
		key := k.(callerKey)
		if m[key] == nil {
			m[key] = &memFailures{}
		}
		return m[key]
	case map[int64]*memFailures:
		key := k.(int64)
		if m[key] == nil {
			m[key] = &memFailures{}
		}
		return m[key]
	}
	panic("roster.LineView: unknown failure map")
}

// rememberLock keeps a number's lock for an RPPS that the database
// reported, for when it is away.
func (v *LineView) rememberLock(enrolmentID int64, callerNumber string, until time.Time) {
	s, err := v.current()
	if err != nil {
		return
	}
	e, ok := s.byID[enrolmentID]
	if !ok {
		return
	}
	v.failMu.Lock()
	defer v.failMu.Unlock()
	f := v.entry(v.pairs, pairKey{e.TerritoryID, e.RPPS, callerNumber})
	if until.After(f.lockedUntil) {
		f.lockedUntil = until
	}
}

// CheckCaller says whether a caller number is locked, from the database
// (shared by every controller), else from what this controller counted
// while the database was away.
func (v *LineView) CheckCaller(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, v.opts.PINTimeout)
	err := v.store.CheckCaller(dbCtx, territoryID, callerNumber, now)
	cancel()
	if err == nil || errors.Is(err, oncall.ErrLocked) || ctx.Err() != nil {
		return err
	}
	v.failMu.Lock()
	defer v.failMu.Unlock()
	if f := v.callers[callerKey{territoryID, callerNumber}]; f != nil && f.lockedUntil.After(now) {
		return &oncall.LockedError{Until: f.lockedUntil}
	}
	return nil
}

// CallerFailure counts an unknown RPPS against the caller number, in the
// database, else in memory while it is away.
func (v *LineView) CallerFailure(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, v.opts.PINTimeout)
	err := v.store.RecordCallerFailure(dbCtx, territoryID, callerNumber, now)
	cancel()
	if err == nil || errors.Is(err, oncall.ErrLocked) || ctx.Err() != nil {
		return err
	}
	v.log.Warn("caller failure counted in memory: database unavailable", zap.Error(err))
	v.failMu.Lock()
	defer v.failMu.Unlock()
	_, until := v.entry(v.callers, callerKey{territoryID, callerNumber}).fail(v.opts.Lockout.callerLimit(callerNumber), v.opts.Lockout, now)
	if !until.IsZero() {
		return &oncall.LockedError{Until: until}
	}
	return nil
}

func (v *LineView) verifyInMemory(enrolmentID int64, pin, callerNumber string, now time.Time) error {
	s, err := v.current()
	if err != nil {
		return err
	}
	e, ok := s.byID[enrolmentID]
	if !ok {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, oncall.ErrNotFound)
	}
	v.failMu.Lock()
	defer v.failMu.Unlock()
	if err := v.numberLockedInMemory(e.TerritoryID, e.RPPS, callerNumber, now); err != nil {
		return err
	}
	hash, ok := s.pinHash[enrolmentID]
	if !ok {
		_, _ = CheckPIN(dummyPINHash(), pin)
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, ErrNoPIN)
	}
	rppsLocked := e.LockedUntil.After(now)
	if f := v.failures[enrolmentID]; f != nil && f.lockedUntil.After(now) {
		rppsLocked = true
	}
	right := false
	if rppsLocked && !slices.Contains(e.Phones, callerNumber) {
		_, _ = CheckPIN(dummyPINHash(), pin)
	} else if right, err = CheckPIN(hash, pin); err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	if right {
		delete(v.pairs, pairKey{e.TerritoryID, e.RPPS, callerNumber})
		return nil
	}
	return v.failInMemory(e.TerritoryID, e.RPPS, enrolmentID, callerNumber, now)
}

// OnDuty resolves the escalation chain from the snapshot, with the same
// rules as Store.OnDuty: per rank an override wins over the shift, a
// specialist appears once (at their first rank), phones come from the requis
// enrolment else the practitioner's own, the fallback line comes last.
func (v *LineView) OnDuty(_ context.Context, territoryID, specialtyID int64, at time.Time) ([]oncall.Candidate, error) {
	s, err := v.current()
	if err != nil {
		return nil, err
	}
	sp, ok := s.specialty[specialtyID]
	if !ok {
		return nil, fmt.Errorf("specialty %d: %w", specialtyID, oncall.ErrNotFound)
	}
	held := map[int]heldSpan{}
	for _, h := range s.shifts[specialtyID] {
		if at.Before(h.start) || !at.Before(h.end) {
			continue
		}
		if cur, ok := held[h.rank]; !ok || (h.override && !cur.override) {
			held[h.rank] = h
		}
	}
	ranks := make([]int, 0, len(held))
	for r := range held {
		ranks = append(ranks, r)
	}
	sort.Ints(ranks)
	chain := make([]oncall.Candidate, 0, len(ranks)+1)
	seen := map[string]bool{}
	for _, r := range ranks {
		h := held[r]
		if seen[h.rpps] {
			continue
		}
		seen[h.rpps] = true
		e := s.requis[requisKey{territoryID, specialtyID, h.rpps}]
		phones := e.Phones
		if len(phones) == 0 {
			phones = e.Practitioner.Phones
		}
		chain = append(chain, oncall.Candidate{Rank: r, RPPS: h.rpps, LastName: h.last, FirstName: h.first, Phones: phones})
	}
	if sp.FallbackPhone != "" {
		chain = append(chain, oncall.Candidate{Fallback: true, Label: sp.FallbackLabel, Phones: []string{sp.FallbackPhone}})
	}
	return chain, nil
}
