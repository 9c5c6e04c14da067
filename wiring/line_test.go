package wiring

import (
	"context"
	"os"
	"path/filepath"
	"sync"
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
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/sample"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runRegulChild()) // regul's process in BenchmarkSideBySide
	}
	pgtest.Main(m)
}

// speed is how much faster than real time the emulated phones live: a 2 s
// prompt lasts 40 ms. Scripts wait for what phones hear, never for delays.
const speed = 50

var mondayMorning = sample.MondayMorning

// line is the whole regulation line under test: PostgreSQL with the sample
// territory, the ARI emulator, and the controller connected to it through
// the real ari/v5 client, exactly as `regul serve` runs.
type line struct {
	t     testing.TB
	pool  *pgxpool.Pool
	store *roster.Store
	terr  oncall.Territory
	sim   *arisim.Server
	clock *arisim.ScaledClock
	svc   *Service
	pins  map[string]string // GP RPPS → PIN
	stop  context.CancelFunc
	ran   chan error
	opts  Options // how svc was started, for a successor (restart)
	once  sync.Once
}

type lineOption func(*lineSetup)

type lineSetup struct {
	speed     float64
	pool      *pgxpool.Pool // nil: a fresh database from pgtest
	at        time.Time
	territory func(*roster.TerritorySpec)
	ivr       ivr.Options
	config    func(*config.Config)
	// only, when set, keeps this one specialty: the others leave the
	// territory, and their enrolments and shifts are not imported.
	only string
	// maxPINAttempts overrides identification.max_attempts when set, and
	// callerAttempts identification.caller_attempts.
	maxPINAttempts, callerAttempts int
	// emulator changes the emulated Asterisk (e.g. no MOH class).
	emulator func(*arisim.Options)
	// dataDir, when set, is the controller's data_dir (else a new one).
	dataDir string
	// originateSent sees each originate request leave the controller.
	originateSent func(string, time.Time)
	// after, when set, is an earlier line on the same database: its
	// sample is reused, not loaded again (the database may be down).
	after *line
}

// withDataDir runs the controller on a data_dir the test keeps.
func withDataDir(dir string) lineOption { return func(s *lineSetup) { s.dataDir = dir } }

// after starts a line on the sample an earlier one loaded.
func after(earlier *line) lineOption { return func(s *lineSetup) { s.after = earlier } }

// onOriginateSent sees each originate request leave the controller.
func onOriginateSent(f func(string, time.Time)) lineOption {
	return func(s *lineSetup) { s.originateSent = f }
}

// withEmulator changes the emulated Asterisk's options.
func withEmulator(f func(*arisim.Options)) lineOption { return func(s *lineSetup) { s.emulator = f } }

// withConfig changes the configuration the line starts with (e.g. twilio.*).
func withConfig(f func(*config.Config)) lineOption { return func(s *lineSetup) { s.config = f } }

func at(t time.Time) lineOption { return func(s *lineSetup) { s.at = t } }

// atSpeed sets how much faster than real time the phones live (1: real time).
func atSpeed(x float64) lineOption { return func(s *lineSetup) { s.speed = x } }

// onDatabase runs the line on a database the test controls (e.g. its own
// cluster, to stop it mid-run).
func onDatabase(p *pgxpool.Pool) lineOption { return func(s *lineSetup) { s.pool = p } }

func withTerritory(f func(*roster.TerritorySpec)) lineOption {
	return func(s *lineSetup) { s.territory = f }
}

// onlySpecialty makes a territory that offers one specialty (no menu).
func onlySpecialty(slug string) lineOption { return func(s *lineSetup) { s.only = slug } }

// withMaxPINAttempts sets identification.max_attempts, the store's lockout
// threshold (the script's own tries per call stay at 3).
func withMaxPINAttempts(n int) lineOption { return func(s *lineSetup) { s.maxPINAttempts = n } }

func withCallerAttempts(n int) lineOption { return func(s *lineSetup) { s.callerAttempts = n } }

