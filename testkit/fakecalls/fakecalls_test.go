package fakecalls

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestGenerate(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := Generate(ctx, pool, Spec{TerritoryID: 1, DID: "+33179000001", SpecialtyIDs: []int64{1, 2, 3},
		GPs: []string{"10003000014", "10003000022"}, Specialists: []string{"10002000015", "10002000023"},
		From: from, To: from.AddDate(0, 1, 0), Calls: 2000, Seed: 0.42})
	if err != nil {
		t.Fatal(err)
	}
	var calls, bridged, keyed, callbacks, attempts int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE result = 'bridged'),
		(SELECT count(*) FROM outcome WHERE status = 'keyed'), (SELECT count(*) FROM callback_request),
		(SELECT count(*) FROM call_attempt) FROM call`).Scan(&calls, &bridged, &keyed, &callbacks, &attempts); err != nil {
		t.Fatal(err)
	}
	if calls != 2000 || bridged < 1300 || bridged > 1700 || keyed == 0 || callbacks == 0 || attempts < calls/2 {
		t.Fatalf("calls %d bridged %d keyed %d callbacks %d attempts %d", calls, bridged, keyed, callbacks, attempts)
	}
}
