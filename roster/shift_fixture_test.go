package roster

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// shiftFixture is the sample territory (cpts-coteaux) in a fresh database.
type shiftFixture struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	store *Store
	terr  oncall.Territory
	paris *time.Location
}

func newShiftFixture(t testing.TB) *shiftFixture {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	seed, err := os.ReadFile("../testdata/roster_fixture.sql")
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	if _, err := pool.Exec(ctx, string(seed)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	store := NewStore(pool)
	terr, err := store.TerritoryBySlug(ctx, "cpts-coteaux")
	if err != nil {
		t.Fatalf("load territory: %v", err)
	}
	return &shiftFixture{ctx: ctx, pool: pool, store: store, terr: terr, paris: terr.Location}
}

// specialty returns the id of a specialty by slug.
func (f *shiftFixture) specialty(t testing.TB, slug string) int64 {
	t.Helper()
	sp, err := f.terr.SpecialtyBySlug(slug)
	if err != nil {
		t.Fatal(err)
	}
	return sp.ID
}

// at reads a local time of the territory.
func (f *shiftFixture) at(t testing.TB, s string) time.Time {
	t.Helper()
	tt, err := ParseLocal(s, f.paris)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// importCSV imports lines given after the header.
func (f *shiftFixture) importCSV(t testing.TB, dryRun bool, lines ...string) (ImportReport, error) {
	t.Helper()
	body := "rpps,specialty,start,end,rank\n" + strings.Join(lines, "\n") + "\n"
	return f.store.ImportShifts(f.ctx, f.terr.ID, "roster.csv", strings.NewReader(body), dryRun)
}

func (f *shiftFixture) mustImport(t testing.TB, lines ...string) ImportReport {
	t.Helper()
	rep, err := f.importCSV(t, false, lines...)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func (f *shiftFixture) countShifts(t testing.TB) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, `SELECT count(*) FROM shift`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
