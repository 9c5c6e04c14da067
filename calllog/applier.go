package calllog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"go.uber.org/zap"
)

// applyLoop is the only writer of call records to PostgreSQL: it reads the
// durable part of the spool from the checkpoint, applies it batch by batch
// and moves the checkpoint after each commit.
func (r *Recorder) applyLoop(ctx context.Context) {
	defer r.done.Done()
	if r.opts.Ready != nil {
		select {
		case <-r.opts.Ready:
		case <-ctx.Done():
			return
		}
	}
	var (
		batch     []spooled
		br        = bufio.NewReaderSize(nil, 64<<10)
		lastApply time.Time
		lastFull  bool
	)
	for {
		if !lastFull && !r.gather(ctx, lastApply) {
			return
		}
		r.mu.Lock()
		durable, advanced := r.durable, r.advanced
		r.mu.Unlock()

		var next position
		var err error
		batch, next, err = readFrom(r.opts.Dir, r.ckpt, durable, r.opts.BatchSize, batch, br)
		if err != nil {
			r.fail("read call event spool", err, nil)
			if !r.wait(ctx, r.opts.MaxBackoff) {
				return
			}
			continue
		}
		if len(batch) == 0 && next == r.ckpt {
			select { // nothing to do until the writer fsyncs more
			case <-advanced:
				continue
			case <-ctx.Done():
				return
			}
		}
		if err := r.quarantine(batch); err != nil {
			// Never move the checkpoint past a line not yet set aside.
			r.fail("move unreadable spool lines to the quarantine file", err, nil)
			if !r.wait(ctx, r.opts.MaxBackoff) {
				return
			}
			continue
		}
		if !r.applyBatch(ctx, batch) {
			return // stopping: the batch stays in the spool
		}
		lastApply, lastFull = time.Now(), len(batch) >= r.opts.BatchSize
		if err := r.advance(next); err != nil {
			r.fail("save spool checkpoint", err, nil)
		}
		// Pending drops only once the checkpoint is saved: a drained
		// spool is not replayed at the next start.
		r.update(func(st *Stats) { st.Pending -= int64(len(batch)) })
	}
}

// gather waits, after a batch that was not full, until ApplyInterval has
// passed since it was applied, so that the events of that interval go in
// one transaction and one checkpoint (two fsyncs) rather than one per
// group commit of the writer. It does not wait once the recorder closes
// (Close drains at once); false means ctx ended.
func (r *Recorder) gather(ctx context.Context, lastApply time.Time) bool {
	d := r.opts.ApplyInterval - time.Since(lastApply)
	if lastApply.IsZero() || d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.stop:
	case <-ctx.Done():
		return false
	}
	return true
}

// applyBatch writes a batch, retrying while PostgreSQL is unreachable, and
// returns false only when ctx ended first.
func (r *Recorder) applyBatch(ctx context.Context, batch []spooled) bool {
	events := make([]callevent.Event, 0, len(batch))
	for _, s := range batch {
		if s.bad == nil {
			events = append(events, s.ev)
		}
	}
	if len(events) == 0 {
		return true
	}

	backoff := 50 * time.Millisecond
	var downSince time.Time
	for {
		fresh, err := r.store.applyEvents(ctx, events, r.opts.OnApply, r.opts.OnApplyKinds)
		if err == nil {
			if !downSince.IsZero() {
				r.log.Info("database reachable again: applying spooled call events",
					zap.Duration("outage", time.Since(downSince)), zap.Int64("pending", r.Stats().Pending))
			}
			r.update(func(st *Stats) {
				st.Applied += uint64(len(events))
				st.Duplicates += uint64(len(events) - fresh)
				st.DatabaseDown = false
			})
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if permanent(err) {
			return r.applyOneByOne(ctx, events)
		}
		if retryable(err) { // a lock conflict, not an outage: nothing was written
			r.log.Info("call events batch aborted by a lock conflict: applying it again", zap.Error(err))
			if !r.wait(ctx, backoff) {
				return false
			}
			continue
		}
		if downSince.IsZero() { // log once per outage, not per try
			downSince = time.Now()
			r.log.Warn("database unreachable: call events stay in the spool until it answers", zap.Error(err))
		}
		r.update(func(st *Stats) {
			st.DatabaseDown, st.FailedTries = true, st.FailedTries+1
			st.LastError, st.LastErrorAt = err.Error(), r.opts.Clock.Now()
		})
		if !r.wait(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, r.opts.MaxBackoff)
	}
}

// applyOneByOne isolates the events PostgreSQL refuses for good: they are
// set aside in rejected.jsonl, with the reason, so that they never block the
// events behind them.
func (r *Recorder) applyOneByOne(ctx context.Context, events []callevent.Event) bool {
	for _, ev := range events {
		batch := []spooled{{ev: ev}}
		fresh, err := r.store.applyEvents(ctx, []callevent.Event{ev}, r.opts.OnApply, r.opts.OnApplyKinds)
		switch {
		case err == nil:
			r.update(func(st *Stats) {
				st.Applied++
				st.Duplicates += uint64(1 - fresh)
			})
		case permanent(err):
			r.reject(ev, err)
		default: // the database went away meanwhile: the normal path retries
			if !r.applyBatch(ctx, batch) {
				return false
			}
		}
	}
	return true
}

func (r *Recorder) reject(ev callevent.Event, cause error) {
	r.fail("call event refused by the database: set aside in rejected.jsonl", cause,
		func(st *Stats) { st.Rejected++ },
		zap.String("call_id", ev.CallID), zap.Int("seq", ev.Seq), zap.String("kind", string(ev.Kind)))
	line, _ := json.Marshal(struct {
		Event  callevent.Event `json:"event"`
		Reason string          `json:"reason"`
	}{ev, cause.Error()})
	f, err := os.OpenFile(filepath.Join(r.opts.Dir, "rejected.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		if serr := f.Sync(); err == nil {
			err = serr
		}
		f.Close()
	}
	if err != nil {
		r.log.Error("cannot write rejected.jsonl", zap.Error(err))
	}
}

// advance saves the checkpoint after a commit, then removes the segments it
// has left behind. Within a segment the checkpoint is not fsynced (two
// fsyncs per batch): after a crash the applier would replay a few batches,
// which changes nothing in the database.
func (r *Recorder) advance(next position) error {
	if next == r.ckpt {
		return nil
	}
	if err := saveCheckpoint(r.opts.Dir, next, next.Segment != r.ckpt.Segment); err != nil {
		return err
	}
	prev := r.ckpt
	r.ckpt = next
	if next.Segment == prev.Segment {
		return nil
	}
	segs, err := listSegments(r.opts.Dir)
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s < next.Segment {
			if err := os.Remove(filepath.Join(r.opts.Dir, segmentName(s))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// wait sleeps for d unless ctx ends first; false means stop.
func (r *Recorder) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
