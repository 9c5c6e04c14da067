package calllog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/calllog/callevent"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// SpoolDir is where a Recorder keeps its spool under regul's data_dir.
func SpoolDir(dataDir string) string { return filepath.Join(dataDir, "spool") }

// Options tune a Recorder. Dir and Log are required; the rest has defaults.
type Options struct {
	Dir       string      // the spool directory, e.g. <data_dir>/spool
	Log       *zap.Logger // no call data beyond ids is logged
	Clock     clock.Clock // stamps events recorded without a time; default clock.System()
	BatchSize int         // events per transaction (default 256)
	// ApplyInterval is the shortest time between two transactions of the
	// applier unless the last one was full (default 200 ms; negative:
	// none): events wait at most that long in the spool, and PostgreSQL
	// commits and the checkpoint's writes happen at most 1/ApplyInterval
	// times a second under load, whatever the number of calls. The first
	// event after a quiet spell goes at once.
	ApplyInterval time.Duration
	// SyncInterval is the shortest time between two fsyncs of the spool
	// (default 50 ms; negative: none). Lines are written to the file as
	// they are recorded (by the writer goroutine, woken by each, also
	// during an fsync), so a crash of the process loses at most the lines
	// of the instant before it; only a power cut could lose what the next
	// fsync was about to cover, and the applier reads only what an fsync
	// covered.
	SyncInterval time.Duration
	MaxBackoff   time.Duration // longest wait between two tries while PostgreSQL is down (default 5 s)
	SegmentSize  int64         // bytes after which a new segment starts (default 4 MiB)
	// OnApply, when set, is called for every event newly written to
	// PostgreSQL, inside the transaction that writes it (never for a
	// replayed duplicate): what it writes commits or rolls back with the
	// event. An error fails the batch like a database error would.
	OnApply ApplyHook
	// OnApplyKinds, when not empty, are the only kinds OnApply is called
	// for: the projections of the other events are then sent to PostgreSQL
	// together, not flushed before each call of the hook.
	OnApplyKinds []callevent.Kind
	// MaxQueued bounds the events held in memory while the disk refuses
	// them (full, failing): past it Record refuses new ones (counted as
	// Dropped). Default 200,000 events, about 80 MB and days of a region.
	MaxQueued int
	// QuarantineFile is where spool lines that cannot be read back are
	// moved (default <Dir>/quarantine.jsonl).
	QuarantineFile string
	// Ready, when set, holds the applier until it is closed: a controller
	// started without the database applies nothing before it has checked
	// the schema (an older schema would refuse events for good). Events
	// are spooled meanwhile as usual.
	Ready <-chan struct{}
	// OpenFile opens the segment files (default os.OpenFile); tests inject
	// a full or failing disk through it.
	OpenFile OpenFileFunc
}

// ApplyHook writes what follows from a call event in the event's own
// transaction (e.g. the SMS outbox rows of a callback request).
type ApplyHook func(ctx context.Context, tx pgx.Tx, ev callevent.Event) error

// Stats are the recorder's counters, for metrics and readiness.
type Stats struct {
	Spooled      uint64    // events recorded since start
	Applied      uint64    // events committed to PostgreSQL since start (replays included)
	Duplicates   uint64    // of those, events found already applied (replay after a crash)
	Rejected     uint64    // events PostgreSQL refused (kept in <dir>/rejected.jsonl)
	Corrupt      uint64    // spool lines that could not be read back (torn by a crash, failing their checksum), moved to the quarantine file
	Dropped      uint64    // events that could not be written to the spool (disk error)
	FailedTries  uint64    // batches PostgreSQL could not take (unreachable), retried with backoff
	Pending      int64     // events in the spool not yet applied
	DatabaseDown bool      // the last try to reach PostgreSQL failed
	WriteFailing bool      // the last write or fsync of the spool failed: events wait in memory (Queued)
	WriteError   string    // that failure, "" when writing works
	Queued       int       // events waiting in memory for the disk
	LastError    string    // the last error, "" when none
	LastErrorAt  time.Time //
}

