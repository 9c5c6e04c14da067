package calllog

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/regul-sante/regul/calllog/callevent"
	"go.uber.org/zap"
)

// The spool is a directory of segment files, "seg-<n>.jsonl", each a series
// of lines "<crc32c of the JSON, 8 hex digits> <event JSON>\n". Segments are
// numbered in write order; a process never appends to a segment written by
// an earlier process (a torn tail stays where it is), and a segment is
// removed once the checkpoint has moved past it.
//
// Durability: Record only queues the line in memory; a group-commit
// goroutine writes every queued line in one write and fsyncs it, at once.
// So a crash of the process or a power loss loses at most the events of the
// last few milliseconds, and no call ever waits on the disk: a write() to a
// file being fsynced can stall for milliseconds behind the filesystem's
// journal, which once put 10 ms between a GP's last key and the specialist's
// phone ringing. The applier reads only what has been fsynced, so the
// checkpoint never points past what a power loss would leave on disk.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const segmentPrefix, segmentSuffix = "seg-", ".jsonl"

// position is a place in the spool: a segment and a byte offset in it.
type position struct {
	Segment uint64 `json:"segment"`
	Offset  int64  `json:"offset"`
}

func (p position) before(q position) bool {
	return p.Segment < q.Segment || (p.Segment == q.Segment && p.Offset < q.Offset)
}

func segmentName(n uint64) string { return fmt.Sprintf("%s%012d%s", segmentPrefix, n, segmentSuffix) }

// encodeLine renders an event as one checksummed spool line.
func encodeLine(ev callevent.Event) ([]byte, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(data)+10)
	line = fmt.Appendf(line, "%08x ", crc32.Checksum(data, castagnoli))
	line = append(line, data...)
	return append(line, '\n'), nil
}

// decodeLine checks a line (without its '\n') and returns its event.
func decodeLine(line []byte) (callevent.Event, error) {
	var ev callevent.Event
	if len(line) < 10 || line[8] != ' ' {
		return ev, errors.New("malformed line")
	}
	want, err := strconv.ParseUint(string(line[:8]), 16, 32)
	if err != nil {
		return ev, errors.New("malformed checksum")
	}
	data := line[9:]
	if crc32.Checksum(data, castagnoli) != uint32(want) {
		return ev, errors.New("checksum mismatch")
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("decode event: %w", err)
	}
	return ev, nil
}

// listSegments returns the segment numbers present in dir, ascending.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list spool %s: %w", dir, err)
	}
	var segs []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, segmentPrefix) || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segmentPrefix), segmentSuffix), 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, n)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i] < segs[j] })
	return segs, nil
}

