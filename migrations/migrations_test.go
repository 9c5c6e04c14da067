package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The template is already migrated: applying again must change nothing.
func TestApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	applied, err := migrations.Apply(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second apply ran %v, want nothing", applied)
	}
	all, _ := migrations.All()
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migration`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Fatalf("schema_migration has %d rows, want %d", n, len(all))
	}
}