func newLine(t testing.TB, opts ...lineOption) *line {
	t.Helper()
	setup := lineSetup{at: mondayMorning, speed: speed, ivr: ivr.Options{
		// Digit waits run on real time in the bridge: keep them short so
		// that the silent-caller paths take seconds, not minutes.
		FirstDigitTimeout: time.Second, InterDigitTimeout: time.Second, AcceptTimeout: time.Second,
	}}
	for _, o := range opts {
		o(&setup)
	}
	l := &line{t: t, pool: setup.pool, pins: map[string]string{}}
	if l.pool == nil {
		l.pool = pgtest.New(t)
	}
	l.store = roster.NewStore(l.pool)
	if setup.after != nil {
		l.terr, l.pins = setup.after.terr, setup.after.pins
	} else {
		l.loadSample(setup)
	}

	l.clock = arisim.NewScaledClockAt(setup.at, setup.speed)
	t.Cleanup(l.clock.Close)
	simOpts := arisim.Options{Username: "regul", Password: "secret", Clock: l.clock, Logger: zap.NewNop()}
	if setup.emulator != nil {
		setup.emulator(&simOpts)
	}
	l.sim = arisim.New(simOpts)
	if err := l.sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.sim.Close() })

	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = l.sim.URL(), "regul", "secret"
	cfg.DataDir = setup.dataDir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.HTTP.Listen, cfg.Console.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ARI.ConnectTimeout = 10 * time.Second
	if setup.config != nil {
		setup.config(cfg)
	}
	if setup.callerAttempts > 0 {
		cfg.Ident.CallerAttempts = setup.callerAttempts
	}
	if setup.maxPINAttempts > 0 {
		cfg.Ident.MaxAttempts = setup.maxPINAttempts
	}
	l.opts = Options{Config: cfg, Pool: l.pool, Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		Clock: l.clock.ForScripts(), IVR: setup.ivr, OnOriginateSent: setup.originateSent}
	l.start()
	t.Cleanup(l.close)
	return l
}

// start starts a controller on the line's configuration and data_dir.
func (l *line) start() {
	svc, err := Start(context.Background(), l.opts)
	if err != nil {
		l.t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	l.svc, l.stop, l.ran = svc, stop, make(chan error, 1)
	go func() { l.ran <- svc.Run(runCtx) }()
}

// crashAndRestart stops the controller as a kill -9 would (the calls stay
// in Asterisk, the spool stays on disk) and starts a new one on the same
// data_dir, database and Asterisk, which adopts the calls.
func (l *line) crashAndRestart() {
	l.crash()
	l.start()
}

// crash stops the controller as a kill -9 would; start brings up the next.
func (l *line) crash() {
	old, stopOld, oldRan := l.svc, l.stop, l.ran
	old.Abandon()
	// What the dead process's goroutines still do fails: they only need
	// stopping, as the process would be gone.
	stopOld()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = old.Shutdown(ctx)
	<-oldRan
}

func (l *line) close() { l.once.Do(l.closeOnce) }

func (l *line) closeOnce() {
	l.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.svc.Shutdown(ctx)
	<-l.ran
	_ = l.svc.Close(ctx)
}

// loadSample applies testdata's territory, enrolments and roster, and gives
// every GP a PIN.
func (l *line) loadSample(setup lineSetup) {
	t, ctx := l.t, context.Background()
	loaded, err := sample.Load(ctx, l.store, filepath.Join("..", "testdata"),
		sample.Options{Territory: setup.territory, Only: setup.only})
	if err != nil {
		t.Fatal(err)
	}
	l.terr = loaded.Territory
	for _, rpps := range []string{"10003000014", "10003000022"} {
		pin, err := l.store.SetNewPIN(ctx, l.terr.ID, rpps)
		if err != nil {
			t.Fatal(err)
		}
		l.pins[rpps] = pin
	}
}

// play runs a scenario to its end and returns what every phone experienced.
func (l *line) play(sc *arisim.Scenario) *arisim.Report {
	l.t.Helper()
	if sc.DefaultSound == 0 {
		sc.DefaultSound = arisim.Duration(2 * time.Second)
	}
	return l.waitScenario(l.sim.Play(sc))
}

// waitScenario waits for a scenario's phones to finish.
func (l *line) waitScenario(rep *arisim.Report) *arisim.Report {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := l.sim.Wait(ctx); err != nil {
		for _, p := range rep.Phones {
			snap := p.Snapshot()
			l.t.Logf("phone %s: calls %d, ended %+v, entries %+v", snap.Name, snap.Calls, snap.Ended, snap.Entries)
		}
		l.t.Fatalf("scenario did not end: %v", err)
	}
	return rep
}

// record waits until every event is in PostgreSQL and returns the newest
// call's record.
func (l *line) record() calllog.CallRecord {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.svc.WaitRecorded(ctx); err != nil {
		l.t.Fatal(err)
	}
	rec, err := l.svc.Calls().LatestCall(ctx)
	if err != nil {
		l.t.Fatalf("no call recorded: %v", err)
	}
	return rec
}
