// Package service wires one regulation-line controller: the roster snapshot,
// the call-record spool, the ARI link, the call script and the operational
// HTTP endpoints. `regul serve`, `regul demo` and the end-to-end tests all
// start the line through Start, so they run the same code.
package wiring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	asteriskconfig "github.com/regul-sante/regul/asterisk-config"
	"github.com/regul-sante/regul/bridge"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/console"
	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/internal/lease"
	"github.com/regul-sante/regul/internal/lightlog"
	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// Options are what Start needs besides the configuration.
type Options struct {
	Config *config.Config
	Pool   *pgxpool.Pool
	Logger *zap.Logger
	// Clock drives the script's time rules and the roster snapshot; nil is
	// the wall clock. Tests and the demo run an accelerated one.
	Clock clock.Clock
	// IVR overrides the script's timeouts; zero fields take the defaults
	// (EarlyTimeout comes from dial.early_timeout).
	IVR ivr.Options
	// OnOriginateSent, when set, sees each originate request leave (see
	// bridge.Options.OnOriginateSent): load benchmarks only.
	OnOriginateSent func(channelID string, at time.Time)
	// Registry collects the metrics; nil makes a new one.
	Registry *prometheus.Registry
	// SpoolOpenFile opens the spool's files (nil: the disk); tests inject
	// a full or failing disk.
	SpoolOpenFile calllog.OpenFileFunc
}

// Service is a running controller.
type Service struct {
	log      *zap.Logger
	clock    clock.Clock
	lineView *roster.LineView
	rec      *calllog.Recorder
	calls    *calllog.Store
	ari      *bridge.Server
	script   *ivr.Script
	registry *prometheus.Registry
	httpSrv  *http.Server
	httpAddr string
	console  *Console
	stopBg   context.CancelFunc
	bgDone   chan struct{}
	db       *databaseGate
	linked   atomic.Bool // s.ari is set: the ARI link was opened

	elector  *lease.Elector // nil unless ha.enabled
	term     *lease.Term    // the lease this process holds
	stopHold context.CancelFunc

	callsMu   sync.Mutex
	running   int
	callsIdle chan struct{} // closed while no call is running
	// placing is Run's context while the line takes new calls: callbacks
	// through the line are placed only then.
	placing context.Context
	// hardStop stops the callbacks through the line as the bridge stops
	// the calls it serves: at Shutdown (a second SIGTERM), not at the
	// first one, which lets calls in progress end.
	hardStop     context.Context
	stopHardStop context.CancelFunc
	callbacks    *callbacks
}

