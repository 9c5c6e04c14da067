// Package service wires one regulation-line controller: the roster snapshot,
// the call-record spool, the ARI link, the call script and the operational
// HTTP endpoints. `regul serve`, `regul demo` and the end-to-end tests all
// start the line through Start, so they run the same code.
package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	asteriskconfig "github.com/regul-sante/regul/asterisk-config"
	"github.com/regul-sante/regul/bridge"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/config"
	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/web"
)

// Options are what Start needs besides the configuration.
type Options struct {
	Config *config.Config
	Pool   *pgxpool.Pool
	Logger *zap.Logger
	// Clock drives the script's time rules and the roster snapshot; nil is
	// the wall clock. Tests and the demo run an accelerated one.
	Clock ivr.Clock
	// IVR overrides the script's timeouts; zero fields take the defaults
	// (EarlyTimeout comes from dial.early_timeout).
	IVR ivr.Options
	// Notifier receives callback requests and pending outcomes; nil logs
	// them. The SMS do not go through it: they derive from the call record
	// (the outbox rows are written with the events, see notify).
	Notifier ivr.Notifier
	// Registry collects the metrics; nil makes a new one.
	Registry *prometheus.Registry
}

// Service is a running controller.
type Service struct {
	log      *zap.Logger
	dir      *roster.CallDirectory
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

	callsMu   sync.Mutex
	running   int
	callsIdle chan struct{} // closed while no call is running
}

// Start checks the schema, loads the roster, opens the spool, connects to
// ARI and starts the HTTP endpoints. Run then takes calls.
func Start(ctx context.Context, o Options) (svc *Service, err error) {
	cfg, log := o.Config, o.Logger
	if err := checkSchema(ctx, o.Pool); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = ivr.SystemClock()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if o.Notifier == nil {
		o.Notifier = logNotifier{log: log.Named("notify")}
	}
	s := &Service{log: log, registry: o.Registry, bgDone: make(chan struct{}), callsIdle: make(chan struct{})}
	close(s.callsIdle)
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
	s.dir = roster.NewCallDirectory(store, roster.CallDirectoryOptions{Lockout: lockout}, o.Clock.Now, log.Named("roster"))
	if err := s.dir.Refresh(ctx); err != nil {
		return nil, err
	}

	outbox, sms, digest, err := newSMS(cfg, o.Pool, store, o.Clock.Now, log.Named("sms"))
	if err != nil {
		return nil, err
	}
	s.calls = calllog.NewStore(o.Pool)
	s.rec, err = calllog.OpenRecorder(s.calls, calllog.Options{Dir: calllog.SpoolDir(cfg.DataDir), Log: log.Named("calllog"),
		Now: o.Clock.Now, OnApply: outbox.Hook})
	if err != nil {
		return nil, fmt.Errorf("open the call-record spool under data_dir %s: %w", cfg.DataDir, err)
	}

	prompts, err := ivr.LoadPromptsYAML(bytes.NewReader(asteriskconfig.PromptCatalogue))
	if err != nil {
		return nil, fmt.Errorf("prompt catalogue: %w", err)
	}

	s.ari, err = bridge.Open(ctx, bridge.Options{
		URL: cfg.ARI.URL, WebsocketURL: cfg.ARI.WebsocketURL,
		Username: cfg.ARI.Username, Password: cfg.ARI.Password, Application: cfg.ARI.Application,
		RequestTimeout: cfg.ARI.RequestTimeout, ConnectTimeout: cfg.ARI.ConnectTimeout,
		DialTemplate: cfg.Dial.Template, Logger: log.Named("ari"),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Asterisk (ari.url %s): %w", cfg.ARI.URL, err)
	}

	ivrOpts := o.IVR
	if ivrOpts.EarlyTimeout == 0 {
		ivrOpts.EarlyTimeout = cfg.Dial.EarlyTimeout
	}
	s.script, err = ivr.New(ivrOpts, ivr.Deps{
		Directory: s.dir, Switch: s.ari, Recorder: s.rec, Notifier: o.Notifier,
		Clock: o.Clock, Logger: log.Named("call"), Prompts: prompts, Metrics: newMetrics(o.Registry),
	})
	if err != nil {
		return nil, err
	}
	registerGauges(o.Registry, s.ari.LinkUp,
		func() float64 { return float64(s.rec.Stats().Pending) },
		func() bool { return s.rec.Stats().DatabaseDown })

	if err := s.startHTTP(cfg.HTTP.Listen, o.Pool); err != nil {
		return nil, err
	}
	if s.console, err = StartConsole(cfg, o.Pool, log.Named("console")); err != nil {
		return nil, err
	}
	bg, stop := context.WithCancel(context.Background())
	s.stopBg = stop
	go func() {
		defer close(s.bgDone)
		var wg sync.WaitGroup
		wg.Go(func() { sms.Run(bg) })
		wg.Go(func() { digest.Run(bg) })
		s.dir.Run(bg)
		wg.Wait()
	}()
	return s, nil
}

func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer conn.Release()
	pending, err := migrations.Pending(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("database schema is behind (missing %v): run `regul migrate`", pending)
	}
	return nil
}

func (s *Service) startHTTP(addr string, pool *pgxpool.Pool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", addr, err)
	}
	checks := map[string]web.Check{
		"ari": func(context.Context) error {
			switch {
			case s.ari.Draining():
				return errors.New("draining: no new calls")
			case !s.ari.LinkUp():
				return errors.New("events WebSocket disconnected")
			}
			return nil
		},
		"database": func(ctx context.Context) error { return pool.Ping(ctx) },
	}
	s.httpAddr = ln.Addr().String()
	s.httpSrv = &http.Server{Handler: web.OpsHandler(checks, s.registry), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP endpoints stopped", zap.Error(err))
		}
	}()
	s.log.Info("HTTP endpoints", zap.String("addr", s.httpAddr))
	return nil
}

// Run takes calls until ctx ends, then takes no new call and lets the
// calls in progress finish (Shutdown cuts them short).
func (s *Service) Run(ctx context.Context) error {
	return s.ari.Serve(ctx, s.serveCall)
}

func (s *Service) serveCall(ctx context.Context, call ivr.InboundCall) {
	s.callsMu.Lock()
	if s.running == 0 {
		s.callsIdle = make(chan struct{})
	}
	s.running++
	s.callsMu.Unlock()
	defer func() {
		s.callsMu.Lock()
		s.running--
		if s.running == 0 {
			close(s.callsIdle)
		}
		s.callsMu.Unlock()
	}()
	s.script.Serve(ctx, call)
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

// Shutdown hangs up every call in progress now (a second SIGTERM).
func (s *Service) Shutdown(ctx context.Context) error {
	return s.ari.Shutdown(ctx)
}

// Close releases everything; the spool is flushed to PostgreSQL until ctx
// ends, and what is left stays on disk for the next start.
func (s *Service) Close(ctx context.Context) error {
	if s.ari != nil {
		s.ari.Close()
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

// Directory is the roster snapshot the calls read.
func (s *Service) Directory() *roster.CallDirectory { return s.dir }
