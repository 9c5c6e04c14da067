package billing

import (
	"context"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// Calls is the calls' owner (calllog), as a statement reads it.
type Calls interface {
	BillableCalls(ctx context.Context, territoryID int64, from, to time.Time) ([]calllog.BillableCall, error)
}

// Directory is the owner of the territories and practitioners (roster), as
// a statement reads it.
type Directory interface {
	TerritoryNames(ctx context.Context) ([]roster.TerritoryName, error)
	PractitionersByName(ctx context.Context, rpps []string) ([]oncall.Practitioner, error)
}

// Sources are the owners a Store asks for what is not its own.
type Sources struct {
	Calls     Calls
	Directory Directory
}
