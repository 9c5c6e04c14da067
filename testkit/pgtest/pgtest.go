// Package pgtest gives each test a fresh, migrated PostgreSQL database.
//
// With REGUL_TEST_DATABASE_URL set, databases are created on that server.
// Otherwise one throwaway cluster is started per test binary (see pgcluster).
// A migrated template database makes each fresh database a cheap copy.
// A package that uses New must call Main from its TestMain, which removes the
// cluster and the databases at the end.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/testkit/pgcluster"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "REGUL_TEST_DATABASE_URL"

var (
	mainCalled bool
	once       sync.Once
	setupErr   error
	server     serverURL
	cluster    *pgcluster.Cluster
	template   string
	counter    atomic.Int64
	created    []string
	createdMu  sync.Mutex
)

// serverURL builds a URL for a database on the server in use.
type serverURL func(db string) string

// Main runs the package's tests and then removes what they created.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: a TestMain that reports something after
// the tests (e.g. how many calls a real Asterisk took) uses it.
func Run(m *testing.M) int {
	mainCalled = true
	code := m.Run()
	cleanup()
	return code
}

// Cluster returns the throwaway cluster (nil when REGUL_TEST_DATABASE_URL is
// used), so a test can stop and restart the server.
func Cluster(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	setup(t)
	return cluster
}

// URL creates a fresh migrated database and returns its connection URL.
func URL(t testing.TB) string {
	t.Helper()
	setup(t)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, server("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	createdMu.Lock()
	created = append(created, name)
	createdMu.Unlock()
	return server(name)
}

// New creates a fresh migrated database and returns a pool on it, closed
// when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	u := URL(t)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func setup(t testing.TB) {
	t.Helper()
	if !mainCalled {
		t.Fatal("pgtest: call pgtest.Main(m) from the package's TestMain")
	}
	once.Do(func() { setupErr = start() })
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
}

func start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if raw := os.Getenv(EnvURL); raw != "" {
		base, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("%s is not a URL: %w", EnvURL, err)
		}
		server = func(db string) string {
			u := *base
			u.Path = "/" + db
			return u.String()
		}
	} else {
		c, err := pgcluster.Start(ctx)
		if err != nil {
			return fmt.Errorf("start throwaway PostgreSQL (or set %s): %w", EnvURL, err)
		}
		cluster = c
		server = c.URL
	}
	template = fmt.Sprintf("regul_tpl_%d", os.Getpid())
	admin, err := pgx.Connect(ctx, server("postgres"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+template); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	created = append(created, template)
	conn, err := pgx.Connect(ctx, server(template))
	if err != nil {
		return fmt.Errorf("connect template: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := migrations.Apply(ctx, conn); err != nil {
		return err
	}
	return nil
}

func cleanup() {
	if cluster != nil {
		_ = cluster.Close()
		return
	}
	if server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, server("postgres"))
	if err != nil {
		return
	}
	defer admin.Close(ctx)
	for _, db := range created {
		if strings.HasPrefix(db, "t_") || strings.HasPrefix(db, "regul_tpl_") {
			_, _ = admin.Exec(ctx, `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`)
		}
	}
}
