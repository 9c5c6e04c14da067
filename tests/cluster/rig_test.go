package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/asterisktest"
	"github.com/regul-sante/regul/testkit/pgcluster"
	"github.com/regul-sante/regul/testkit/sample"
	"github.com/regul-sante/regul/testkit/testclock"
	"github.com/regul-sante/regul/wiring"
)

const (
	did      = "+33179000001"
	gpNumber = "+33611000014"
	gpRPPS   = "10003000014"
	martin   = "+33612000015" // cardiologie rank 1 on Monday morning
	// otherCaller is a second caller, not a GP of the roster.
	otherCaller = "+33600000099"
)

var mondayMorning = sample.MondayMorning

// database is the PostgreSQL primary and its streaming replica; url lists
// both, as database.url does in production.
type database struct {
	primary, replica *pgcluster.Cluster
	url              string
}

func startDatabase(t *testing.T, ctx context.Context) *database {
	t.Helper()
	primary, err := pgcluster.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Close() })
	admin, err := pgx.Connect(ctx, primary.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// The throwaway cluster runs with synchronous_commit off; the line's
	// database waits for the replica's flush (synchronous_standby_names
	// below), so that a promoted replica has every event a controller saw
	// committed.
	for _, q := range []string{`CREATE DATABASE regul`, `ALTER DATABASE regul SET synchronous_commit = 'on'`} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn, err := pgx.Connect(ctx, primary.URL("regul"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := migrations.Apply(ctx, conn); err != nil {
		t.Fatal(err)
	}
	replica, err := primary.StartReplica(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = replica.Close() })
	if err := waitFor(ctx, "the replica streaming", func() (bool, error) {
		var n int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'`).Scan(&n)
		return n == 1, err
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER SYSTEM SET synchronous_standby_names = '*'`, `SELECT pg_reload_conf()`} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	url := fmt.Sprintf("postgres://postgres@/regul?host=%s,%s&port=5432,5432&sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		primary.SocketDir(), replica.SocketDir())
	return &database{primary: primary, replica: replica, url: url}
}

// waitFor checks cond every 50 ms until it holds (for states nothing
// signals: PostgreSQL's, Kamailio's, a controller's link).
func waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last error: %v)", what, context.Cause(ctx), last)
		case <-tick.C:
		}
	}
}

// controller is one `regul serve` of a node, started in-process as the
// command starts it.
type controller struct {
	t    *testing.T
	name string
	node *asterisktest.Node
	cfg  *config.Config
	pool *pgxpool.Pool
	// started receives the service once Start returns: at once for the
	// node's first controller, when it takes the lease for a standby.
	started chan *wiring.Service
	svc     *wiring.Service
	stop    context.CancelFunc
	ran     chan error
}

func startController(t *testing.T, db *database, node *asterisktest.Node, nodeName, id string) *controller {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = db.url
	a := node.ARI
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password, cfg.ARI.Application = a.URL, a.Username, a.Password, a.Application
	cfg.ARI.WebsocketURL = ""
	cfg.ARI.ConnectTimeout = 10 * time.Second
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen, cfg.Console.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Dial.EarlyTimeout = 4 * time.Second
	cfg.HA.Enabled, cfg.HA.Node, cfg.HA.ID = true, nodeName, id
	pool, err := pgxpool.New(context.Background(), cfg.Database.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c := &controller{t: t, name: id, node: node, cfg: cfg, pool: pool, started: make(chan *wiring.Service, 1), ran: make(chan error, 1)}
	runCtx, stop := context.WithCancel(context.Background())
	c.stop = stop
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named(id)
	go func() {
		svc, err := wiring.Start(runCtx, wiring.Options{Config: cfg, Pool: pool, Logger: log, Clock: testclock.Shifted(mondayMorning),
			IVR: ivr.Options{FirstDigitTimeout: 4 * time.Second, InterDigitTimeout: 3 * time.Second, AcceptTimeout: 4 * time.Second}})
		if err != nil {
			c.ran <- err
			close(c.started)
			return
		}
		c.started <- svc
		c.ran <- svc.Run(runCtx)
	}()
	t.Cleanup(c.close)
	return c
}

// active waits until this controller holds its node's lease and drives it.
func (c *controller) active(ctx context.Context) *wiring.Service {
	c.t.Helper()
	if c.svc != nil {
		return c.svc
	}
	select {
	case svc, ok := <-c.started:
		if !ok {
			c.t.Fatalf("%s did not start: %v", c.name, <-c.ran)
		}
		c.svc = svc
	case <-ctx.Done():
		c.t.Fatalf("%s never became active: %v", c.name, context.Cause(ctx))
	}
	if err := waitFor(ctx, c.name+"'s ARI link", func() (bool, error) { return c.svc.Bridge().LinkUp(), nil }); err != nil {
		c.t.Fatal(err)
	}
	return c.svc
}

// isStandby says the controller has not taken the lease.
func (c *controller) isStandby() bool { return c.svc == nil && len(c.started) == 0 }

// crash stops the controller as a killed process: the lease is left to
// expire, the calls stay in Asterisk.
func (c *controller) crash() {
	c.svc.Abandon()
	c.stop()
	c.svc = nil
}

func (c *controller) close() {
	c.stop()
	svc := c.svc
	if svc == nil {
		select {
		case s, ok := <-c.started:
			if ok {
				svc = s
			}
		default:
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if svc != nil {
		_ = svc.Shutdown(ctx)
		select {
		case <-c.ran:
		case <-ctx.Done():
		}
		_ = svc.Close(ctx)
	}
}

// readyHA is the "ha" line of the controller's /readyz.
func (c *controller) readyHA(ctx context.Context) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.svc.HTTPAddr()+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// loadRoster puts the sample territory in the database, with PINs for the
// GPs; it returns their PINs by RPPS.
func loadRoster(t *testing.T, ctx context.Context, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	store := roster.NewStore(pool)
	loaded, err := sample.Load(ctx, store, filepath.Join("..", "..", "testdata"), sample.Options{Territory: func(spec *roster.TerritorySpec) {
		spec.RingTimeout, spec.HuntTimeout = 5*time.Second, 40*time.Second
	}})
	if err != nil {
		t.Fatal(err)
	}
	pins := map[string]string{}
	for _, rpps := range []string{"10003000014", "10003000022"} {
		pin, err := store.SetNewPIN(ctx, loaded.Territory.ID, rpps)
		if err != nil {
			t.Fatal(err)
		}
		pins[rpps] = pin
	}
	return pins
}

// contains is strings.Contains for the figures' checks.
func contains(s, part string) bool { return strings.Contains(s, part) }