// Recorder takes a call's events without ever waiting on PostgreSQL: Record
// appends them to the local spool and one applier goroutine writes them to
// PostgreSQL in order, in batches, each batch in one transaction followed by
// a durable checkpoint. On start it replays from the checkpoint; replaying
// an event already applied is a no-op thanks to (call_id, seq).
type Recorder struct {
	opts  Options
	store *Store
	log   *zap.Logger
	lock  *os.File
	w     *segmentWriter

	mu      sync.Mutex
	stats   Stats
	durable position      // what the writer has fsynced
	changed chan struct{} // closed and replaced at every change of durable or stats
	// advanced is closed and replaced when durable moves: the applier
	// waits on it, not on changed, which every Record closes.
	advanced chan struct{}
	unsynced chan struct{} // the writer wrote lines: the syncer fsyncs them
	closing  bool

	ckpt   position // the applier's own: only its goroutine touches it
	stop   chan struct{}
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// OpenRecorder opens (or creates) the spool in opts.Dir, counts what an
// earlier process left unapplied, and starts the writer and the applier.
// Only one process may use a spool directory at a time.
func OpenRecorder(store *Store, opts Options) (*Recorder, error) {
	if store == nil || opts.Dir == "" || opts.Log == nil {
		return nil, errors.New("calllog: a store, Options.Dir and Options.Log are required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.System()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	if opts.SyncInterval == 0 {
		opts.SyncInterval = 50 * time.Millisecond
	}
	if opts.ApplyInterval == 0 {
		opts.ApplyInterval = 200 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 4 << 20
	}
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = 200_000
	}
	if opts.QuarantineFile == "" {
		opts.QuarantineFile = filepath.Join(opts.Dir, "quarantine.jsonl")
	}
	if opts.OpenFile == nil {
		opts.OpenFile = osOpenFile
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool directory %s: %w", opts.Dir, err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	r := &Recorder{opts: opts, store: store, log: opts.Log.With(zap.String("spool", opts.Dir)), lock: lock,
		changed: make(chan struct{}), advanced: make(chan struct{}), unsynced: make(chan struct{}, 1),
		stop: make(chan struct{})}
	if err := r.open(); err != nil {
		lock.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done.Add(3)
	go r.writeLoop()
	go r.syncLoop()
	go r.applyLoop(ctx)
	return r, nil
}

// open finds the checkpoint and the backlog, and starts a new segment after
// every existing one.
func (r *Recorder) open() error {
	segs, err := listSegments(r.opts.Dir)
	if err != nil {
		return err
	}
	ckpt, ok := loadCheckpoint(r.opts.Dir, r.log)
	if !ok && len(segs) > 0 {
		ckpt = position{Segment: segs[0]}
	}
	next := ckpt.Segment + 1
	if len(segs) > 0 && segs[len(segs)-1] >= next {
		next = segs[len(segs)-1] + 1
	}
	for _, s := range segs {
		if s < ckpt.Segment {
			_ = os.Remove(filepath.Join(r.opts.Dir, segmentName(s)))
		}
	}
	// Count what is left to apply, so that Pending is right from the start.
	backlog, err := countFrom(r.opts.Dir, ckpt)
	if err != nil {
		return err
	}
	w, err := newSegmentWriter(r.opts.Dir, next, r.opts.SegmentSize, r.opts.MaxQueued, r.opts.OpenFile, r.log)
	if err != nil {
		return err
	}
	r.w = w
	r.ckpt = ckpt
	r.durable = position{Segment: next}
	r.stats.Pending = backlog
	if backlog > 0 {
		r.log.Info("replaying call events left in the spool", zap.Int64("events", backlog))
	}
	return nil
}

// Record spools one event. It never waits on the database and is safe from
// many goroutines; events of one call must be recorded in seq order. An
// event without a time is stamped now. An invalid event is logged and
// dropped (it is a bug in the caller: PostgreSQL would refuse it). The
// error says the event could not even be spooled; it is also counted.
func (r *Recorder) Record(ev callevent.Event) error {
	if ev.At.IsZero() {
		ev.At = r.opts.Clock.Now()
	}
	if err := ev.Validate(); err != nil {
		r.fail("invalid call event dropped", err, func(s *Stats) { s.Dropped++ })
		return fmt.Errorf("record call event: %w", err)
	}
	line, err := encodeLine(ev)
	if err == nil {
		err = r.w.append(line)
	}
	if err != nil {
		r.fail("call event could not be spooled", err, func(s *Stats) { s.Dropped++ },
			zap.String("call_id", ev.CallID), zap.Int("seq", ev.Seq))
		return fmt.Errorf("spool call event %s/%d: %w", ev.CallID, ev.Seq, err)
	}
	r.update(func(s *Stats) { s.Spooled++; s.Pending++ })
	return nil
}

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	st := r.stats
	r.mu.Unlock()
	st.Queued = r.w.queued()
	return st
}

// WaitDrained returns once every event recorded so far has been applied (or
// rejected), or with ctx's error. For tests and orderly shutdowns.
func (r *Recorder) WaitDrained(ctx context.Context) error {
	for {
		r.mu.Lock()
		pending, ch := r.stats.Pending, r.changed
		r.mu.Unlock()
		if pending <= 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for the spool to drain (%d events pending): %w", pending, context.Cause(ctx))
		}
	}
}

