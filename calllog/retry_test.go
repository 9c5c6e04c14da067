package calllog

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/regul-sante/regul/testkit/pgtest"
)

// A transaction aborted for a deadlock is run again from the start, its
// first try's writes gone; any other error is returned at once.
func TestBeginRetry(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE tries (n int)`); err != nil {
		t.Fatal(err)
	}
	runs := 0
	err := BeginRetry(ctx, pool, func(tx pgx.Tx) error {
		runs++
		if _, err := tx.Exec(ctx, `INSERT INTO tries VALUES ($1)`, runs); err != nil {
			return err
		}
		if runs == 1 {
			return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
		}
		return nil
	})
	if err != nil || runs != 2 {
		t.Fatalf("err %v after %d runs; want success on the 2nd", err, runs)
	}
	var rows []int
	r, _ := pool.Query(ctx, `SELECT n FROM tries`)
	for r.Next() {
		var n int
		_ = r.Scan(&n)
		rows = append(rows, n)
	}
	if len(rows) != 1 || rows[0] != 2 {
		t.Errorf("rows %v; want only the second try's", rows)
	}

	refused := errors.New("refused")
	runs = 0
	if err := BeginRetry(ctx, pool, func(pgx.Tx) error { runs++; return refused }); !errors.Is(err, refused) || runs != 1 {
		t.Errorf("a plain error: %v after %d runs", err, runs)
	}
}
