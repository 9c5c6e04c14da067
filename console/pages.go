package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/regul-sante/regul/accounts/journal"
)

// auditRow is one line of the journal.
type auditRow struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string // French label
	Detail string
}

// journalReader is the journal's owner (accounts/journal), as the journal
// page reads it.
type journalReader interface {
	Page(ctx context.Context, scope []int64, territoryID, before int64, limit int) ([]journal.Entry, error)
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
	entries, err := c.journal.Page(r.Context(), v.scope.ids(), v.current.ID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("journal of %s: %w", v.current.Slug, err)
	}
	rows := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, auditRow{ID: e.ID, At: e.At.In(v.current.Location), Actor: e.Actor,
			Action: auditLabel(e.Action), Detail: detail.describe(e.RawDetail)})
	}
	return rows, nil
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