// Close stops taking events, fsyncs the spool, and gives the applier until
// ctx ends to write the rest to PostgreSQL. What is left stays in the spool
// for the next start; nothing is lost either way.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return nil
	}
	r.closing = true
	r.mu.Unlock()

	r.w.refuse()
	close(r.stop) // the syncer does a last fsync and exits
	drainErr := r.WaitDrained(ctx)
	r.cancel()
	r.done.Wait()
	r.w.close()
	r.lock.Close()
	if drainErr != nil {
		return fmt.Errorf("close call recorder: %w (kept in the spool for the next start)", drainErr)
	}
	return nil
}

// Abandon stops the recorder as a crash would: nothing more is written,
// what was not yet written to the spool file is lost, and the spool stays
// for the next start (tests of a controller crash).
func (r *Recorder) Abandon() {
	r.mu.Lock()
	closing := r.closing
	r.mu.Unlock()
	if !closing {
		r.abort()
	}
}

// abort stops the goroutines without a last fsync or drain, as a crash
// would (tests only).
func (r *Recorder) abort() {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.w.refuse()
	r.cancel()
	close(r.stop)
	r.done.Wait()
	r.w.close()
	r.lock.Close()
}

func (r *Recorder) update(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.changedLocked()
	r.mu.Unlock()
}

// changedLocked and advancedLocked wake the waiters of a change of the
// stats or durable, and of durable alone; r.mu is held.
func (r *Recorder) changedLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Recorder) advancedLocked() {
	close(r.advanced)
	r.advanced = make(chan struct{})
}

func (r *Recorder) fail(msg string, err error, f func(*Stats), fields ...zap.Field) {
	r.log.Error(msg, append(fields, zap.Error(err))...)
	r.update(func(s *Stats) {
		if f != nil {
			f(s)
		}
		s.LastError, s.LastErrorAt = err.Error(), r.opts.Clock.Now()
	})
}

// writeLoop writes lines to the file as soon as they are recorded, also
// while an fsync is under way: a crash of the process loses at most the
// lines of its last instant, and append itself never waits on the disk.
func (r *Recorder) writeLoop() {
	defer r.done.Done()
	for {
		select {
		case <-r.w.kick:
		case <-r.stop:
			return // the syncer's last fsync writes what is left
		}
		// After a failed write only the syncer writes, with a backoff:
		// not one new segment per event.
		if !r.w.failing.Load() {
			_ = r.w.flush()
		}
		select {
		case r.unsynced <- struct{}{}:
		default:
		}
	}
}

// syncLoop fsyncs the written lines in groups, at most once per
// SyncInterval, and tells the applier how far the spool is durable.
func (r *Recorder) syncLoop() {
	defer r.done.Done()
	var lastSync time.Time
	due := time.NewTimer(time.Hour)
	due.Stop()
	for {
		select {
		case <-r.unsynced:
		case <-r.stop:
			r.syncNow()
			return
		}
		due.Reset(max(0, r.opts.SyncInterval-time.Since(lastSync)))
		select {
		case <-due.C:
		case <-r.stop:
			due.Stop()
			r.syncNow()
			return
		}
		lastSync = time.Now()
		for !r.syncNow() { // a failing disk: retry without waiting for a new event
			select {
			case <-time.After(r.opts.MaxBackoff):
			case <-r.stop:
				r.syncNow()
				return
			}
		}
	}
}

func (r *Recorder) syncNow() bool {
	pos, err := r.w.sync()
	if err != nil {
		r.fail("spool write or fsync failed: call events wait in memory until the disk takes them", err,
			func(s *Stats) { s.WriteFailing, s.WriteError = true, err.Error() })
		return false
	}
	r.mu.Lock()
	if r.stats.WriteFailing {
		r.log.Info("spool writes work again: the call events held in memory are on disk")
		r.stats.WriteFailing, r.stats.WriteError = false, ""
		r.durable = maxPos(r.durable, pos)
		r.changedLocked()
		r.advancedLocked()
	} else if r.durable.before(pos) {
		r.durable = pos
		r.changedLocked()
		r.advancedLocked()
	}
	r.mu.Unlock()
	return true
}

func maxPos(a, b position) position {
	if a.before(b) {
		return b
	}
	return a
}
