package roster

import "fmt"

// Scope is what a coordinator may read: the territories of their account
// and the one being looked at. The console's queries filter on both in SQL,
// so a forged id of another territory's row matches nothing.
type Scope struct {
	Allowed   []int64 // the coordinator's territories
	Territory int64   // the territory being looked at
}

// where is the SQL condition "column is the scope's territory", reading
// Allowed from argument arg and Territory from arg+1.
func (Scope) where(column string, arg int) string {
	return fmt.Sprintf("%[1]s = ANY($%[2]d::bigint[]) AND %[1]s = $%[3]d", column, arg, arg+1)
}
