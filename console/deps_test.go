package console

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// envOptions are a test console's options and its accounts' login policy,
// which the composition root gives the accounts store.
type envOptions struct {
	ConsoleOptions
	Pool        *pgxpool.Pool   // the test database, for options that build an owner
	Policy      accounts.Policy // zero: the defaults
	SessionIdle time.Duration
}

// realDeps builds the real owners on a test database, as wiring.ConsoleDeps
// does (the console cannot import wiring, which imports it).
func realDeps(t testing.TB, pool *pgxpool.Pool, acc accounts.Options) Deps {
	t.Helper()
	people := roster.NewStore(pool)
	if acc.Territories == nil {
		acc.Territories = people
	}
	desk, err := accounts.NewStore(pool, acc)
	if err != nil {
		t.Fatal(err)
	}
	calls := calllog.NewStore(pool)
	return Deps{Accounts: desk, People: people, Planning: people, Feeds: people, Board: people, Names: people,
		Calls: calls, Callbacks: calllog.NewStore(pool).WithNames(people), SMS: notify.NewDesk(pool, calls),
		Billing: billing.NewStore(pool, billing.Sources{Calls: calls, Directory: people}),
		Journal: journal.NewStore(pool), Stats: calls}
}
