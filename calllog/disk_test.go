package calllog

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/regul-sante/regul/testkit/pgtest"
)

// failingDisk is a data_dir that fills up or fails its fsyncs on demand.
type failingDisk struct {
	mu        sync.Mutex
	full      bool // writes stop short with ENOSPC, new files are refused
	syncFails bool // fsync answers EIO
}

func (d *failingDisk) set(full, syncFails bool) {
	d.mu.Lock()
	d.full, d.syncFails = full, syncFails
	d.mu.Unlock()
}

func (d *failingDisk) state() (bool, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.full, d.syncFails
}

func (d *failingDisk) open(name string, flag int, perm os.FileMode) (SpoolFile, error) {
	if full, _ := d.state(); full {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &failingFile{File: f, disk: d}, nil
}

type failingFile struct {
	*os.File
	disk *failingDisk
}

func (f *failingFile) Write(p []byte) (int, error) {
	if full, _ := f.disk.state(); full {
		n, _ := f.File.Write(p[:len(p)/2]) // a torn write, as a filling disk leaves
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

func (f *failingFile) Sync() error {
	if _, fails := f.disk.state(); fails {
		return &os.PathError{Op: "fsync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

// A full disk, then failing fsyncs: the events wait in memory, the failure
// is reported, and when the disk takes writes again every event reaches
// PostgreSQL once, none quarantined (a torn write is cut off).
func TestFullDiskAndFailingFsyncLoseNothing(t *testing.T) {
	store := NewStore(pgtest.New(t))
	disk := &failingDisk{}
	log, _ := observed()
	r := openRecorder(t, store, t.TempDir(), log, func(o *Options) { o.OpenFile = disk.open })
	defer closeRecorder(t, r)

	a, b := bridgedCall(newCallID(), t0), callbackCall(newCallID(), t0)
	for _, ev := range a[:4] {
		r.Record(ev)
	}
	drain(t, r)

	disk.set(true, false)
	for _, ev := range a[4:10] {
		if err := r.Record(ev); err != nil {
			t.Fatalf("Record must not fail while the disk is full (events wait in memory): %v", err)
		}
	}
	waitStats(t, r, "the full disk to be reported", func(s Stats) bool { return s.WriteFailing })
	if st := r.Stats(); st.WriteError == "" || st.Queued == 0 {
		t.Errorf("while the disk is full: %+v", st)
	}

	disk.set(false, true) // space is back, but fsync fails
	for _, ev := range a[10:] {
		r.Record(ev)
	}
	waitStats(t, r, "a failing fsync to be reported", func(s Stats) bool {
		return s.WriteFailing && s.WriteError != "" && strings.Contains(s.WriteError, "fsync")
	})

	disk.set(false, false)
	for _, ev := range b {
		r.Record(ev)
	}
	drain(t, r)
	if st := r.Stats(); st.WriteFailing || st.Queued != 0 || st.Corrupt != 0 || st.Dropped != 0 {
		t.Errorf("after the disk recovered: %+v", st)
	}
	checkEventsOnce(t, store, a)
	checkEventsOnce(t, store, b)
	if n, _, _ := r.Quarantine(); n != 0 {
		t.Errorf("%d lines quarantined, want none: a torn write is cut off or written again", n)
	}
}

// The memory the disk's failure may take is bounded: past Options.MaxQueued
// events, Record refuses (and counts) them.
func TestQueueBoundWhileTheDiskFails(t *testing.T) {
	store := NewStore(pgtest.New(t))
	disk := &failingDisk{}
	log, _ := observed()
	r := openRecorder(t, store, t.TempDir(), log, func(o *Options) { o.OpenFile = disk.open; o.MaxQueued = 3 })
	disk.set(true, false)
	a := bridgedCall(newCallID(), t0)
	var refused int
	for _, ev := range a {
		if err := r.Record(ev); err != nil {
			refused++
		}
	}
	if refused == 0 || r.Stats().Dropped != uint64(refused) {
		t.Errorf("refused %d, stats %+v", refused, r.Stats())
	}
	disk.set(false, false)
	closeRecorder(t, r)
}

// watchedFile tells each write and fsync of a spool segment.
type watchedFile struct {
	*os.File
	wrote, synced chan struct{}
}

func (f *watchedFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.wrote <- struct{}{}
	return n, err
}

func (f *watchedFile) Sync() error {
	err := f.File.Sync()
	f.synced <- struct{}{}
	return err
}

// A recorded event is in the file (the page cache) before its fsync is
// due: a crash of the process then loses nothing, while the fsyncs, the
// costly part, go in groups.
func TestLinesReachTheFileBeforeTheirFsync(t *testing.T) {
	store := NewStore(pgtest.New(t))
	wrote, synced := make(chan struct{}, 64), make(chan struct{}, 64)
	open := func(name string, flag int, perm os.FileMode) (SpoolFile, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return &watchedFile{File: f, wrote: wrote, synced: synced}, nil
	}
	log, _ := observed()
	r := openRecorder(t, store, t.TempDir(), log, func(o *Options) { o.OpenFile, o.SyncInterval = open, time.Hour })
	defer closeRecorder(t, r)
	within := func(ch chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s", what)
		}
	}

	evs := bridgedCall(newCallID(), t0)
	r.Record(evs[0])
	within(wrote, "write of the first event")
	within(synced, "fsync of the first event after a quiet spell") // nothing waited for the interval
	for i, ev := range evs[1:4] {
		r.Record(ev)
		within(wrote, fmt.Sprintf("write of event %d while its fsync waits for the interval", i+2))
	}
	select {
	case <-synced:
		t.Fatal("an event was fsynced at once within the interval: fsyncs are not grouped")
	default:
	}
}

// blockingSyncFile holds each fsync until the test lets it go.
type blockingSyncFile struct {
	*os.File
	wrote            chan struct{}
	syncing, release chan struct{}
}

func (f *blockingSyncFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.wrote <- struct{}{}
	return n, err
}

func (f *blockingSyncFile) Sync() error {
	f.syncing <- struct{}{}
	<-f.release
	return f.File.Sync()
}

// A slow fsync does not hold the lines recorded meanwhile in memory: they
// reach the file while it runs.
func TestLinesReachTheFileDuringASlowFsync(t *testing.T) {
	store := NewStore(pgtest.New(t))
	wrote, syncing, release := make(chan struct{}, 64), make(chan struct{}, 64), make(chan struct{})
	open := func(name string, flag int, perm os.FileMode) (SpoolFile, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return &blockingSyncFile{File: f, wrote: wrote, syncing: syncing, release: release}, nil
	}
	log, _ := observed()
	r := openRecorder(t, store, t.TempDir(), log, func(o *Options) { o.OpenFile = open })
	released := false
	defer func() {
		if !released {
			close(release)
		}
		closeRecorder(t, r)
	}()
	within := func(ch chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s", what)
		}
	}

	evs := bridgedCall(newCallID(), t0)
	r.Record(evs[0])
	within(wrote, "write of the first event")
	within(syncing, "fsync of the first event")
	r.Record(evs[1])
	within(wrote, "write of the second event while the first fsync is held")
	close(release)
	released = true
	drain(t, r)
}
