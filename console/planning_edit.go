package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// actorContext tags roster changes with the coordinator for the audit log.
func actorContext(r *http.Request) *http.Request {
	v := visitOf(r)
	return r.WithContext(roster.WithActor(r.Context(), v.sess.Account.Email))
}

func shiftFieldsOf(r *http.Request) shiftFields {
	return shiftFields{
		RPPS:      strings.TrimSpace(r.PostFormValue("rpps")),
		Specialty: strings.TrimSpace(r.PostFormValue("specialite")),
		Start:     strings.TrimSpace(r.PostFormValue("debut")),
		End:       strings.TrimSpace(r.PostFormValue("fin")),
		Rank:      strings.TrimSpace(r.PostFormValue("rang")),
		Reason:    strings.TrimSpace(r.PostFormValue("motif")),
	}
}

func (f shiftFields) form() roster.ShiftForm {
	return roster.ShiftForm{RPPS: f.RPPS, Specialty: f.Specialty,
		Start: formLocalTime(f.Start), End: formLocalTime(f.End), Rank: f.Rank}
}

// redirectToWeek sends the browser back to the week of a change.
func (c *console) redirectToWeek(w http.ResponseWriter, r *http.Request, terr oncall.Territory, sh roster.Shift, ok string) {
	v := visitOf(r)
	week := civilOf(sh.Start, terr.Location).isoWeek()
	http.Redirect(w, r, "/t/"+v.current.Slug+"/planning?"+planningQuery(week, sh.Specialty)+"&ok="+ok, http.StatusSeeOther)
}

// shiftAdd adds a shift; a refused one sends the page back with the
// form as typed and every problem.
func (c *console) shiftAdd(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	pv, _, err := c.planningView(r.Context(), r)
	if err != nil {
		c.serverError(w, r, "add shift", err)
		return
	}
	in := shiftFieldsOf(r)
	sh, err := c.planning.AddShift(r.Context(), pv.terr.ID, in.form())
	if err == nil {
		c.redirectToWeek(w, r, pv.terr, sh, "garde-ajoutee")
		return
	}
	problems, ok := planningProblems(err)
	if !ok {
		c.serverError(w, r, "add shift", err)
		return
	}
	c.planningRefused(w, r, pv, "garde", in, problems)
}

// planningRefused renders the week again with a form's problems (422).
func (c *console) planningRefused(w http.ResponseWriter, r *http.Request, pv planningView, form string, in shiftFields, problems []string) {
	d, err := c.planningData(r.Context(), r, pv)
	if err != nil {
		c.serverError(w, r, "planning", err)
		return
	}
	d.Form, d.Problems = form, problems
	if form == "garde" {
		d.AddShift = in
	} else {
		d.AddOverride = in
	}
	c.render(w, r, http.StatusUnprocessableEntity, "planning", page{Title: "Planning", Section: "planning", Data: d,
		Error: "Rien n'a été enregistré : corrigez le formulaire ci-dessous."})
}

// planningProblems turns a refusal the coordinator can fix into French
// messages; ok is false for anything else (a server error).
func planningProblems(err error) ([]string, bool) {
	var fe *roster.ShiftFormError
	if errors.As(err, &fe) {
		out := make([]string, len(fe.Problems))
		for i, p := range fe.Problems {
			out[i] = frRosterProblem(p)
		}
		return out, true
	}
	if errors.Is(err, roster.ErrOverlap) {
		return []string{"Une autre garde du même rang vient d'être enregistrée sur ce créneau : rechargez la page."}, true
	}
	return nil, false
}

type shiftEditData struct {
	Base        string
	Back        template.URL // the week's query
	Shift       roster.Shift
	Label       string // the shift's specialty, as the territory names it
	Span        string
	Fields      shiftFields
	Specialties []oncall.Specialty
	Problems    []string
	// Specialists are the enrolled specialists by specialty, to pick from;
	// Unlisted is the shift's RPPS when it is not among them any more.
	Specialists []specialistGroup
	Unlisted    string
}

// specialistGroup is one specialty's enrolled specialists.
type specialistGroup struct {
	Label   string
	Options []specialistOption
}

func (c *console) loadShift(w http.ResponseWriter, r *http.Request) (oncall.Territory, roster.Shift, bool) {
	id, err := strconv.ParseInt(r.PathValue("shift"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return oncall.Territory{}, roster.Shift{}, false
	}
	store := c.planning
	terr, err := store.TerritoryBySlug(r.Context(), visitOf(r).current.Slug)
	if err != nil {
		c.serverError(w, r, "load territory", err)
		return oncall.Territory{}, roster.Shift{}, false
	}
	sh, err := store.Shift(r.Context(), terr.ID, id)
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r)
		return oncall.Territory{}, roster.Shift{}, false
	}
	if err != nil {
		c.serverError(w, r, "load shift", err)
		return oncall.Territory{}, roster.Shift{}, false
	}
	return terr, sh, true
}

