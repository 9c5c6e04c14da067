package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/accounts"
)

type removeData struct {
	Base     string
	Person   enrolmentRef
	Upcoming int // shifts and overrides not yet over; > 0 refuses the removal
}

// errStillOnDuty refuses the removal of a specialist the planning still
// counts on.
type errStillOnDuty struct{ n int }

func (e errStillOnDuty) Error() string { return fmt.Sprintf("%d shifts or overrides to come", e.n) }

func (c *console) removeConfirmPage(w http.ResponseWriter, r *http.Request) {
	e, ok := c.loadEnrolment(w, r)
	if !ok {
		return
	}
	c.render(w, r, http.StatusOK, "people-remove", page{Title: "Retirer une inscription", Section: "personnes",
		Data: removeData{Base: c.peopleBase(r), Person: e}})
}

// removeEnrolment deletes an enrolment. Shifts and overrides reference the
// practitioner, not the enrolment, so the database would let a specialist
// with shifts to come be removed: the line would still ring them, but on
// their directory number (a practice line) instead of the mobile of the
// enrolment, and the planning could no longer edit those shifts. So a
// requis with a shift or override not yet over is refused until the
// planning no longer names them for that specialty.
func (c *console) removeEnrolment(w http.ResponseWriter, r *http.Request) {
	e, ok := c.loadEnrolment(w, r)
	if !ok {
		return
	}
	v := visitOf(r)
	now := c.clock.Now()
	err := pgx.BeginFunc(r.Context(), c.pool, func(tx pgx.Tx) error {
		var specialtyID *int64
		err := tx.QueryRow(r.Context(), `SELECT specialty_id FROM enrolment
			WHERE id = $3 AND `+v.scope.where("territory_id", 1)+` AND territory_id = $2 FOR UPDATE`,
			v.scope.ids(), v.current.ID, e.ID).Scan(&specialtyID)
		if err != nil {
			return err
		}
		if specialtyID != nil {
			var n int
			err := tx.QueryRow(r.Context(), `SELECT
				(SELECT count(*) FROM shift WHERE territory_id = $1 AND specialty_id = $2 AND rpps = $3 AND upper(during) > $4) +
				(SELECT count(*) FROM override WHERE territory_id = $1 AND specialty_id = $2 AND rpps = $3 AND upper(during) > $4)`,
				v.current.ID, *specialtyID, e.RPPS, now).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				return errStillOnDuty{n}
			}
		}
		if _, err := tx.Exec(r.Context(), `DELETE FROM enrolment WHERE id = $1`, e.ID); err != nil {
			return err
		}
		return c.accounts.AuditTx(r.Context(), tx, accounts.AuditEntry{
			Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionEnrolmentRemoved,
			Detail: map[string]any{"rpps": e.RPPS, "role": e.Role, "specialty": e.Specialty, "enrolment": e.ID},
		})
	})
	var busy errStillOnDuty
	switch {
	case err == nil:
		http.Redirect(w, r, c.peopleBase(r)+"?ok=retire", http.StatusSeeOther)
	case errors.Is(err, pgx.ErrNoRows):
		c.notFound(w, r) // removed meanwhile
	case errors.As(err, &busy):
		c.render(w, r, http.StatusConflict, "people-remove", page{Title: "Retirer une inscription", Section: "personnes",
			Error: fmt.Sprintf("%s a encore %s : %s du planning d'abord.", e.Name(),
				frCount(busy.n, "garde à venir", "gardes à venir"), map[bool]string{true: "retirez-la", false: "retirez-les"}[busy.n == 1]),
			Data: removeData{Base: c.peopleBase(r), Person: e, Upcoming: busy.n}})
	default:
		c.serverError(w, r, "remove enrolment", err)
	}
}
