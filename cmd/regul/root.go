package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/internal/logging"
)

// app carries what every command may need, built lazily from the config.
type app struct {
	configPath string
	cfg        *config.Config
	log        *zap.Logger
	pool       *pgxpool.Pool
}

func newRootCmd() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "regul",
		Short:         "Telephone regulation line for second-recours specialist advice",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPostRun: func(*cobra.Command, []string) {
			a.close()
		},
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "YAML configuration file (REGUL_* environment variables override it)")
	root.AddCommand(
		newMigrateCmd(a),
		newServeCmd(a),
		newSimCmd(a),
		newDemoCmd(a),
		newTerritoryCmd(a),
		newDirectoryCmd(a),
		newEnrolCmd(a),
		newRosterCmd(a),
		newAsteriskCmd(a),
		newPromptsCmd(a),
		newUserCmd(a),
		newConsoleCmd(a),
		newExportCmd(a),
		newTariffCmd(a),
	)
	return root
}

func (a *app) config() (*config.Config, error) {
	if a.cfg == nil {
		c, err := config.Load(a.configPath)
		if err != nil {
			return nil, err
		}
		a.cfg = c
	}
	return a.cfg, nil
}

func (a *app) logger() (*zap.Logger, error) {
	if a.log != nil {
		return a.log, nil
	}
	c, err := a.config()
	if err != nil {
		return nil, err
	}
	a.log, err = logging.New(c.Log)
	return a.log, err
}

// db opens the pool on database.url and checks that the database answers.
func (a *app) db(ctx context.Context) (*pgxpool.Pool, error) {
	return a.openDB(ctx, true)
}

// dbMaybeDown opens the pool without waiting for the database: `serve`
// starts and takes calls while it is away, and the pool connects when it
// comes back.
func (a *app) dbMaybeDown(ctx context.Context) (*pgxpool.Pool, error) {
	return a.openDB(ctx, false)
}

func (a *app) openDB(ctx context.Context, ping bool) (*pgxpool.Pool, error) {
	if a.pool != nil {
		return a.pool, nil
	}
	c, err := a.config()
	if err != nil {
		return nil, err
	}
	if err := c.RequireDatabase(); err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, c.Database.URL)
	if err != nil {
		return nil, fmt.Errorf("database.url: %w", err)
	}
	if ping {
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to database: %w", err)
		}
	}
	a.pool = pool
	return pool, nil
}

func (a *app) close() {
	if a.pool != nil {
		a.pool.Close()
	}
	if a.log != nil {
		_ = a.log.Sync()
	}
}