// Start checks the schema, loads the roster, opens the spool, connects to
// ARI and starts the HTTP endpoints. Run then takes calls.
//
// Without the database it still starts, from the roster snapshot saved
// under data_dir (no older than roster.snapshot_max_age): calls are taken,
// their events spooled; the schema check, the spool's applier, the SMS
// worker and digest wait for the database in the background. An older
// schema on a database that answers is refused at once, as always.
func Start(ctx context.Context, o Options) (svc *Service, err error) {
	cfg, log := o.Config, o.Logger
	gate := newDatabaseGate()
	switch err := checkSchema(ctx, o.Pool); {
	case err == nil:
		gate.open()
	case errors.As(err, new(*schemaBehindError)) || ctx.Err() != nil:
		return nil, err
	default:
		gate.why = err
		log.Warn("database unavailable at start: starting from the roster snapshot saved under data_dir", zap.Error(err))
	}
	if o.Clock == nil {
		o.Clock = clock.System()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Service{log: log, registry: o.Registry, bgDone: make(chan struct{}), callsIdle: make(chan struct{}), db: gate}
	close(s.callsIdle)
	s.hardStop, s.stopHardStop = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.Close(context.Background())
		}
	}()

	lockout := roster.LockoutPolicy{MaxAttempts: cfg.Ident.MaxAttempts, CallerAttempts: cfg.Ident.CallerAttempts,
		WithheldAttempts: cfg.Ident.WithheldAttempts, RPPSAttempts: cfg.Ident.RPPSLockAttempts,
		Duration: cfg.Ident.Lockout, MaxDuration: cfg.Ident.MaxLockout}
	store := roster.NewStore(o.Pool)
	store.SetLockoutPolicy(lockout)
	s.lineView = roster.NewLineView(store, roster.LineViewOptions{Lockout: lockout, SnapshotFile: roster.SnapshotFile(cfg.DataDir)},
		o.Clock, log.Named("roster"))
	if err := s.loadRoster(ctx, cfg); err != nil {
		return nil, err
	}

	outbox, sms, digest, err := newSMS(cfg, o.Pool, store, o.Clock, log.Named("sms"))
	if err != nil {
		return nil, err
	}
	s.calls = calllog.NewStore(o.Pool)
	s.rec, err = calllog.OpenRecorder(s.calls, calllog.Options{Dir: calllog.SpoolDir(cfg.DataDir), Log: log.Named("calllog"),
		Clock: o.Clock, OnApply: outbox.Hook, OnApplyKinds: notify.HookKinds, Ready: gate.ready, OpenFile: o.SpoolOpenFile})
	if err != nil {
		return nil, fmt.Errorf("open the call-record spool under data_dir %s: %w", cfg.DataDir, err)
	}

	prompts, err := ivr.LoadPromptsYAML(bytes.NewReader(asteriskconfig.PromptCatalogue))
	if err != nil {
		return nil, fmt.Errorf("prompt catalogue: %w", err)
	}

	if err := s.newElector(cfg, o); err != nil {
		return nil, err
	}
	if err := s.startHTTP(cfg.HTTP.Listen, o.Pool); err != nil {
		return nil, err
	}
	s.callbacks = &callbacks{links: notify.NewCallbackLinks(o.Pool, NotifyOwners(o.Pool)), svc: s, log: log.Named("callback"), clock: o.Clock}
	if s.console, err = StartConsole(cfg, o.Pool, log.Named("console"), s.rec, s.callbacks); err != nil {
		return nil, err
	}
	if err := s.holdLease(ctx, cfg); err != nil {
		return nil, err
	}

	s.ari, err = bridge.Open(ctx, bridge.Options{
		URL: cfg.ARI.URL, WebsocketURL: cfg.ARI.WebsocketURL,
		Username: cfg.ARI.Username, Password: cfg.ARI.Password, Application: cfg.ARI.Application,
		RequestTimeout: cfg.ARI.RequestTimeout, ConnectTimeout: cfg.ARI.ConnectTimeout,
		DialTemplate: cfg.Dial.Template, Logger: perCall(log).Named("ari"), Adopt: true,
		PlaybackStartTimeout: cfg.ARI.PlaybackStartTimeout, HoldMedia: bridge.HoldMedia(cfg.Dial.HoldSound, cfg.Dial.HoldTone),
		OnOriginateSent: o.OnOriginateSent,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Asterisk (ari.url %s): %w", cfg.ARI.URL, err)
	}

	ivrOpts := o.IVR
	if ivrOpts.EarlyTimeout == 0 {
		ivrOpts.EarlyTimeout = cfg.Dial.EarlyTimeout
	}
	s.clock = o.Clock
	s.script, err = ivr.New(ivrOpts, ivr.Deps{
		Roster: s.lineView, Switch: s.ari, Recorder: s.rec,
		Clock: o.Clock, Logger: perCall(log).Named("call"), Prompts: prompts, Metrics: newMetrics(o.Registry),
		Callbacks: s.callbacks,
	})
	if err != nil {
		return nil, err
	}
	registerGauges(o.Registry, s.ari, s.script,
		func() float64 { return float64(s.rec.Stats().Pending) },
		func() bool { return s.rec.Stats().DatabaseDown })
	registerSpoolMetrics(o.Registry, s.rec)
	s.linked.Store(true)
	bg, stop := context.WithCancel(context.Background())
	s.stopBg = stop
	go func() {
		defer close(s.bgDone)
		var wg sync.WaitGroup
		startDatabaseWork := func() {
			wg.Go(func() { sms.Run(bg) })
			wg.Go(func() { digest.Run(bg) })
			wg.Go(func() { s.sweepLeftOpenEvery(bg, time.Minute) })
		}
		if gate.isOpen() {
			startDatabaseWork()
		} else {
			wg.Go(func() {
				gate.waitForDatabase(bg, o.Pool, log.Named("database"), func() {
					if err := s.lineView.Refresh(bg); err != nil {
						log.Warn("roster not refreshed yet after the database came back", zap.Error(err))
					}
					startDatabaseWork()
				})
			})
		}
		s.lineView.Run(bg)
		wg.Wait()
	}()
	return s, nil
}

