package console

import (
	"fmt"

	"github.com/regul-sante/regul/accounts"
)

// territoryScope is the set of territories a coordinator may see. Every
// console query filters on it in SQL — never only in the templates — so a
// forged id of another territory's row matches nothing and answers 404.
//
//	rows, err := pool.Query(ctx, `SELECT … FROM enrolment e
//		WHERE `+v.scope.where("e.territory_id", 1)+` AND e.territory_id = $2`,
//		v.scope.ids(), v.current.ID)
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
// reading the ids from the numbered argument.
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
