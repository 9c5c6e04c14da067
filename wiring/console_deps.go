package wiring

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/console"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// ConsoleDeps builds, once, the data owners the console asks: each page
// family sees its owner through the small interface the console declares.
func ConsoleDeps(pool *pgxpool.Pool, acc accounts.Options) (console.Deps, error) {
	people := roster.NewStore(pool)
	if acc.Territories == nil {
		acc.Territories = people
	}
	desk, err := accounts.NewStore(pool, acc)
	if err != nil {
		return console.Deps{}, fmt.Errorf("console accounts: %w", err)
	}
	calls := calllog.NewStore(pool)
	return console.Deps{
		Accounts: desk,
		People:   people, Planning: people, Feeds: people, Board: people, Names: people,
		Calls: calls, Callbacks: calllog.NewStore(pool).WithNames(people),
		SMS:     notify.NewDesk(pool, calls),
		Billing: BillingStore(pool),
		Journal: journal.NewStore(pool),
		Stats:   calls,
	}, nil
}

// ConsolePolicy is the login policy with the configured session lengths
// (zero keeps the default).
func ConsolePolicy(idle, max time.Duration) accounts.Policy {
	p := accounts.DefaultPolicy()
	if idle > 0 {
		p.SessionIdle = idle
	}
	if max > 0 {
		p.SessionMax = max
	}
	return p
}