// loadRoster loads the roster from the database, else from the snapshot
// the last refresh saved under data_dir.
func (s *Service) loadRoster(ctx context.Context, cfg *config.Config) error {
	dbErr := s.lineView.Refresh(ctx)
	if dbErr == nil {
		return nil
	}
	if s.db.isOpen() || ctx.Err() != nil {
		return dbErr // the database answers: a roster it cannot give is a real problem
	}
	err := s.lineView.LoadSnapshotFile(cfg.Roster.SnapshotMaxAge)
	var stale *roster.StaleSnapshotError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &stale):
		return fmt.Errorf("the database is unavailable (%v) and %w: raise roster.snapshot_max_age (%s) to start from it anyway, or bring the database back",
			dbErr, err, cfg.Roster.SnapshotMaxAge)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the database is unavailable (%v) and no roster snapshot was ever saved under data_dir %s (one is saved at each refresh): %w",
			dbErr, cfg.DataDir, err)
	}
	return fmt.Errorf("the database is unavailable (%v) and the roster snapshot under data_dir cannot be read: %w", dbErr, err)
}

func (s *Service) startHTTP(addr string, pool *pgxpool.Pool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", addr, err)
	}
	checks := map[string]console.Check{
		"ari": func(context.Context) error {
			if !s.linked.Load() {
				if s.elector != nil {
					return &console.Notice{Text: "not connected: standby, waiting for the controller lease"}
				}
				return errors.New("not connected yet")
			}
			switch {
			case s.ari.Draining():
				return errors.New("draining: no new calls")
			case !s.ari.LinkUp():
				return errors.New("events WebSocket disconnected")
			}
			return nil
		},
		"database": func(ctx context.Context) error {
			if err := pool.Ping(ctx); err != nil {
				return fmt.Errorf("unreachable (%w): calls go on from the roster snapshot loaded at %s, their records wait in the spool",
					err, s.lineView.LoadedAt().Format(time.RFC3339))
			}
			if err := s.db.problem(); err != nil && !s.db.isOpen() {
				return err
			}
			return nil
		},
		"spool": func(context.Context) error {
			st := s.rec.Stats()
			if st.WriteFailing {
				return fmt.Errorf("cannot write the call records under data_dir: %s (%d events held in memory)", st.WriteError, st.Queued)
			}
			lines, file, err := s.rec.Quarantine()
			if err != nil {
				return err
			}
			if lines > 0 {
				return &console.Notice{Text: fmt.Sprintf("%d corrupt lines quarantined in %s", lines, file)}
			}
			return nil
		},
		// Calls still connect without it, but GPs hear a fallback chime or
		// silence while specialists are rung: an operator must know.
		"hold_sound": func(context.Context) error {
			if !s.linked.Load() {
				return nil
			}
			if p := s.ari.HoldProblem(); p != "" {
				return errors.New(p)
			}
			return nil
		},
	}
	if s.elector != nil {
		checks["ha"] = s.haCheck
	}
	s.httpAddr = ln.Addr().String()
	s.httpSrv = &http.Server{Handler: console.OpsHandler(checks, s.registry), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP endpoints stopped", zap.Error(err))
		}
	}()
	s.log.Info("HTTP endpoints", zap.String("addr", s.httpAddr))
	return nil
}

// Run takes calls until ctx ends, then takes no new call and lets the
// calls in progress finish (Shutdown cuts them short). With ha.enabled it
// returns an error wrapping lease.ErrLost as soon as the lease is lost:
// the ARI link is closed first, so that this process no longer acts on
// Asterisk, and the process should exit (the next holder adopts the calls).
// The calls an earlier controller left in Asterisk are adopted first.
func (s *Service) Run(ctx context.Context) error {
	s.ari.SetAdopter(func(ctx context.Context, a ivr.Adoption) {
		s.track(func() { s.script.Resume(ctx, a) }, false)
	})
	s.callsMu.Lock()
	s.placing = ctx
	s.callsMu.Unlock()
	if s.term == nil {
		return s.ari.Serve(ctx, s.serveCall)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	go func() {
		select {
		case <-s.term.Context().Done():
			if ctx.Err() == nil {
				close(lost)
				// As a crash: no request to Asterisk, no event recorded
				// from now on, or this process would hang up or close the
				// calls the next holder adopts.
				s.ari.Abandon()
				s.rec.Abandon()
				cancel()
			}
		case <-runCtx.Done():
		}
	}()
	served := make(chan error, 1)
	go func() { served <- s.ari.Serve(runCtx, s.serveCall) }()
	select {
	case err := <-served:
		select {
		case <-lost:
			return fmt.Errorf("stop serving: %w", context.Cause(s.term.Context()))
		default:
			return err
		}
	case <-lost:
		// The calls' scripts end on the closed link; do not wait on them
		// for long: this process must not linger as a second controller.
		t := time.NewTimer(lostGrace)
		defer t.Stop()
		select {
		case <-served:
		case <-t.C:
		}
		return fmt.Errorf("stop serving: %w", context.Cause(s.term.Context()))
	}
}

// lostGrace bounds how long Run waits for the calls' scripts after losing
// the lease.
const lostGrace = 5 * time.Second

func (s *Service) serveCall(ctx context.Context, call ivr.InboundCall) {
	s.track(func() { s.script.Serve(ctx, call) }, false)
}

// track counts a running call script for WaitIdle (counted already when
// the caller did, before starting its goroutine).
func (s *Service) track(script func(), counted bool) {
	if !counted {
		s.callsMu.Lock()
		if s.running == 0 {
			s.callsIdle = make(chan struct{})
		}
		s.running++
		s.callsMu.Unlock()
	}
	defer func() {
		s.callsMu.Lock()
		s.running--
		if s.running == 0 {
			close(s.callsIdle)
		}
		s.callsMu.Unlock()
	}()
	script()
}

// WaitIdle returns once no call script is running (every call's record is
// then written to the spool), or with ctx's error.
func (s *Service) WaitIdle(ctx context.Context) error {
	s.callsMu.Lock()
	idle := s.callsIdle
	s.callsMu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the calls in progress: %w", context.Cause(ctx))
	}
}

