package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

type removeData struct {
	Base     string
	Person   enrolmentRef
	Upcoming int // shifts and overrides not yet over; > 0 refuses the removal
}

func (c *console) removeConfirmPage(w http.ResponseWriter, r *http.Request) {
	e, ok := c.loadEnrolment(w, r)
	if !ok {
		return
	}
	c.render(w, r, http.StatusOK, "people-remove", page{Title: "Retirer une inscription", Section: "personnes",
		Data: removeData{Base: c.peopleBase(r), Person: e}})
}

// removeEnrolment deletes an enrolment, unless the planning still counts
// on the specialist (see roster.RemoveEnrolment).
func (c *console) removeEnrolment(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	e, ok := c.loadEnrolment(w, r)
	if !ok {
		return
	}
	err := c.people.RemoveEnrolment(r.Context(), c.rosterScope(r), roster.EnrolmentCard(e), c.clock.Now())
	var busy *roster.StillOnDutyError
	switch {
	case err == nil:
		http.Redirect(w, r, c.peopleBase(r)+"?ok=retire", http.StatusSeeOther)
	case errors.Is(err, oncall.ErrNotFound):
		c.notFound(w, r) // removed meanwhile
	case errors.As(err, &busy):
		c.render(w, r, http.StatusConflict, "people-remove", page{Title: "Retirer une inscription", Section: "personnes",
			Error: fmt.Sprintf("%s a encore %s : %s du planning d'abord.", e.Name(),
				frCount(busy.Upcoming, "garde à venir", "gardes à venir"), map[bool]string{true: "retirez-la", false: "retirez-les"}[busy.Upcoming == 1]),
			Data: removeData{Base: c.peopleBase(r), Person: e, Upcoming: busy.Upcoming}})
	default:
		c.serverError(w, r, "remove enrolment", err)
	}
}
