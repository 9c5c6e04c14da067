package calllog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/testkit/pgcluster"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// ownCluster starts a PostgreSQL cluster this test alone may stop, so that
// the outage does not disturb the other tests (and works the same with
// REGUL_TEST_DATABASE_URL set).
func ownCluster(t *testing.T) (*pgcluster.Cluster, *pgxpool.Pool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgcluster.Start(ctx)
	if err != nil {
		t.Fatalf("this test stops PostgreSQL mid-run and needs its own throwaway cluster: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Apply(ctx, conn); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	pool, err := pgxpool.New(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return c, pool
}

func TestDatabaseOutageMidCall(t *testing.T) {
	cluster, pool := ownCluster(t)
	store := NewStore(pool)
	log, logs := observed()
	r := openRecorder(t, store, t.TempDir(), log)
	defer closeRecorder(t, r)
	ctx := context.Background()

	first, second := newCallID(), newCallID()
	a, b := bridgedCall(first, t0), callbackCall(second, t0.Add(time.Minute))
	for _, ev := range a[:5] {
		r.Record(ev)
	}
	drain(t, r)

	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The calls go on while the database is away: Record never waits.
	for _, ev := range a[5:] {
		r.Record(ev)
	}
	for _, ev := range b {
		r.Record(ev)
	}
	waitStats(t, r, "the applier to notice the outage", func(s Stats) bool { return s.DatabaseDown })
	// Several retries happen meanwhile; the outage is logged once.
	waitStats(t, r, "several retries", func(s Stats) bool { return s.FailedTries >= 3 })
	if st := r.Stats(); st.Pending != int64(len(a)-5+len(b)) || st.Spooled != uint64(len(a)+len(b)) {
		t.Errorf("during the outage: %+v", st)
	}

	if err := cluster.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	drain(t, r)

	checkEventsOnce(t, store, a)
	checkEventsOnce(t, store, b)
	if rec := getCall(t, store, first); rec.Result != callevent.ResultBridged || rec.Outcome == nil || len(rec.Attempts) != 2 {
		t.Errorf("first call after the outage: %+v", rec)
	}
	if rec := getCall(t, store, second); rec.Result != callevent.ResultCallback || rec.Callback == nil {
		t.Errorf("second call after the outage: %+v", rec)
	}
	if n := logs.FilterMessageSnippet("database unreachable").Len(); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}
	if n := logs.FilterMessageSnippet("database reachable again").Len(); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	if st := r.Stats(); st.DatabaseDown || st.Applied != uint64(len(a)+len(b)) || st.Duplicates != 0 {
		t.Errorf("after the outage: %+v", st)
	}
}

func TestCrashThenRestartLosesAndDoublesNothing(t *testing.T) {
	store := NewStore(pgtest.New(t))
	dir := t.TempDir()
	log, _ := observed()
	small := func(o *Options) { o.SegmentSize = 2048; o.BatchSize = 7 }

	var calls [][]callevent.Event
	// One segment for the first process: the checkpoint it loses points
	// into a segment that is still there, as after a real crash.
	r := openRecorder(t, store, dir, log, func(o *Options) { o.BatchSize = 7 })
	for i := range 6 {
		evs := bridgedCall(newCallID(), t0.Add(time.Duration(i)*time.Minute))
		calls = append(calls, evs)
		for _, ev := range evs[:10] {
			r.Record(ev)
		}
	}
	drain(t, r)
	applied, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	tail := 0
	for _, evs := range calls {
		for _, ev := range evs[10:13] {
			r.Record(ev)
			tail++
		}
	}
	drain(t, r)
	r.abort()
	// A crash after the last commits but before their checkpoint was saved:
	// the new process replays them.
	if err := os.WriteFile(filepath.Join(dir, "checkpoint"), applied, 0o600); err != nil {
		t.Fatal(err)
	}

	// The next process loses its database at once and crashes in turn,
	// with the rest of the calls spooled and nothing applied.
	down, err := pgxpool.New(context.Background(), "postgres://nobody@/regul?host=/nonexistent&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	r2 := openRecorder(t, NewStore(down), dir, log, small)
	rest := 0
	for _, evs := range calls {
		for _, ev := range evs[13:] {
			r2.Record(ev)
			rest++
		}
	}
	waitStats(t, r2, "the outage", func(s Stats) bool { return s.DatabaseDown && s.Spooled == uint64(rest) })
	r2.abort()

	r3 := openRecorder(t, store, dir, log)
	defer closeRecorder(t, r3)
	if st := r3.Stats(); st.Pending != int64(tail+rest) {
		t.Errorf("pending at start = %d, want %d", st.Pending, tail+rest)
	}
	drain(t, r3)
	for _, evs := range calls {
		checkEventsOnce(t, store, evs)
		if rec := getCall(t, store, evs[0].CallID); rec.Result != callevent.ResultBridged || rec.Outcome == nil || rec.AttemptCount != 2 {
			t.Errorf("call %s: %+v", rec.ID, rec)
		}
	}
	if st := r3.Stats(); st.Applied != uint64(tail+rest) || st.Duplicates != uint64(tail) {
		t.Errorf("stats after restart = %+v, want %d applied of which %d replays", st, tail+rest, tail)
	}
	// Applied segments are removed: only the newest segment is left.
	if segs, _ := listSegments(dir); len(segs) != 1 {
		t.Errorf("segments left after the replay: %v", segs)
	}
}

// A torn or damaged line is not applied and not silently skipped either: it
// is moved to the quarantine file with its place and reason, and counted;
// the call's other events are applied as usual.
func TestTornAndCorruptLinesAreQuarantined(t *testing.T) {
	store := NewStore(pgtest.New(t))
	dir := t.TempDir()
	id := newCallID()
	evs := callbackCall(id, t0)

	// A spool as a crash leaves it: a line whose bytes were damaged, and a
	// last line cut short by the crash.
	var seg strings.Builder
	for i, ev := range evs {
		line, err := encodeLine(ev)
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 3:
			line[len(line)-4] ^= 0x01 // a flipped bit: the checksum no longer matches
		case len(evs) - 1:
			line = line[:len(line)/2] // torn: no end of line
		}
		seg.Write(line)
	}
	if err := os.WriteFile(filepath.Join(dir, segmentName(1)), []byte(seg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	log, logs := observed()
	r := openRecorder(t, store, dir, log)
	defer closeRecorder(t, r)
	if st := r.Stats(); st.Pending != int64(len(evs)) {
		t.Errorf("pending at start = %d, want %d", st.Pending, len(evs))
	}
	drain(t, r)

	rec := getCall(t, store, id)
	if len(rec.Events) != len(evs)-2 {
		t.Fatalf("%d events applied, want %d", len(rec.Events), len(evs)-2)
	}
	for _, ev := range rec.Events {
		if ev.Seq == 4 || ev.Seq == len(evs) {
			t.Errorf("damaged event %d was applied", ev.Seq)
		}
	}
	if st := r.Stats(); st.Corrupt != 2 || st.Applied != uint64(len(evs)-2) {
		t.Errorf("stats = %+v, want 2 corrupt", st)
	}
	skipped := logs.FilterMessageSnippet("quarantine").All()
	if len(skipped) != 2 {
		t.Fatalf("%d quarantine log lines, want 2", len(skipped))
	}
	if reason := fmt.Sprint(skipped[1].ContextMap()["reason"]); !strings.Contains(reason, "torn") {
		t.Errorf("last skip reason = %q, want it to say torn", reason)
	}
	lines, file, err := r.Quarantine()
	if err != nil || lines != 2 || file != filepath.Join(dir, "quarantine.jsonl") {
		t.Fatalf("quarantine = %d lines in %s (%v), want 2 in the spool's quarantine.jsonl", lines, file, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var q []quarantined
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var one quarantined
		if err := json.Unmarshal([]byte(l), &one); err != nil {
			t.Fatalf("quarantine line %q: %v", l, err)
		}
		q = append(q, one)
	}
	if q[0].CallID != id || !strings.Contains(q[0].Reason, "checksum") || q[0].Segment != segmentName(1) || len(q[0].Line) == 0 {
		t.Errorf("quarantined damaged line = %+v", q[0])
	}
	if !strings.Contains(q[1].Reason, "torn") || len(q[1].Line) == 0 {
		t.Errorf("quarantined torn line = %+v", q[1])
	}
	// Events recorded after the restart go on normally.
	r.Record(callevent.Event{CallID: id, Seq: len(evs) + 1, Kind: callevent.LegHungUp, Party: "gp"})
	drain(t, r)
	if rec := getCall(t, store, id); len(rec.Events) != len(evs)-1 {
		t.Errorf("%d events after a new one, want %d", len(rec.Events), len(evs)-1)
	}
}

func TestConcurrentCalls(t *testing.T) {
	store := NewStore(pgtest.New(t))
	dir := t.TempDir()
	log, _ := observed()
	r := openRecorder(t, store, dir, log, func(o *Options) { o.SegmentSize = 8 << 10 })
	defer closeRecorder(t, r)

	const n = 60
	calls := make([][]callevent.Event, n)
	var wg sync.WaitGroup
	for i := range n {
		if i%2 == 0 {
			calls[i] = bridgedCall(newCallID(), t0.Add(time.Duration(i)*time.Second))
		} else {
			calls[i] = callbackCall(newCallID(), t0.Add(time.Duration(i)*time.Second))
		}
		wg.Go(func() {
			for _, ev := range calls[i] {
				r.Record(ev)
			}
		})
	}
	wg.Wait()
	drain(t, r)

	total := 0
	for i, evs := range calls {
		total += len(evs)
		checkEventsOnce(t, store, evs)
		want := callevent.ResultBridged
		if i%2 == 1 {
			want = callevent.ResultCallback
		}
		if rec := getCall(t, store, evs[0].CallID); rec.Result != want {
			t.Errorf("call %d result %q, want %q", i, rec.Result, want)
		}
	}
	if st := r.Stats(); st.Spooled != uint64(total) || st.Applied != uint64(total) || st.Pending != 0 {
		t.Errorf("stats = %+v, want %d spooled and applied", st, total)
	}
	if segs, _ := listSegments(dir); len(segs) > 2 {
		t.Errorf("applied segments not removed: %v", segs)
	}
}

func TestRefusedEventIsSetAsideWithoutBlockingOthers(t *testing.T) {
	store := NewStore(pgtest.New(t))
	dir := t.TempDir()
	log, logs := observed()
	r := openRecorder(t, store, dir, log)
	defer closeRecorder(t, r)

	id := newCallID()
	evs := callbackCall(id, t0)
	evs[len(evs)-1].Result = "lost_in_space" // breaks the result CHECK
	for _, ev := range evs {
		r.Record(ev)
	}
	drain(t, r)
	if rec := getCall(t, store, id); len(rec.Events) != len(evs)-1 || rec.Callback == nil {
		t.Errorf("%d events applied (want %d), callback %+v", len(rec.Events), len(evs)-1, rec.Callback)
	}
	if st := r.Stats(); st.Rejected != 1 {
		t.Errorf("stats = %+v, want 1 rejected", st)
	}
	data, err := os.ReadFile(filepath.Join(dir, "rejected.jsonl"))
	if err != nil || !strings.Contains(string(data), "lost_in_space") {
		t.Errorf("rejected.jsonl = %q, %v", data, err)
	}
	if logs.FilterMessageSnippet("refused by the database").Len() != 1 {
		t.Error("the refusal was not logged")
	}
}

func TestInvalidEventIsDroppedAtOnce(t *testing.T) {
	store := NewStore(pgtest.New(t))
	log, logs := observed()
	r := openRecorder(t, store, t.TempDir(), log)
	defer closeRecorder(t, r)
	r.Record(callevent.Event{CallID: "1700000000.42", Seq: 1, Kind: callevent.CallStarted})
	if st := r.Stats(); st.Dropped != 1 || st.Spooled != 0 || logs.FilterMessageSnippet("invalid call event").Len() != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestOneProcessPerSpool(t *testing.T) {
	store := NewStore(pgtest.New(t))
	dir := t.TempDir()
	log, _ := observed()
	r := openRecorder(t, store, dir, log)
	defer closeRecorder(t, r)
	if _, err := OpenRecorder(store, Options{Dir: dir, Log: log}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second recorder on the same spool: %v", err)
	}
}