// WaitRecorded returns once no call script is running and every event
// spooled is in PostgreSQL: what the console and the exports read is then
// the whole of what happened.
func (s *Service) WaitRecorded(ctx context.Context) error {
	if err := s.WaitIdle(ctx); err != nil {
		return err
	}
	if err := s.rec.WaitDrained(ctx); err != nil {
		return fmt.Errorf("wait for the records: %w", err)
	}
	return nil
}

// Abandon stops the controller as a crash would: the calls stay in
// Asterisk, nothing more is recorded, and a controller started next adopts
// them. For failover tests; the process would simply die.
func (s *Service) Abandon() {
	if s.term != nil {
		s.term.Abandon() // the lease is left to expire, as a dead process leaves it
	}
	s.ari.Abandon()
	s.rec.Abandon()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.rec = nil
	_ = s.Close(ctx)
}

// Shutdown hangs up every call in progress now (a second SIGTERM).
func (s *Service) Shutdown(ctx context.Context) error {
	s.stopHardStop()
	return s.ari.Shutdown(ctx)
}

// Close releases everything; the spool is flushed to PostgreSQL until ctx
// ends, and what is left stays on disk for the next start.
func (s *Service) Close(ctx context.Context) error {
	if s.stopHardStop != nil {
		defer s.stopHardStop()
	}
	if s.ari != nil {
		s.ari.Close()
	}
	if s.stopHold != nil {
		s.stopHold()
	}
	if s.term != nil {
		// Released now, not by the renewer in its own time: the standby
		// takes over at once.
		if err := s.term.Release(ctx); err != nil {
			s.log.Warn("controller lease not released: the standby takes over at its expiry", zap.Error(err))
		}
	}
	if s.stopBg != nil {
		s.stopBg()
		<-s.bgDone
	}
	if s.httpSrv != nil {
		_ = s.httpSrv.Shutdown(ctx)
	}
	if s.console != nil {
		_ = s.console.Close(ctx)
	}
	if s.rec != nil {
		return s.rec.Close(ctx)
	}
	return nil
}

// ConsoleAddr is where the coordinators' console is served.
func (s *Service) ConsoleAddr() string { return s.console.Addr() }

// ConsoleURL is the console's home page, https when it serves TLS.
func (s *Service) ConsoleURL() string { return s.console.URL() }

// HTTPAddr is where /healthz, /readyz and /metrics are served.
func (s *Service) HTTPAddr() string { return s.httpAddr }

// Recorder is the call-record spool (tests wait for it to drain).
func (s *Service) Recorder() *calllog.Recorder { return s.rec }

// Calls reads the call records.
func (s *Service) Calls() *calllog.Store { return s.calls }

// Bridge exposes the ARI link's counters.
func (s *Service) Bridge() *bridge.Server { return s.ari }

// perCall is the logger for what makes a logger per call and per channel
// (the script, the bridge): With there keeps its fields instead of encoding
// them into a clone of the encoder, a kilobyte and more per logger held for
// the whole call (see lightlog).
func perCall(log *zap.Logger) *zap.Logger { return log.WithOptions(zap.WrapCore(lightlog.Wrap)) }
