package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/fakecalls"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/testclock"
)

// BenchmarkCallsPage serves the Calls page (and a year of statistics) from
// a database of a million calls (two years of a region-wide line) and
// reports each scenario's p50 and p95 latency through the whole handler:
// session, scope, query, template. The targets are p95 ≤ 200 ms for the
// calls, 1 s for the statistics. Run it with
//
//	go test ./web -run '^$' -bench BenchmarkCallsPage -benchtime 200x
//
// Generating the calls takes a minute or two; plain `go test` never runs it.
func BenchmarkCallsPage(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	clock := testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	fx := seed(b, pool, clock.Now())

	specialties := specialtyIDs(b, pool, fx.coteaux)
	start := time.Now()
	if err := fakecalls.Generate(ctx, pool, fakecalls.Spec{
		TerritoryID: fx.coteaux, DID: "+33179000001", SpecialtyIDs: specialties,
		GPs:         []string{"10003000014", "10003000022", "10003000030", "10003000048"},
		Specialists: []string{"10002000015", "10002000023", "10002000031", "10002000049", "10002000056", "10002000064"},
		From:        clock.Now().AddDate(-2, 0, 0), To: clock.Now(), Calls: 1_000_000, Seed: 0.25,
	}); err != nil {
		b.Fatal(err)
	}
	// What autovacuum does to a table after a million inserts: the visibility
	// map lets the count of matching calls read the index alone.
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE call, outcome, callback_request`); err != nil {
		b.Fatal(err)
	}
	b.Logf("1,000,000 calls generated in %s", time.Since(start).Round(time.Second))

	handler, err := NewConsole(ConsoleOptions{Deps: realDeps(b, pool, accounts.Options{Clock: clock}), Logger: zap.NewNop(), Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	token := benchSession(b, pool, clock)

	for _, sc := range []struct{ name, path string }{
		{"first_page", "/t/cpts-coteaux/appels"},
		{"filtered_callback_dermatologie", "/t/cpts-coteaux/appels?resultat=callback&specialite=dermatologie"},
		{"filtered_month_pending", "/t/cpts-coteaux/appels?du=2026-01-01&au=2026-01-31&issue=pending"},
		{"filtered_teleexpertise", "/t/cpts-coteaux/appels?issue=teleexpertise"},
		{"page_200", "/t/cpts-coteaux/appels?page=200"},
		// The Statistiques page of a year, charts drawn (target ≤ 1 s).
		{"statistics_year", "/t/cpts-coteaux/statistiques?du=2025-03-01&au=2026-02-28"},
	} {
		b.Run(sc.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, sc.path, nil)
				req.Header.Set("Accept", "text/html")
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
				rec := httptest.NewRecorder()
				t0 := time.Now()
				handler.ServeHTTP(rec, req)
				took = append(took, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d\n%s", sc.path, rec.Code, rec.Body.String())
				}
			}
			slices.Sort(took)
			pct := func(p float64) float64 {
				return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50_ms")
			b.ReportMetric(pct(0.95), "p95_ms")
		})
	}
}

// benchSession signs a coordinator of cpts-coteaux in (password, then TOTP)
// and returns the session token.
func benchSession(b *testing.B, pool *pgxpool.Pool, clock *testClock) string {
	b.Helper()
	ctx := context.Background()
	store, err := accounts.NewStore(pool, accounts.Options{Clock: clock, Territories: roster.NewStore(pool),
		PasswordParams: accounts.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Create(ctx, "bench", accounts.NewAccount{Email: "bench@cpts.example", Password: testPassword,
		Territories: []string{"cpts-coteaux"}}); err != nil {
		b.Fatal(err)
	}
	pending, err := store.Login(ctx, "bench@cpts.example", testPassword, accounts.ClientInfo{RemoteIP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := store.Session(ctx, pending)
	if err != nil {
		b.Fatal(err)
	}
	secret, err := store.EnrolmentSecret(ctx, sess)
	if err != nil {
		b.Fatal(err)
	}
	code, err := accounts.TOTPCode(secret, clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	token, err := store.CompleteLogin(ctx, sess, code, accounts.ClientInfo{RemoteIP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	return token
}
