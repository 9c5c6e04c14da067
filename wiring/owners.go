package wiring

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// The owners other packages read through, built on one pool.

// BillingStore is the billing store on a pool, reading the calls from
// calllog and the territories and practitioners from roster.
func BillingStore(pool *pgxpool.Pool) *billing.Store {
	return billing.NewStore(pool, billing.Sources{Calls: calllog.NewStore(pool), Directory: roster.NewStore(pool)})
}

// NotifyOwners are the owners notify's messages and link pages read the
// calls and the roster through.
func NotifyOwners(pool *pgxpool.Pool) notify.Owners {
	return notify.Owners{Calls: calllog.NewStore(pool), Roster: roster.NewStore(pool)}
}
