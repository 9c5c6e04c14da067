package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// rosterScope is the visit's scope as the roster filters on it.
func (c *console) rosterScope(r *http.Request) roster.Scope {
	v := visitOf(r)
	return roster.Scope{Allowed: v.scope.ids(), Territory: v.current.ID}
}

// person is one enrolment as the People page shows it.
type person struct {
	roster.PersonRow
	Locked bool
	// LockedFrom are the numbers locked for this GP after failed PINs
	// ("" is withheld): the lock's sources, which the coordinator checks
	// with the GP before unlocking.
	LockedFrom []roster.LockSource
}

type peopleData struct {
	People    []person
	Role      string // filter: "", "requerant", "requis"
	Query     string
	GPs       int
	Specs     int
	LockedNow int
}

// peoplePage lists the territory's enrolments: GPs and specialists, their
// phones and lock state. The query filters on the scope and the current
// territory in SQL.
func (c *console) peoplePage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	now := c.clock.Now()
	role := r.URL.Query().Get("role")
	if role != "requerant" && role != "requis" {
		role = ""
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	rows, err := c.people.People(r.Context(), c.rosterScope(r), roster.PeopleFilter{Role: role, Query: q})
	if err != nil {
		c.serverError(w, r, "list people", err)
		return
	}
	d := peopleData{Role: role, Query: q}
	people := make([]person, 0, len(rows))
	for _, row := range rows {
		people = append(people, person{PersonRow: row, Locked: row.LockedUntil.After(now)})
	}
	locks, err := c.people.LockedNumbersOf(r.Context(), v.current.ID, now)
	if err != nil {
		c.serverError(w, r, "list people: locks", err)
		return
	}
	for i := range people {
		people[i].LockedFrom = locks[people[i].RPPS]
	}
	d.People = people
	for _, p := range people {
		if p.Role == "requerant" {
			d.GPs++
		} else {
			d.Specs++
		}
		if p.Locked {
			d.LockedNow++
		}
	}
	pg := page{Title: "Personnes", Section: "personnes", Data: d, Flash: peopleFlash[r.URL.Query().Get("ok")]}
	c.render(w, r, http.StatusOK, "people", pg)
}

// peopleFlash is what the list says after a change, by the redirect's ok=.
var peopleFlash = map[string]string{
	"deverrouille": "Le médecin est déverrouillé : il peut de nouveau s'identifier.",
	"ajoute":       "La personne est inscrite.",
	"mis-a-jour":   "Cette personne était déjà inscrite ainsi : ses numéros sont remplacés par ceux saisis.",
	"inchange":     "Cette personne était déjà inscrite ainsi : rien n'a changé.",
	"retire":       "L'inscription est retirée.",
}

// unlockEnrolment lifts a GP's lockout as `regul enrol unlock` does. An id
// of another territory matches no row and answers 404.
func (c *console) unlockEnrolment(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, err := strconv.ParseInt(r.PathValue("enrolment"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	_, err = c.people.Unlock(actorContext(r).Context(), roster.UnlockRequest{Scope: c.rosterScope(r), EnrolmentID: id, At: c.clock.Now()})
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "unlock enrolment", err)
		return
	}
	http.Redirect(w, r, "/t/"+v.current.Slug+"/personnes?ok=deverrouille", http.StatusSeeOther)
}
