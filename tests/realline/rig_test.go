package realline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/asterisktest"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/sample"
	"github.com/regul-sante/regul/testkit/testclock"
	"github.com/regul-sante/regul/wiring"
)

const (
	did      = "+33179000001"
	gpNumber = "+33611000014"
	gpRPPS   = "10003000014"
	martin   = "+33612000015" // cardiologie rank 1 on Monday morning
	bernard  = "+33612000023" // rank 2
	hospital = "+33247000001" // cardiologie's fallback line
	// ring is the test territory's ring timeout: short, so that the hunt
	// paths take seconds.
	ring = 5 * time.Second
)

var mondayMorning = sample.MondayMorning

// rig is the regulation line on a real Asterisk: PostgreSQL with the
// sample territory, the line and operator Asterisks, and the controller
// started as `regul serve` starts it.
type rig struct {
	t     testing.TB
	pair  *asterisktest.Pair
	pool  *pgxpool.Pool
	store *roster.Store
	terr  oncall.Territory
	pins  map[string]string
	cfg   *config.Config
	setup rigSetup
	svc   *wiring.Service
	stop  context.CancelFunc
	ran   chan error
}

type rigSetup struct {
	at        time.Time
	territory func(*roster.TerritorySpec)
	moh       map[string][]byte
	maxPIN    int
	only      string
	dialplan  string
}

type rigOption func(*rigSetup)

func at(t time.Time) rigOption { return func(s *rigSetup) { s.at = t } }
func withTerritory(f func(*roster.TerritorySpec)) rigOption {
	return func(s *rigSetup) { s.territory = f }
}

// emptyMOH gives the line an empty moh folder (Asterisk then drops every
// music-on-hold class).
func emptyMOH() rigOption            { return func(s *rigSetup) { s.moh = nil } }
func maxPINAttempts(n int) rigOption { return func(s *rigSetup) { s.maxPIN = n } }

// only keeps one specialty (no menu).
func only(slug string) rigOption { return func(s *rigSetup) { s.only = slug } }

func newRig(t testing.TB, opts ...rigOption) *rig {
	t.Helper()
	s := rigSetup{at: mondayMorning, moh: map[string][]byte{"regul-attente.wav": asterisktest.HoldMusic()}}
	for _, o := range opts {
		o(&s)
	}
	r := &rig{t: t, setup: s, pool: pgtest.New(t), pins: map[string]string{}}
	r.store = roster.NewStore(r.pool)
	ctx := context.Background()
	loaded, err := sample.Load(ctx, r.store, filepath.Join("..", "..", "testdata"), sample.Options{Only: s.only, Territory: func(spec *roster.TerritorySpec) {
		spec.RingTimeout, spec.HuntTimeout = ring, 40*time.Second
		if s.territory != nil {
			s.territory(spec)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.terr = loaded.Territory
	for _, rpps := range []string{"10003000014", "10003000022"} {
		pin, err := r.store.SetNewPIN(ctx, r.terr.ID, rpps)
		if err != nil {
			t.Fatal(err)
		}
		r.pins[rpps] = pin
	}
	r.pair = asterisktest.StartPair(t, install, asterisktest.PairOptions{
		ARI:     config.ARI{Username: "regul", Password: "regul-test-secret", Application: "regul"},
		Prompts: prompts(t, roster.NewStore(r.pool)), MOH: s.moh, Extensions: s.dialplan,
	})
	r.cfg, err = config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	a := r.pair.ARI
	r.cfg.ARI.URL, r.cfg.ARI.Username, r.cfg.ARI.Password, r.cfg.ARI.Application = a.URL, a.Username, a.Password, a.Application
	r.cfg.ARI.WebsocketURL = ""
	r.cfg.ARI.ConnectTimeout = 10 * time.Second
	r.cfg.DataDir = t.TempDir()
	r.cfg.HTTP.Listen, r.cfg.Console.Listen = "127.0.0.1:0", "127.0.0.1:0"
	r.cfg.Dial.EarlyTimeout = 4 * time.Second
	if s.maxPIN > 0 {
		r.cfg.Ident.MaxAttempts = s.maxPIN
	}
	r.startRegul()
	t.Cleanup(r.stopRegul)
	return r
}

// startRegul starts the controller as `regul serve` does.
func (r *rig) startRegul() {
	r.t.Helper()
	ctx := context.Background()
	svc, err := wiring.Start(ctx, wiring.Options{Config: r.cfg, Pool: r.pool,
		Logger: zaptest.NewLogger(r.t, zaptest.Level(zap.WarnLevel)), Clock: testclock.Shifted(r.setup.at),
		IVR: ivr.Options{FirstDigitTimeout: 4 * time.Second, InterDigitTimeout: 3 * time.Second, AcceptTimeout: 4 * time.Second}})
	if err != nil {
		r.t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	r.svc, r.stop, r.ran = svc, stop, make(chan error, 1)
	go func() { r.ran <- svc.Run(runCtx) }()
}

// stopRegul stops the controller (SIGTERM, then the hard stop).
func (r *rig) stopRegul() {
	if r.svc == nil {
		return
	}
	r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = r.svc.Shutdown(ctx)
	<-r.ran
	_ = r.svc.Close(ctx)
	r.svc = nil
}

// record waits until every event is in PostgreSQL and returns the newest
// call's record.
func (r *rig) record() calllog.CallRecord {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.svc.WaitRecorded(ctx); err != nil {
		r.t.Fatal(err)
	}
	rec, err := r.svc.Calls().LatestCall(ctx)
	if err != nil {
		r.t.Fatalf("no call recorded: %v", err)
	}
	return rec
}