// SpoolFile is what the spool needs of a segment file; *os.File is one.
// Tests give Options.OpenFile a failing one (a full disk, a failing fsync).
type SpoolFile interface {
	Write(p []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
	Name() string
}

// OpenFileFunc opens a file the way os.OpenFile does.
type OpenFileFunc func(name string, flag int, perm os.FileMode) (SpoolFile, error)

func osOpenFile(name string, flag int, perm os.FileMode) (SpoolFile, error) {
	return os.OpenFile(name, flag, perm)
}

// errQueueFull refuses an event when the disk has been failing for so long
// that the lines waiting for it reached Options.MaxQueued.
var errQueueFull = errors.New("spool queue full: the disk has refused writes for too long")

// segmentWriter queues lines, writes them to the current segment and fsyncs
// them in groups. It is safe for concurrent use.
//
// A line leaves memory only once an fsync covering it succeeded: after a
// failed write or fsync (a full disk, an I/O error) the segment is given up
// for a new one and every line not yet known durable is written again there
// (a line written twice is applied once). After a failed fsync the kernel may
// have dropped the dirty pages and a later fsync of the same file would
// report success: hence never trusting that file again.
type segmentWriter struct {
	dir      string
	maxSize  int64
	maxQueue int
	open     OpenFileFunc
	log      *zap.Logger

	qmu     sync.Mutex // guards the queue only: append never waits on the disk
	queue   [][]byte
	refused bool

	mu       sync.Mutex // guards the files
	cur      SpoolFile
	curSeg   uint64
	curSize  int64
	broken   bool        // cur refused a write or an fsync: start a new segment before writing
	unsynced [][]byte    // written since the last successful fsync, oldest first
	retired  []SpoolFile // rotated out, to be synced and closed by the syncer
	dirDirty bool        // a segment was created: the directory needs an fsync
	closed   bool

	kick chan struct{} // something is queued: the writer writes it

	// failing is set by a failed write or fsync and cleared by a good
	// fsync: meanwhile only the syncer's fsync path writes, with a
	// backoff, instead of opening a segment per event.
	failing atomic.Bool
}

func newSegmentWriter(dir string, first uint64, maxSize int64, maxQueue int, open OpenFileFunc, log *zap.Logger) (*segmentWriter, error) {
	w := &segmentWriter{dir: dir, maxSize: maxSize, maxQueue: maxQueue, open: open, log: log, kick: make(chan struct{}, 1)}
	if err := w.openSegment(first); err != nil {
		return nil, err
	}
	return w, nil
}

// openSegment starts segment n; w.mu is held (or w is not shared yet).
func (w *segmentWriter) openSegment(n uint64) error {
	f, err := w.open(filepath.Join(w.dir, segmentName(n)), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("create spool segment: %w", err)
	}
	if w.cur != nil {
		w.retired = append(w.retired, w.cur)
	}
	w.cur, w.curSeg, w.curSize, w.dirDirty, w.broken = f, n, 0, true, false
	return nil
}

// replaceBroken gives up the current segment for the next one and queues
// again, in front, every line not known durable; w.mu is held.
func (w *segmentWriter) replaceBroken() error {
	w.broken = true
	w.requeue(w.unsynced)
	w.unsynced = nil
	next := w.curSeg + 1
	for {
		err := w.openSegment(next)
		if err == nil || !errors.Is(err, os.ErrExist) {
			return err
		}
		next++ // a segment a failed try left behind: skip it
	}
}

// append queues one line for the group commit.
func (w *segmentWriter) append(line []byte) error {
	w.qmu.Lock()
	if w.refused {
		w.qmu.Unlock()
		return errors.New("spool is closed")
	}
	if w.maxQueue > 0 && len(w.queue) >= w.maxQueue {
		w.qmu.Unlock()
		return errQueueFull
	}
	w.queue = append(w.queue, line)
	w.qmu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return nil
}

// queued is how many lines wait to be written.
func (w *segmentWriter) queued() int {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	return len(w.queue)
}

// flush writes the queued lines, in order, in one write. After a failed or
// short write the bytes written are cut off when the file lets us, and the
// segment is abandoned for a new one (so that a torn line is never followed
// by good lines in the same file); the lines stay queued for the next try.
func (w *segmentWriter) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.qmu.Lock()
	lines := w.queue
	w.queue = nil
	w.qmu.Unlock()
	if len(lines) == 0 {
		return nil
	}
	if w.closed {
		w.requeue(lines)
		return errors.New("spool is closed")
	}
	if w.broken || w.curSize >= w.maxSize {
		var err error
		if w.broken {
			err = w.replaceBroken()
		} else {
			err = w.openSegment(w.curSeg + 1)
		}
		if err != nil {
			w.requeue(lines)
			return err
		}
	}
	var buf []byte
	for _, l := range lines {
		buf = append(buf, l...)
	}
	before := w.curSize
	n, err := w.cur.Write(buf)
	w.curSize += int64(n)
	if err != nil {
		if n > 0 {
			if terr := w.cur.Truncate(before); terr == nil {
				w.curSize = before
			}
		}
		w.requeue(lines)
		w.failing.Store(true)
		if rerr := w.replaceBroken(); rerr != nil {
			w.log.Error("cannot start a new spool segment after a write error", zap.Error(rerr))
		}
		return fmt.Errorf("write spool segment: %w", err)
	}
	w.unsynced = append(w.unsynced, lines...)
	return nil
}

