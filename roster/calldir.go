package roster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// CallDirectory serves the call script's lookups (territory by DID, the
// calling GP, who is on duty) from an in-memory snapshot of the roster that
// it refreshes in the background. A call never waits on PostgreSQL for them,
// and new calls still connect while the database is down: the snapshot keeps
// serving what it last loaded. A roster change is seen within one refresh.
//
// PIN checks go to the database, which counts failures for every controller;
// when the database does not answer, the PIN is checked against the
// snapshot's hash and failures are counted in memory with the same policy.
type CallDirectory struct {
	store    *Store
	log      *zap.Logger
	clock    clock.Clock
	opts     CallDirectoryOptions
	mu       sync.RWMutex
	snap     *snapshot
	loadedAt time.Time
	failMu   sync.Mutex
	failures map[int64]*memFailures // by enrolment id: locks seen, and counts while the database is away
	callers  map[callerKey]*memFailures
	pairs    map[pairKey]*memFailures
	outage   bool
}

// CallDirectoryOptions tune the snapshot.
type CallDirectoryOptions struct {
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
	byDID      map[string]*Territory
	requerants map[int64]map[string]Enrolment // territory → RPPS
	byPhone    map[int64]map[string][]Enrolment
	byID       map[int64]Enrolment
	pinHash    map[int64]string
	requis     map[requisKey]Enrolment
	shifts     map[int64][]heldSpan // by specialty
	specialty  map[int64]Specialty
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

// NewCallDirectory returns a directory; call Refresh once before use, then
// Run in the background.
func NewCallDirectory(store *Store, opts CallDirectoryOptions, clk clock.Clock, log *zap.Logger) *CallDirectory {
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
	return &CallDirectory{store: store, log: log, clock: clk, opts: opts,
		failures: map[int64]*memFailures{}, callers: map[callerKey]*memFailures{}, pairs: map[pairKey]*memFailures{}}
}

// Run refreshes the snapshot until ctx ends. A failed refresh keeps the
// previous snapshot and is logged once per outage.
func (d *CallDirectory) Run(ctx context.Context) {
	t := time.NewTicker(d.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := d.Refresh(ctx)
			switch {
			case err != nil && !d.outage:
				d.outage = true
				d.log.Warn("roster snapshot not refreshed; calls keep using the last one", zap.Error(err), zap.Time("loaded_at", d.LoadedAt()))
			case err == nil && d.outage:
				d.outage = false
				d.log.Info("roster snapshot refreshed again")
			}
		}
	}
}

// LoadedAt says when the snapshot in use was loaded (zero before the first).
func (d *CallDirectory) LoadedAt() time.Time {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.loadedAt
}

// Refresh reloads the snapshot from the database.
func (d *CallDirectory) Refresh(ctx context.Context) error {
	now := d.clock.Now()
	data, err := d.load(ctx, now.Add(-d.opts.Behind), now.Add(d.opts.Ahead))
	if err != nil {
		return fmt.Errorf("load roster snapshot: %w", err)
	}
	d.mu.Lock()
	d.snap, d.loadedAt = data.build(), now
	d.mu.Unlock()
	if d.opts.SnapshotFile != "" {
		// Not fatal: the calls use the snapshot in memory; only a start
		// without the database would miss it. Logged at every failure.
		if err := writeSnapshotFile(d.opts.SnapshotFile, data, now); err != nil {
			d.log.Error("roster snapshot not saved under data_dir: a start without the database would use an older one", zap.Error(err))
		}
	}
	return nil
}

func (d *CallDirectory) current() (*snapshot, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.snap == nil {
		return nil, errors.New("roster snapshot not loaded yet")
	}
	return d.snap, nil
}

// TerritoryByDID returns the territory a regulation number belongs to.
func (d *CallDirectory) TerritoryByDID(_ context.Context, did string) (Territory, error) {
	s, err := d.current()
	if err != nil {
		return Territory{}, err
	}
	if e164, err := NormalizePhone(did); err == nil {
		did = e164
	}
	t, ok := s.byDID[did]
	if !ok {
		return Territory{}, fmt.Errorf("regulation number %s: %w", did, ErrNotFound)
	}
	return *t, nil
}

// Requerant returns a GP's requérant enrolment in a territory.
func (d *CallDirectory) Requerant(_ context.Context, territoryID int64, rpps string) (Enrolment, error) {
	s, err := d.current()
	if err != nil {
		return Enrolment{}, err
	}
	norm, err := NormalizeRPPS(rpps)
	if err != nil {
		return Enrolment{}, fmt.Errorf("requérant: %w", err)
	}
	e, ok := s.requerants[territoryID][norm]
	if !ok {
		return Enrolment{}, fmt.Errorf("requérant %s: %w", norm, ErrNotFound)
	}
	return d.withMemoryLock(e), nil
}

