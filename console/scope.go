package console

import (
	"fmt"

	"github.com/regul-sante/regul/accounts"
)

// territoryScope is the set of territories a coordinator may see. Every
// read filters on it and the current territory in SQL — never only in the
// templates — so a forged id of another territory's row matches nothing
// and answers 404: the console hands both to the owner it asks
// (rosterScope, callScope, smsScope).
type territoryScope struct {
	list []accounts.Territory
}

func newTerritoryScope(ts []accounts.Territory) territoryScope {
	return territoryScope{list: ts}
}

// ids is the SQL argument that goes with where.
func (s territoryScope) ids() []int64 {
	out := make([]int64, 0, len(s.list))
	for _, t := range s.list {
		out = append(out, t.ID)
	}
	return out
}

// where is the SQL condition "column is one of the scope's territories",
// reading the ids from the numbered argument (the statistics, the ARS
// export and the journal, until they ask their owners).
func (s territoryScope) where(column string, arg int) string {
	return fmt.Sprintf("%s = ANY($%d::bigint[])", column, arg)
}

func (s territoryScope) bySlug(slug string) (accounts.Territory, bool) {
	for _, t := range s.list {
		if t.Slug == slug {
			return t, true
		}
	}
	return accounts.Territory{}, false
}