func (c *console) renderShiftEdit(w http.ResponseWriter, r *http.Request, status int, terr oncall.Territory, sh roster.Shift, in shiftFields, problems []string) {
	v := visitOf(r)
	d := shiftEditData{
		Base:        "/t/" + v.current.Slug + "/planning",
		Back:        template.URL(planningQuery(civilOf(sh.Start, terr.Location).isoWeek(), sh.Specialty)),
		Shift:       sh,
		Label:       sh.Specialty,
		Span:        shortSpan(sh.Start, sh.End, terr.Location),
		Fields:      in,
		Specialties: terr.Specialties,
		Problems:    problems,
	}
	if sp, err := terr.SpecialtyBySlug(sh.Specialty); err == nil {
		d.Label = sp.Label
	}
	enrolments, err := c.planning.Enrolments(r.Context(), terr.ID)
	if err != nil {
		c.serverError(w, r, "shift edit: specialists", err)
		return
	}
	listed := false
	for _, sp := range terr.Specialties {
		g := specialistGroup{Label: sp.Label}
		for _, e := range enrolments {
			if e.Role == oncall.Requis && e.SpecialtyID == sp.ID {
				g.Options = append(g.Options, specialistOption{RPPS: e.RPPS, Name: e.FirstName + " " + e.LastName})
				listed = listed || e.RPPS == in.RPPS
			}
		}
		d.Specialists = append(d.Specialists, g)
	}
	if !listed {
		d.Unlisted = in.RPPS
	}
	pg := page{Title: "Modifier une garde", Section: "planning", Data: d}
	if len(problems) > 0 {
		pg.Error = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
	}
	c.render(w, r, status, "planning-shift", pg)
}

func (c *console) shiftEditPage(w http.ResponseWriter, r *http.Request) {
	terr, sh, ok := c.loadShift(w, r)
	if !ok {
		return
	}
	in := shiftFields{RPPS: sh.RPPS, Specialty: sh.Specialty, Start: inputTime(sh.Start, terr.Location),
		End: inputTime(sh.End, terr.Location), Rank: strconv.Itoa(sh.Rank)}
	c.renderShiftEdit(w, r, http.StatusOK, terr, sh, in, nil)
}

func (c *console) shiftUpdate(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	terr, sh, ok := c.loadShift(w, r)
	if !ok {
		return
	}
	in := shiftFieldsOf(r)
	updated, err := c.planning.UpdateShift(r.Context(), terr.ID, sh.ID, in.form())
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r) // deleted meanwhile
		return
	}
	if err == nil {
		c.redirectToWeek(w, r, terr, updated, "garde-modifiee")
		return
	}
	problems, known := planningProblems(err)
	if !known {
		c.serverError(w, r, "shift edit: save", err)
		return
	}
	c.renderShiftEdit(w, r, http.StatusUnprocessableEntity, terr, sh, in, problems)
}

func (c *console) shiftDelete(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	terr, sh, ok := c.loadShift(w, r)
	if !ok {
		return
	}
	deleted, err := c.planning.DeleteShift(r.Context(), terr.ID, sh.ID)
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "delete shift", err)
		return
	}
	c.redirectToWeek(w, r, terr, deleted, "garde-supprimee")
}

// overrideAdd records an override of the page's specialty.
func (c *console) overrideAdd(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	pv, _, err := c.planningView(r.Context(), r)
	if err != nil {
		c.serverError(w, r, "add override", err)
		return
	}
	in := shiftFieldsOf(r)
	loc := pv.terr.Location
	var problems []string
	start, err := roster.ParseLocal(formLocalTime(in.Start), loc)
	if err != nil {
		problems = append(problems, "Début : "+frLocalTimeProblem(err))
	}
	end, err := roster.ParseLocal(formLocalTime(in.End), loc)
	if err != nil {
		problems = append(problems, "Fin : "+frLocalTimeProblem(err))
	}
	rank, err := strconv.Atoi(in.Rank)
	if err != nil || rank < 1 || rank > 9 {
		problems = append(problems, fmt.Sprintf("rang %q : un nombre de 1 (appelé en premier) à 9", in.Rank))
	}
	if len(problems) == 0 && !end.After(start) {
		problems = append(problems, "la fin doit venir après le début")
	}
	if len(problems) == 0 {
		o, err := c.planning.AddOverride(r.Context(), pv.terr.ID, roster.NewOverride{
			SpecialtyID: pv.specialty.ID, RPPS: in.RPPS, Start: start, End: end, Rank: rank, Reason: in.Reason})
		var re *oncall.RPPSError
		switch {
		case err == nil:
			c.redirectToWeek(w, r, pv.terr, roster.Shift{Start: o.Start, Specialty: o.Specialty}, "remplacement-ajoute")
			return
		case errors.As(err, &re):
			problems = append(problems, fmt.Sprintf("RPPS %s : %s", in.RPPS, frRPPSReason(re.Reason)))
		case errors.Is(err, oncall.ErrNotFound):
			problems = append(problems, fmt.Sprintf("RPPS %s : n'est pas inscrit comme spécialiste de garde en %s ici", in.RPPS, pv.specialty.Label))
		case errors.Is(err, roster.ErrOverlap):
			problems = append(problems, "un autre remplacement du même rang couvre déjà une partie de ce créneau : supprimez-le d'abord")
		default:
			c.serverError(w, r, "add override", err)
			return
		}
	}
	c.planningRefused(w, r, pv, "remplacement", in, problems)
}

func (c *console) overrideDelete(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	id, err := strconv.ParseInt(r.PathValue("override"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	pv, _, err := c.planningView(r.Context(), r)
	if err != nil {
		c.serverError(w, r, "delete override", err)
		return
	}
	err = c.planning.DeleteOverride(r.Context(), pv.terr.ID, id)
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "delete override", err)
		return
	}
	v := visitOf(r)
	http.Redirect(w, r, "/t/"+v.current.Slug+"/planning?"+planningQuery(pv.monday.isoWeek(), pv.specialty.Slug)+"&ok=remplacement-supprime", http.StatusSeeOther)
}
