package console

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// personFields is the « Ajouter une personne » form as typed, sent back
// unchanged when something is refused.
type personFields struct {
	RPPS      string
	Role      string // requerant | requis
	Specialty string // slug
	Phones    string // one a line, or separated by commas
	LastName  string
	FirstName string
}

func personFieldsOf(r *http.Request) personFields {
	return personFields{
		RPPS:      strings.TrimSpace(r.PostFormValue("rpps")),
		Role:      r.PostFormValue("role"),
		Specialty: r.PostFormValue("specialite"),
		Phones:    r.PostFormValue("telephones"),
		LastName:  strings.TrimSpace(r.PostFormValue("nom")),
		FirstName: strings.TrimSpace(r.PostFormValue("prenom")),
	}
}

// fieldProblems are French messages by form field, shown next to it.
type fieldProblems map[string][]string

func (p fieldProblems) add(field, msg string) { p[field] = append(p[field], msg) }

type personAddData struct {
	Base        string
	Fields      personFields
	Specialties []oncall.Specialty
	Problems    fieldProblems
}

func (c *console) personAddPage(w http.ResponseWriter, r *http.Request) {
	c.renderPersonAdd(w, r, http.StatusOK, personFields{Role: string(oncall.Requerant)}, nil)
}

func (c *console) renderPersonAdd(w http.ResponseWriter, r *http.Request, status int, in personFields, problems fieldProblems) {
	terr, err := c.people.TerritoryBySlug(r.Context(), visitOf(r).current.Slug)
	if err != nil {
		c.serverError(w, r, "load territory", err)
		return
	}
	pg := page{Title: "Ajouter une personne", Section: "personnes",
		Data: personAddData{Base: c.peopleBase(r), Fields: in, Specialties: terr.Specialties, Problems: problems}}
	if len(problems) > 0 {
		pg.Error = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
	}
	c.render(w, r, status, "people-add", pg)
}

// personAdd enrols a GP or a specialist through roster's Enrol, the code
// and checks of `regul enrol`. The fields are checked one by one first so
// that every mistake is shown at once.
func (c *console) personAdd(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	in := personFieldsOf(r)
	spec, problems, err := c.checkPerson(r.Context(), visitOf(r).current.ID, in)
	if err != nil {
		c.serverError(w, r, "check person", err)
		return
	}
	if len(problems) == 0 {
		change, err := c.people.Enrol(r.Context(), spec)
		if err == nil {
			ok := map[roster.Change]string{roster.Created: "ajoute", roster.Updated: "mis-a-jour"}[change]
			if ok == "" {
				ok = "inchange"
			}
			http.Redirect(w, r, c.peopleBase(r)+"?ok="+ok, http.StatusSeeOther)
			return
		}
		if problems, ok := enrolProblems(err); ok {
			c.renderPersonAdd(w, r, http.StatusUnprocessableEntity, in, problems)
			return
		}
		c.serverError(w, r, "enrol", err)
		return
	}
	c.renderPersonAdd(w, r, http.StatusUnprocessableEntity, in, problems)
}

// checkPerson turns the form into an EnrolSpec, or says what is wrong.
func (c *console) checkPerson(ctx context.Context, territoryID int64, in personFields) (roster.EnrolSpec, fieldProblems, error) {
	problems := fieldProblems{}
	spec := roster.EnrolSpec{TerritoryID: territoryID, Role: oncall.Role(in.Role),
		Specialty: in.Specialty, LastName: in.LastName, FirstName: in.FirstName}
	rpps, err := oncall.NormalizeRPPS(in.RPPS)
	if err != nil {
		addEnrolProblem(problems, err)
	}
	spec.RPPS = rpps
	switch spec.Role {
	case oncall.Requerant:
		spec.Specialty = "" // the select keeps a value when the role is switched back
	case oncall.Requis:
		if spec.Specialty == "" {
			problems.add("specialite", "Choisissez la spécialité pour laquelle ce spécialiste répond.")
		}
	default:
		problems.add("role", "Choisissez le rôle : généraliste requérant ou spécialiste requis.")
	}
	phones, phoneProblems := splitPhones(in.Phones)
	for _, p := range phoneProblems {
		problems.add("telephones", p)
	}
	spec.Phones = phones
	if in.LastName == "" && in.FirstName != "" {
		problems.add("nom", "Un prénom sans nom : indiquez aussi le nom.")
	}
	if rpps == "" || in.LastName == "" {
		return spec, problems, nil
	}
	// The directory is shared by every territory: the console never
	// renames a practitioner in it. Names that differ from the directory's
	// most often mean a mistyped RPPS.
	last, first, err := c.people.DirectoryName(ctx, rpps)
	if errors.Is(err, oncall.ErrNotFound) {
		return spec, problems, nil
	}
	if err != nil {
		return spec, problems, err
	}
	if !strings.EqualFold(last, in.LastName) || (in.FirstName != "" && !strings.EqualFold(first, in.FirstName)) {
		problems.add("nom", "L'annuaire donne le RPPS "+rpps+" à "+strings.TrimSpace(first+" "+last)+
			" : vérifiez le numéro, ou laissez le nom et le prénom vides pour garder ceux de l'annuaire.")
	}
	spec.LastName, spec.FirstName = "", ""
	return spec, problems, nil
}

// splitPhones reads one number a line or a comma-separated list, in the
// order the line rings them.
func splitPhones(raw string) ([]string, []string) {
	var phones, problems []string
	for _, p := range strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		e164, err := roster.NormalizePhone(p)
		if err != nil {
			problems = append(problems, frPhoneProblem(err))
			continue
		}
		phones = append(phones, e164)
	}
	return phones, problems
}
