package console

import (
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
)

// billingStore is the billing store for a request: the calls from
// calllog, the territories and practitioners from roster, answering only
// for the coordinator's territories.
func (c *console) billingStore(scope []int64) *billing.Store {
	return billing.NewStore(c.pool, billing.Sources{Calls: calllog.NewStore(c.pool), Directory: roster.NewStore(c.pool)}).
		WithinTerritories(scope)
}
