package console

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// auditRow is one line of the journal.
type auditRow struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string // French label
	Detail string
}

// auditRows reads the current territory's journal, newest first, before
// the row id `before` (0: from the newest).
func (c *console) auditRows(r *http.Request, before int64, limit int) ([]auditRow, error) {
	v := visitOf(r)
	specialties, err := c.territorySpecialties(r)
	if err != nil {
		return nil, err
	}
	detail := newAuditDetail(v.current.Location, specialties)
	rows, err := c.pool.Query(r.Context(), `SELECT id, at, actor, action, detail FROM audit_log
		WHERE `+v.scope.where("territory_id", 1)+` AND territory_id = $2 AND ($3 = 0 OR id < $3)
		ORDER BY at DESC, id DESC LIMIT $4`, v.scope.ids(), v.current.ID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("journal of %s: %w", v.current.Slug, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (auditRow, error) {
		var a auditRow
		var raw []byte
		if err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &raw); err != nil {
			return a, err
		}
		a.At = a.At.In(v.current.Location)
		a.Action = auditLabel(a.Action)
		a.Detail = detail.describe(raw)
		return a, nil
	})
}

type journalData struct {
	Rows []auditRow
	Next int64 // id to page from; 0 when this is the last page
}

const journalPageSize = 50

func (c *console) journalPage(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("avant"), 10, 64)
	rows, err := c.auditRows(r, before, journalPageSize+1)
	if err != nil {
		c.serverError(w, r, "journal", err)
		return
	}
	d := journalData{Rows: rows}
	if len(rows) > journalPageSize {
		d.Rows = rows[:journalPageSize]
		d.Next = d.Rows[len(d.Rows)-1].ID
	}
	c.render(w, r, http.StatusOK, "journal", page{Title: "Journal", Section: "journal", Data: d})
}
