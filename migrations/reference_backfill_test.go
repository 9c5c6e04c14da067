package migrations_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// TestReferenceBackfill: 0090 gives every existing call a reference, the
// one callevent.DeriveReference gives, unique in its territory — also for two
// calls whose first derivation clashes.
func TestReferenceBackfill(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The schema as it was before 0090.
	if _, err := conn.Exec(ctx, `ALTER TABLE call DROP CONSTRAINT call_territory_reference; ALTER TABLE call DROP COLUMN reference`); err != nil {
		t.Fatal(err)
	}
	// Find two ids whose first derivation clashes (a birthday search).
	byRef := map[string]string{}
	var clashA, clashB string
	for i := 0; clashA == ""; i++ {
		id := fmt.Sprintf("00000000-0000-7000-8000-%012d", i)
		r := callevent.DeriveReference(id, 0)
		if prev, ok := byRef[r]; ok {
			clashA, clashB = prev, id
		}
		byRef[r] = id
	}
	ids := []string{clashA, clashB, "01a23f10-0000-7000-8000-000000000001", "01a23f10-0000-7000-8000-000000000002"}
	for i, id := range ids {
		if _, err := conn.Exec(ctx, `INSERT INTO call (id, territory_id, started_at) VALUES ($1, 1, now() + $2 * interval '1 s')`,
			id, i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `INSERT INTO call (id, territory_id, started_at) VALUES ($1, NULL, now())`, "ffffffff-0000-7000-8000-000000000009"); err != nil {
		t.Fatal(err)
	}
	var sql string
	all, _ := migrations.All()
	for _, m := range all {
		if m.Version == "0090_call_reference" {
			sql = m.SQL
		}
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{}
	for _, id := range ids {
		var r string
		if err := conn.QueryRow(ctx, `SELECT reference FROM call WHERE id = $1`, id).Scan(&r); err != nil {
			t.Fatal(err)
		}
		if prev, dup := refs[r]; dup {
			t.Fatalf("calls %s and %s share %s", prev, id, r)
		}
		refs[r] = id
	}
	if r := callevent.DeriveReference(clashA, 0); refs[r] != clashA {
		t.Errorf("the earlier call of the clash lost its reference %s", r)
	}
	if r := callevent.DeriveReference(clashB, 1); refs[r] != clashB {
		t.Errorf("the later call of the clash does not have its next derivation %s", r)
	}
	var missing int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM call WHERE reference IS NULL`).Scan(&missing); err != nil || missing != 0 {
		t.Errorf("%d calls without a reference (%v)", missing, err)
	}
}
