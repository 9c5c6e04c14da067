package notify

import (
	"context"
	"testing"
	"time"
)

// TestCoverageDigest: nothing before digest_at; then one digest per
// territory and day, listing the gaps, even from two instances; none when
// the roster has no gap.
func TestCoverageDigest(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(-3 * time.Hour) // Monday 07:00 in Paris
	newDigest := func() *Digest {
		d, err := NewDigest(DigestOptions{Pool: e.pool, Roster: e.store, Log: e.log, Clock: e.clock, At: "07:30"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := newDigest(), newDigest()
	ctx := context.Background()
	if n, err := a.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("before 07:30: %d queued, %v", n, err)
	}
	e.clock.Advance(45 * time.Minute)
	if n, err := a.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("at 07:45: %d queued, %v", n, err)
	}
	if n, err := a.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("again: %d queued, %v", n, err)
	}
	if _, err := b.RunOnce(ctx); err != nil { // a second `regul serve`
		t.Fatal(err)
	}
	rows := e.rows()
	if len(rows) != 1 || rows[0].Kind != "coverage_digest" || rows[0].To != "+33179000099" {
		t.Fatalf("rows: %+v", rows)
	}
	gaps, err := e.store.Gaps(ctx, e.terr.ID, e.clock.Now(), DigestDays)
	if err != nil {
		t.Fatal(err)
	}
	if want := digestBody(e.terr, gaps, e.clock.Now()); rows[0].Body != want {
		t.Errorf("body %q, want %q", rows[0].Body, want)
	}
	t.Logf("digest: %s", rows[0].Body)
	if n := Segments(rows[0].Body); n != 1 {
		t.Errorf("digest takes %d segments: %q", n, rows[0].Body)
	}

	// The next day, a line that is never open has no gap: nothing.
	if _, err := e.pool.Exec(ctx, `UPDATE territory SET opening_hours = '{}' WHERE id = $1`, e.terr.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour)
	if n, err := newDigest().RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("no gaps: %d queued, %v", n, err)
	}
}
