package calllog

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// BeginRetry runs fn in a transaction and runs it again, up to three
// times, when PostgreSQL aborted it for a deadlock or a serialization
// failure. Keying an outcome moves a call between two rows of the
// statistics' counts while the applier may be moving others: PostgreSQL
// breaks such a rare cycle by aborting one side, and nothing was written.
func BeginRetry(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(pgx.Tx) error) error {
	var err error
	for range 3 {
		err = pgx.BeginFunc(ctx, db, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
