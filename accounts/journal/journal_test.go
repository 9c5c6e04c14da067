package journal

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestWriteAndPage: a row written in a transaction that rolls back is not
// kept; the page lists a territory's rows newest first, pages on with
// before, and shows nothing of a territory outside the reader's scope.
func TestWriteAndPage(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	var coteaux, vallee int64
	if err := pool.QueryRow(ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-coteaux', 'Coteaux') RETURNING id`).Scan(&coteaux); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-vallee', 'Vallée') RETURNING id`).Scan(&vallee); err != nil {
		t.Fatal(err)
	}
	j := NewStore(pool)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rollback := errors.New("rolled back")
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := Write(ctx, tx, Entry{At: t0, Actor: "cli:alice", TerritoryID: coteaux, Action: ActionShiftAdded}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	for i, action := range []string{ActionShiftAdded, ActionShiftDeleted, ActionExportBilling} {
		e := Entry{At: t0.Add(time.Duration(i) * time.Minute), Actor: "cli:alice", TerritoryID: coteaux, Action: action,
			Detail: map[string]any{"n": i}}
		if err := j.Write(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Write(ctx, Entry{Actor: "system", Action: ActionLogin}); err != nil {
		t.Fatal(err)
	}
	first, err := j.Page(ctx, []int64{coteaux}, coteaux, 0, 2)
	if err != nil || len(first) != 2 || first[0].Action != ActionExportBilling || first[1].Action != ActionShiftDeleted ||
		string(first[0].RawDetail) != `{"n": 2}` {
		t.Fatalf("first page: %+v %v", first, err)
	}
	next, err := j.Page(ctx, []int64{coteaux}, coteaux, first[1].ID, 2)
	if err != nil || len(next) != 1 || next[0].Action != ActionShiftAdded || !next[0].At.Equal(t0) {
		t.Fatalf("next page: %+v %v", next, err)
	}
	if other, err := j.Page(ctx, []int64{vallee}, coteaux, 0, 10); err != nil || len(other) != 0 {
		t.Fatalf("outside the scope: %+v %v", other, err)
	}
}
