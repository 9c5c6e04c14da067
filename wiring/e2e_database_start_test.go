package wiring

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/arisim"
)

// A controller restarted while PostgreSQL is down starts from the roster
// snapshot its last run saved under data_dir, puts a GP through (PIN
// included) and keeps the call's events in the spool; /readyz names the
// database. When PostgreSQL comes back, the schema is checked and the
// call's record lands, whole and once.
func TestStartWhileTheDatabaseIsDown(t *testing.T) {
	cluster, pool := ownCluster(t)
	ctx := context.Background()
	dataDir := t.TempDir()
	first := newLine(t, onDatabase(pool), withDataDir(dataDir))
	first.close()
	if _, err := os.Stat(roster.SnapshotFile(dataDir)); err != nil {
		t.Fatalf("the first run saved no roster snapshot: %v", err)
	}

	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	l := newLine(t, onDatabase(pool), withDataDir(dataDir), after(first))
	if code, body := get(t, "http://"+l.svc.HTTPAddr()+"/readyz"); code != http.StatusServiceUnavailable ||
		!strings.Contains(body, `"database":"unreachable`) {
		t.Errorf("/readyz started without the database = %d %s", code, body)
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
	if st := l.svc.Recorder().Stats(); st.Pending == 0 || st.Applied != 0 {
		t.Fatalf("the call's events must wait in the spool: %+v", st)
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
	if code, body := get(t, "http://"+l.svc.HTTPAddr()+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after the outage = %d %s", code, body)
	}
}

// A snapshot older than roster.snapshot_max_age is refused, naming the key.
func TestStaleSnapshotRefusedNamingTheKey(t *testing.T) {
	cluster, pool := ownCluster(t)
	ctx := context.Background()
	dataDir := t.TempDir()
	first := newLine(t, onDatabase(pool), withDataDir(dataDir))
	first.close()
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ARI.URL, cfg.DataDir = first.sim.URL(), dataDir
	cfg.HTTP.Listen, cfg.Console.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Roster.SnapshotMaxAge = time.Nanosecond // any snapshot saved is older
	_, err = Start(ctx, Options{Config: cfg, Pool: pool, Logger: zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)),
		Clock: first.clock.ForScripts()})
	if err == nil || !strings.Contains(err.Error(), "roster.snapshot_max_age") || !strings.Contains(err.Error(), "database is unavailable") {
		t.Fatalf("start with a stale snapshot: %v", err)
	}
}
