package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

type personData struct {
	Base     string
	Person   enrolmentRef
	Phones   string // the textarea, as typed or as stored
	Problems fieldProblems
	Feed     *feedBox // a specialist's calendar subscription
}

// personPage shows one enrolment with its phones to edit and the way to
// a new PIN or a removal.
func (c *console) personPage(w http.ResponseWriter, r *http.Request) {
	e, ok := c.loadEnrolment(w, r)
	if !ok {
		return
	}
	shown := make([]string, len(e.Phones))
	for i, p := range e.Phones {
		shown[i] = frPhone(p)
	}
	c.renderPerson(w, r, http.StatusOK, e, strings.Join(shown, "\n"), nil)
}

func (c *console) renderPerson(w http.ResponseWriter, r *http.Request, status int, e enrolmentRef, phones string, problems fieldProblems) {
	d := personData{Base: c.peopleBase(r), Person: e, Phones: phones, Problems: problems}
	if e.Requis() {
		box, err := c.feedBoxOf(r, roster.FeedTarget{RPPS: e.RPPS}, d.Base+"/"+strconv.FormatInt(e.ID, 10), e.Name(),
			"Ses gardes et remplacements dans son agenda (téléphone, Google, Outlook), mis à jour tout seuls.")
		if err != nil {
			c.serverError(w, r, "person calendar feed", err)
			return
		}
		d.Feed = &box
	}
	pg := page{Title: e.Name(), Section: "personnes", Data: d}
	if len(problems) > 0 {
		pg.Error = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
	}
	switch r.URL.Query().Get("ok") {
	case "telephones":
		pg.Flash = "Les numéros sont enregistrés."
	case "agenda-revoque":
		pg.Flash = "L'adresse de l'agenda est révoquée : elle ne fonctionne plus."
	}
	c.render(w, r, status, "people-person", pg)
}

// personPhones replaces an enrolment's phones through roster's Enrol, so
// they are normalised and journaled as `regul enrol --phone` does.
func (c *console) personPhones(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	e, ok := c.loadEnrolment(w, r)
	if !ok {
		return
	}
	raw := r.PostFormValue("telephones")
	phones, bad := splitPhones(raw)
	problems := fieldProblems{}
	for _, p := range bad {
		problems.add("telephones", p)
	}
	if len(phones) == 0 && len(bad) == 0 {
		// Enrol reads no phones as "keep them": say so rather than
		// pretend the list was emptied.
		problems.add("telephones", "Indiquez au moins un numéro.")
	}
	if len(problems) == 0 {
		_, err := c.people.Enrol(r.Context(), roster.EnrolSpec{
			TerritoryID: visitOf(r).current.ID, RPPS: e.RPPS, Role: e.Role, Specialty: e.Specialty, Phones: phones,
			EnrolmentID: e.ID})
		if err == nil {
			http.Redirect(w, r, c.peopleBase(r)+"/"+strconv.FormatInt(e.ID, 10)+"?ok=telephones", http.StatusSeeOther)
			return
		}
		if errors.Is(err, oncall.ErrNotFound) {
			c.notFound(w, r) // removed meanwhile: not brought back
			return
		}
		var known bool
		if problems, known = enrolProblems(err); !known {
			c.serverError(w, r, "set phones", err)
			return
		}
	}
	c.renderPerson(w, r, http.StatusUnprocessableEntity, e, raw, problems)
}