func (w *segmentWriter) requeue(lines [][]byte) {
	if len(lines) == 0 {
		return
	}
	w.qmu.Lock()
	w.queue = append(append([][]byte(nil), lines...), w.queue...)
	w.qmu.Unlock()
}

// sync fsyncs everything written so far and returns the position up to
// which the spool is durable. Only the syncer goroutine calls it.
func (w *segmentWriter) sync() (position, error) {
	if err := w.flush(); err != nil {
		return position{}, err
	}
	w.mu.Lock()
	files := append(append([]SpoolFile(nil), w.retired...), w.cur)
	retired := w.retired
	w.retired = nil
	pos := position{Segment: w.curSeg, Offset: w.curSize}
	dirDirty := w.dirDirty
	w.dirDirty = false
	synced := len(w.unsynced)
	w.mu.Unlock()

	var errs []error
	for _, f := range files {
		if err := f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("fsync %s: %w", f.Name(), err))
		}
	}
	if dirDirty {
		if err := syncDir(w.dir); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range retired {
		_ = f.Close()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(errs) > 0 {
		// Do not advance, and trust none of it: every line written since
		// the last good fsync is written again in a new segment.
		w.dirDirty = true
		w.failing.Store(true)
		if err := w.replaceBroken(); err != nil {
			errs = append(errs, err)
		}
		return position{}, errors.Join(errs...)
	}
	// Lines written after the fsyncs started stay unsynced for the next.
	w.unsynced = w.unsynced[synced:]
	w.failing.Store(false)
	return pos, nil
}

// refuse makes every later append fail, so that the last sync covers all
// the lines accepted.
func (w *segmentWriter) refuse() {
	w.qmu.Lock()
	w.refused = true
	w.qmu.Unlock()
}

// close releases the files; the caller syncs first.
func (w *segmentWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, f := range w.retired {
		_ = f.Close()
	}
	w.retired = nil
	if w.cur != nil {
		_ = w.cur.Close()
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open spool directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync spool directory: %w", err)
	}
	return nil
}

// lockDir takes an exclusive lock on the spool, so that two processes never
// share one (each would apply and delete the other's segments).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open spool lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool %s is in use by another regul process (one spool per process): %w", dir, err)
	}
	return f, nil
}

// loadCheckpoint reads where the applier stopped. A missing checkpoint means
// a new spool: start at the first segment. An unreadable one is not fatal:
// replaying from the start is a no-op for what was applied.
func loadCheckpoint(dir string, log *zap.Logger) (position, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if errors.Is(err, os.ErrNotExist) {
		return position{}, false
	}
	var p position
	if err == nil {
		err = json.Unmarshal(data, &p)
	}
	if err != nil {
		log.Warn("spool checkpoint unreadable: replaying the whole spool (already applied events are skipped)", zap.Error(err))
		return position{}, false
	}
	return p, true
}

// saveCheckpoint replaces the checkpoint atomically, and durably when
// durable. A checkpoint lost in a crash costs a replay of events already
// applied (no-ops): only the one that lets segments be removed must be on
// disk first, or a lost one would point into a removed segment.
func saveCheckpoint(dir string, p position, durable bool) error {
	data, _ := json.Marshal(p)
	tmp := filepath.Join(dir, "checkpoint.tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write spool checkpoint: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write spool checkpoint: %w", err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("fsync spool checkpoint: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write spool checkpoint: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "checkpoint")); err != nil {
		return fmt.Errorf("install spool checkpoint: %w", err)
	}
	if !durable {
		return nil
	}
	return syncDir(dir)
}