// RequerantByPhone returns the one GP whose phones include the number.
func (d *CallDirectory) RequerantByPhone(_ context.Context, territoryID int64, phone string) (Enrolment, error) {
	s, err := d.current()
	if err != nil {
		return Enrolment{}, err
	}
	e164, err := NormalizePhone(phone)
	if err != nil {
		return Enrolment{}, fmt.Errorf("requérant by phone: %w: %w", ErrNotFound, err)
	}
	found := s.byPhone[territoryID][e164]
	if len(found) != 1 {
		return Enrolment{}, fmt.Errorf("requérant by phone: %w", ErrNotFound)
	}
	return d.withMemoryLock(found[0]), nil
}

func (d *CallDirectory) withMemoryLock(e Enrolment) Enrolment {
	d.failMu.Lock()
	defer d.failMu.Unlock()
	if f := d.failures[e.ID]; f != nil && f.lockedUntil.After(e.LockedUntil) {
		e.LockedUntil = f.lockedUntil
	}
	return e
}

// VerifyPIN checks the PIN in the database; when the database does not
// answer in time, against the snapshot (see the type's comment).
func (d *CallDirectory) VerifyPIN(ctx context.Context, enrolmentID int64, pin, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, d.opts.PINTimeout)
	err := d.store.VerifyPIN(dbCtx, enrolmentID, pin, callerNumber, now)
	cancel()
	var wrong *WrongPINError
	var locked *LockedError
	if errors.As(err, &locked) {
		// Kept for when the database is away.
		d.rememberLock(enrolmentID, callerNumber, locked.Until)
		return err
	}
	if err == nil || errors.As(err, &wrong) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, ErrNoPIN) || ctx.Err() != nil {
		return err
	}
	d.log.Warn("PIN checked against the roster snapshot: database unavailable", zap.Int64("enrolment_id", enrolmentID), zap.Error(err))
	return d.verifyInMemory(enrolmentID, pin, callerNumber, now)
}

// RefusePIN answers a PIN typed for an RPPS with no PIN to check as a wrong
// one (see Store.RefusePIN), in the database, else in memory.
func (d *CallDirectory) RefusePIN(ctx context.Context, territoryID int64, rpps, pin, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, d.opts.PINTimeout)
	err := d.store.RefusePIN(dbCtx, territoryID, rpps, pin, callerNumber, now)
	cancel()
	var wrong *WrongPINError
	if err == nil || errors.As(err, &wrong) || errors.Is(err, ErrLocked) || ctx.Err() != nil {
		return err
	}
	d.log.Warn("identification failure counted in memory: database unavailable", zap.Error(err))
	_, _ = CheckPIN(dummyPINHash(), pin)
	d.failMu.Lock()
	defer d.failMu.Unlock()
	return d.failInMemory(territoryID, rpps, 0, callerNumber, now)
}

// failInMemory counts a failure per (RPPS, number), per number and, for an
// enrolment, per RPPS, with the store's rules; d.failMu is held.
func (d *CallDirectory) failInMemory(territoryID int64, rpps string, enrolmentID int64, callerNumber string, now time.Time) error {
	pol := d.opts.Lockout
	if err := d.numberLockedInMemory(territoryID, rpps, callerNumber, now); err != nil {
		return err
	}
	pair := d.entry(d.pairs, pairKey{territoryID, rpps, callerNumber})
	pairLeft, pairUntil := pair.fail(pol.MaxAttempts, pol, now)
	caller := d.entry(d.callers, callerKey{territoryID, callerNumber})
	callerLeft, callerUntil := caller.fail(pol.callerLimit(callerNumber), pol, now)
	if enrolmentID != 0 {
		d.entry(d.failures, enrolmentID).fail(pol.RPPSAttempts, pol, now)
	}
	until := pairUntil
	if callerUntil.After(until) {
		until = callerUntil
	}
	if !until.IsZero() {
		return &LockedError{Until: until}
	}
	return &WrongPINError{Remaining: min(pairLeft, callerLeft)}
}

// numberLockedInMemory says whether this controller locked the number,
// for the RPPS or for all; d.failMu is held.
func (d *CallDirectory) numberLockedInMemory(territoryID int64, rpps, callerNumber string, now time.Time) error {
	for _, f := range []*memFailures{d.pairs[pairKey{territoryID, rpps, callerNumber}], d.callers[callerKey{territoryID, callerNumber}]} {
		if f != nil && f.lockedUntil.After(now) {
			return &LockedError{Until: f.lockedUntil}
		}
	}
	return nil
}

func (d *CallDirectory) entry(m any, k any) *memFailures {
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
	panic("calldir: unknown failure map")
}

