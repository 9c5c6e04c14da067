package wiring

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/migrations"
)

// A controller starts and takes calls while PostgreSQL is away: the roster
// comes from the snapshot saved under data_dir, call events wait in the
// spool. What needs the database (the schema check, the SMS worker and
// digest, applying the spool) waits for it in the background; the console
// answers errors until it is back.

const (
	// schemaCheckTimeout bounds the start's wait for the database.
	schemaCheckTimeout = 5 * time.Second
	// databaseRetry is how often a controller started without the
	// database tries it again.
	databaseRetry = 2 * time.Second
)

// schemaBehindError says the database answers with an older schema: the
// one problem the start refuses even without an outage.
type schemaBehindError struct{ missing []string }

func (e *schemaBehindError) Error() string {
	return fmt.Sprintf("database schema is behind (missing %v): run `regul migrate`", e.missing)
}

func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	ctx, cancel := context.WithTimeout(ctx, schemaCheckTimeout)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer conn.Release()
	pending, err := migrations.Pending(ctx, conn.Conn())
	if err != nil {
		return fmt.Errorf("check the database schema: %w", err)
	}
	if len(pending) > 0 {
		return &schemaBehindError{missing: pending}
	}
	return nil
}

// databaseGate is closed once the schema has been checked; until then it
// says why not.
type databaseGate struct {
	ready chan struct{}
	once  sync.Once
	mu    sync.Mutex
	why   error
}

func newDatabaseGate() *databaseGate { return &databaseGate{ready: make(chan struct{})} }

func (g *databaseGate) open() {
	g.mu.Lock()
	g.why = nil
	g.mu.Unlock()
	g.once.Do(func() { close(g.ready) })
}

func (g *databaseGate) problem() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.why
}

func (g *databaseGate) isOpen() bool {
	select {
	case <-g.ready:
		return true
	default:
		return false
	}
}

// waitForDatabase checks the schema until it passes (then runs ready) or
// ctx ends. An outage and an old schema are logged when they start and
// when they change.
func (g *databaseGate) waitForDatabase(ctx context.Context, pool *pgxpool.Pool, log *zap.Logger, ready func()) {
	var last string
	for {
		err := checkSchema(ctx, pool)
		if err == nil {
			log.Info("database reachable, schema checked: applying the spooled call events, SMS and roster refresh resume")
			g.open()
			ready()
			return
		}
		if ctx.Err() != nil {
			return
		}
		g.mu.Lock()
		g.why = err
		g.mu.Unlock()
		var behind *schemaBehindError
		if msg := err.Error(); msg != last {
			last = msg
			if errors.As(err, &behind) {
				log.Error("database schema is behind this binary: call events stay in the spool until `regul migrate` runs", zap.Error(err))
			} else {
				log.Warn("database still unavailable: calls go on from the roster snapshot, their records wait in the spool", zap.Error(err))
			}
		}
		t := time.NewTimer(databaseRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
