package calllog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/testkit/pgcluster"
)

// BenchmarkRecord measures the record path: what a call pays per event (the
// spool write) and the applier's throughput into PostgreSQL with the
// statistics triggers (events/s until drained), on a cluster with
// production durability (fsync on: a throwaway cluster without it would
// flatter the commits), with PostgreSQL's CPU per event. It prints how many
// times the load of 200 new calls a second that is: regul writes 13 events
// for a call put through (BenchmarkSideBySide prints the figure measured).
//
//	go test ./calllog -run '^$' -bench Record -benchtime 20000x
func BenchmarkRecord(b *testing.B) {
	const eventsPerCall, callsPerSecond = 13, 200
	ctx := context.Background()
	cl, err := pgcluster.StartDurable(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	pool := durableDatabase(b, cl)
	store := NewStore(pool)
	log, _ := observed()
	r, err := OpenRecorder(store, Options{Dir: b.TempDir(), Log: log})
	if err != nil {
		b.Fatal(err)
	}
	tpl := bridgedCall(newCallID(), t0)
	pg0, _ := cl.CPUTime()
	b.ResetTimer()
	start := time.Now()
	var id string
	for i := 0; b.Loop(); i++ {
		k := i % len(tpl)
		if k == 0 {
			id = newCallID()
		}
		ev := tpl[k]
		ev.CallID = id
		r.Record(ev)
	}
	recorded := time.Since(start)
	if err := r.WaitDrained(ctx); err != nil {
		b.Fatal(err)
	}
	total := time.Since(start)
	pg1, _ := cl.CPUTime()
	perSecond := float64(b.N) / total.Seconds()
	pgPerEvent := float64((pg1 - pg0).Microseconds()) / float64(b.N)
	b.ReportMetric(perSecond, "applied_events/s")
	b.ReportMetric(float64(recorded.Nanoseconds())/float64(b.N), "record_ns/event")
	b.ReportMetric(pgPerEvent, "pg_cpu_µs/event")
	fmt.Printf("record path, fsync on: %d events in %s = %.0f events/s into PostgreSQL (statistics triggers on); "+
		"PostgreSQL CPU %.0f µs per event; at %d events per call, 200 calls/s need %d events/s: %.1f× that\n",
		b.N, total.Round(time.Millisecond), perSecond, pgPerEvent, eventsPerCall,
		eventsPerCall*callsPerSecond, perSecond/float64(eventsPerCall*callsPerSecond))
	if err := r.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

// durableDatabase creates and migrates a database on cl.
func durableDatabase(b *testing.B, cl *pgcluster.Cluster) *pgxpool.Pool {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, cl.URL("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE DATABASE bench`); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, cl.URL("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := migrations.Apply(ctx, conn); err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, cl.URL("bench"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}
