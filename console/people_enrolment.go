package console

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

func (c *console) peopleRoutes(mux *http.ServeMux) {
	mux.Handle("GET /t/{territory}/personnes", c.inTerritory(c.peoplePage))
	mux.Handle("GET /t/{territory}/personnes/ajouter", c.inTerritory(c.personAddPage))
	mux.Handle("POST /t/{territory}/personnes/ajouter", c.inTerritory(c.personAdd))
	mux.Handle("GET /t/{territory}/personnes/{enrolment}", c.inTerritory(c.personPage))
	mux.Handle("POST /t/{territory}/personnes/{enrolment}/telephones", c.inTerritory(c.personPhones))
	mux.Handle("POST /t/{territory}/personnes/{enrolment}/deverrouiller", c.inTerritory(c.unlockEnrolment))
	mux.Handle("GET /t/{territory}/personnes/{enrolment}/code-pin", c.inTerritory(c.pinConfirmPage))
	mux.Handle("POST /t/{territory}/personnes/{enrolment}/code-pin", c.inTerritory(c.pinReset))
	mux.Handle("GET /t/{territory}/personnes/{enrolment}/retirer", c.inTerritory(c.removeConfirmPage))
	mux.Handle("POST /t/{territory}/personnes/{enrolment}/retirer", c.inTerritory(c.removeEnrolment))
}

// enrolmentRef is one enrolment of the current territory, as the pages
// about a single person need it.
type enrolmentRef roster.EnrolmentCard

func (e enrolmentRef) Name() string {
	if e.FirstName == "" {
		return e.LastName
	}
	return e.FirstName + " " + e.LastName
}

func (e enrolmentRef) Requis() bool { return e.Role == oncall.Requis }

// loadEnrolment reads the enrolment of the path. The roster filters on the
// scope and the current territory, so another territory's id answers 404 like an
// id that does not exist.
func (c *console) loadEnrolment(w http.ResponseWriter, r *http.Request) (enrolmentRef, bool) {
	id, err := strconv.ParseInt(r.PathValue("enrolment"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return enrolmentRef{}, false
	}
	e, err := c.people.EnrolmentIn(r.Context(), c.rosterScope(r), id)
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r)
		return enrolmentRef{}, false
	}
	if err != nil {
		c.serverError(w, r, "load enrolment", err)
		return enrolmentRef{}, false
	}
	return enrolmentRef(e), true
}

func (c *console) peopleBase(r *http.Request) string {
	return "/t/" + visitOf(r).current.Slug + "/personnes"
}

type pinData struct {
	Base   string
	Person enrolmentRef
	PIN    string // set only on the answer to the reset itself
}

// pinConfirmPage asks before a GP's PIN is replaced: the old one stops
// working at once, so a stray click must not lock a GP out of the line.
func (c *console) pinConfirmPage(w http.ResponseWriter, r *http.Request) {
	e, ok := c.loadEnrolment(w, r)
	if !ok || !c.requerantOnly(w, r, e) {
		return
	}
	c.render(w, r, http.StatusOK, "people-pin", page{Title: "Nouveau code PIN", Section: "personnes",
		Data: pinData{Base: c.peopleBase(r), Person: e}})
}

// pinReset draws a new PIN with the code of `regul enrol pin` (only the
// hash is stored, the lock is lifted) and shows it in this answer only:
// no redirect, no PIN in an address, a log or the journal, and no-store so
// that neither the browser's cache nor the back button shows it again.
func (c *console) pinReset(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	e, ok := c.loadEnrolment(w, r)
	if !ok || !c.requerantOnly(w, r, e) {
		return
	}
	pin, err := c.people.SetNewPIN(r.Context(), visitOf(r).current.ID, e.RPPS)
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r) // removed meanwhile
		return
	}
	if err != nil {
		c.serverError(w, r, "reset PIN", err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	c.render(w, r, http.StatusOK, "people-pin", page{Title: "Nouveau code PIN", Section: "personnes",
		Data: pinData{Base: c.peopleBase(r), Person: e, PIN: pin}})
}

// requerantOnly refuses PIN pages for a specialist: a requis is rung, never
// identified by a PIN.
func (c *console) requerantOnly(w http.ResponseWriter, r *http.Request, e enrolmentRef) bool {
	if e.Role == oncall.Requerant {
		return true
	}
	c.renderError(w, r, http.StatusConflict, "Pas de code PIN",
		"Un spécialiste requis est appelé par la ligne : il n'a pas de code PIN à taper.")
	return false
}