// rememberLock keeps a number's lock for an RPPS that the database
// reported, for when it is away.
func (d *CallDirectory) rememberLock(enrolmentID int64, callerNumber string, until time.Time) {
	s, err := d.current()
	if err != nil {
		return
	}
	e, ok := s.byID[enrolmentID]
	if !ok {
		return
	}
	d.failMu.Lock()
	defer d.failMu.Unlock()
	f := d.entry(d.pairs, pairKey{e.TerritoryID, e.RPPS, callerNumber})
	if until.After(f.lockedUntil) {
		f.lockedUntil = until
	}
}

// CheckCaller says whether a caller number is locked, from the database
// (shared by every controller), else from what this controller counted
// while the database was away.
func (d *CallDirectory) CheckCaller(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, d.opts.PINTimeout)
	err := d.store.CheckCaller(dbCtx, territoryID, callerNumber, now)
	cancel()
	if err == nil || errors.Is(err, ErrLocked) || ctx.Err() != nil {
		return err
	}
	d.failMu.Lock()
	defer d.failMu.Unlock()
	if f := d.callers[callerKey{territoryID, callerNumber}]; f != nil && f.lockedUntil.After(now) {
		return &LockedError{Until: f.lockedUntil}
	}
	return nil
}

// CallerFailure counts an unknown RPPS against the caller number, in the
// database, else in memory while it is away.
func (d *CallDirectory) CallerFailure(ctx context.Context, territoryID int64, callerNumber string, now time.Time) error {
	dbCtx, cancel := context.WithTimeout(ctx, d.opts.PINTimeout)
	err := d.store.RecordCallerFailure(dbCtx, territoryID, callerNumber, now)
	cancel()
	if err == nil || errors.Is(err, ErrLocked) || ctx.Err() != nil {
		return err
	}
	d.log.Warn("caller failure counted in memory: database unavailable", zap.Error(err))
	d.failMu.Lock()
	defer d.failMu.Unlock()
	_, until := d.entry(d.callers, callerKey{territoryID, callerNumber}).fail(d.opts.Lockout.callerLimit(callerNumber), d.opts.Lockout, now)
	if !until.IsZero() {
		return &LockedError{Until: until}
	}
	return nil
}

func (d *CallDirectory) verifyInMemory(enrolmentID int64, pin, callerNumber string, now time.Time) error {
	s, err := d.current()
	if err != nil {
		return err
	}
	e, ok := s.byID[enrolmentID]
	if !ok {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, ErrNotFound)
	}
	d.failMu.Lock()
	defer d.failMu.Unlock()
	if err := d.numberLockedInMemory(e.TerritoryID, e.RPPS, callerNumber, now); err != nil {
		return err
	}
	hash, ok := s.pinHash[enrolmentID]
	if !ok {
		_, _ = CheckPIN(dummyPINHash(), pin)
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, ErrNoPIN)
	}
	rppsLocked := e.LockedUntil.After(now)
	if f := d.failures[enrolmentID]; f != nil && f.lockedUntil.After(now) {
		rppsLocked = true
	}
	right := false
	if rppsLocked && !slices.Contains(e.Phones, callerNumber) {
		_, _ = CheckPIN(dummyPINHash(), pin)
	} else if right, err = CheckPIN(hash, pin); err != nil {
		return fmt.Errorf("verify PIN of enrolment %d: %w", enrolmentID, err)
	}
	if right {
		delete(d.pairs, pairKey{e.TerritoryID, e.RPPS, callerNumber})
		return nil
	}
	return d.failInMemory(e.TerritoryID, e.RPPS, enrolmentID, callerNumber, now)
}

// OnDuty resolves the escalation chain from the snapshot, with the same
// rules as Store.OnDuty: per rank an override wins over the shift, a
// specialist appears once (at their first rank), phones come from the requis
// enrolment else the directory, the fallback line comes last.
func (d *CallDirectory) OnDuty(_ context.Context, territoryID, specialtyID int64, at time.Time) ([]Candidate, error) {
	s, err := d.current()
	if err != nil {
		return nil, err
	}
	sp, ok := s.specialty[specialtyID]
	if !ok {
		return nil, fmt.Errorf("specialty %d: %w", specialtyID, ErrNotFound)
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
	chain := make([]Candidate, 0, len(ranks)+1)
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
		chain = append(chain, Candidate{Rank: r, RPPS: h.rpps, LastName: h.last, FirstName: h.first, Phones: phones})
	}
	if sp.FallbackPhone != "" {
		chain = append(chain, Candidate{Fallback: true, Label: sp.FallbackLabel, Phones: []string{sp.FallbackPhone}})
	}
	return chain, nil
}
