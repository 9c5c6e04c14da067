package wiring

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/pgcluster"
)

// ownCluster starts a PostgreSQL cluster this test may stop and restart
// (whatever REGUL_TEST_DATABASE_URL says), migrated.
func ownCluster(t *testing.T) (*pgcluster.Cluster, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	cluster, err := pgcluster.Start(ctx)
	if err != nil {
		t.Fatalf("this test stops and restarts its own PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Close() })
	pool, err := pgxpool.New(ctx, cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := migrations.Apply(ctx, conn.Conn()); err != nil {
		t.Fatal(err)
	}
	return cluster, pool
}

// With PostgreSQL down, a GP is still identified (PIN included), put
// through and the outcome keyed; when it comes back, the call's record is
// written whole, once.
func TestCallsConnectWhileTheDatabaseIsDown(t *testing.T) {
	cluster, pool := ownCluster(t)
	l := newLine(t, onDatabase(pool))
	ctx := context.Background()
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Wait(60*time.Second), arisim.Hangup())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitForSound("suite-menu"), arisim.Press("4", digitGap), arisim.Silent())}},
	})
	heardInOrder(t, "GP", rep.Phone("gp").Heard(), "saisir-code", "menu-intro", "recherche")
	heardInOrder(t, "specialist", rep.Phone("martin").Heard(), "accepter-refuser", "suite-menu", "suite-enregistree")
	if err := l.svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	stats := l.svc.Recorder().Stats()
	if !stats.DatabaseDown || stats.Pending == 0 {
		t.Fatalf("the call's events must wait in the spool while the database is down: %+v", stats)
	}
	if code, body := get(t, "http://"+l.svc.HTTPAddr()+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
		t.Errorf("/readyz with the database down = %d %s", code, body)
	}

	if err := cluster.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	rec := l.record()
	if rec.Result != callevent.ResultBridged || rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeHospital {
		t.Fatalf("record after the outage: result %s, outcome %+v", rec.Result, rec.Outcome)
	}
	var events, distinct, maxSeq int
	if err := l.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT seq), max(seq) FROM call_event WHERE call_id = $1`,
		rec.ID).Scan(&events, &distinct, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if events != maxSeq || distinct != events {
		t.Fatalf("events lost or doubled: %d rows, %d distinct, last seq %d", events, distinct, maxSeq)
	}
	if code, _ := get(t, "http://"+l.svc.HTTPAddr()+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after the outage = %d", code)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
