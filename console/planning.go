package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// The Planning page: one specialty's week, a column a day and a row a rank,
// with the gaps (open hours without rank-1 cover) shown above the ranks,
// and the forms that change it. Every read and write goes through
// roster.Store with the current territory's id, which inTerritory took from
// the coordinator's scope; the store's queries filter on it, so another
// territory's shift or override id matches nothing and answers 404.

func (c *console) planningRoutes(mux *http.ServeMux) {
	mux.Handle("GET /t/{territory}/planning", c.inTerritory(c.planningPage))
	mux.Handle("POST /t/{territory}/planning/gardes", c.inTerritory(c.shiftAdd))
	mux.Handle("GET /t/{territory}/planning/gardes/{shift}", c.inTerritory(c.shiftEditPage))
	mux.Handle("POST /t/{territory}/planning/gardes/{shift}", c.inTerritory(c.shiftUpdate))
	mux.Handle("POST /t/{territory}/planning/gardes/{shift}/supprimer", c.inTerritory(c.shiftDelete))
	mux.Handle("POST /t/{territory}/planning/remplacements", c.inTerritory(c.overrideAdd))
	mux.Handle("POST /t/{territory}/planning/remplacements/{override}/supprimer", c.inTerritory(c.overrideDelete))
	mux.Handle("POST /t/{territory}/planning/import", c.inTerritory(c.planningImportCheck))
	mux.Handle("POST /t/{territory}/planning/import/confirmer", c.inTerritory(c.planningImportConfirm))
}

type specialtyTab struct {
	Slug, Label string
	Gaps        int
	Current     bool
}

type specialistOption struct{ RPPS, Name string }

// shiftFields are a shift form's values, as typed (datetime-local times).
type shiftFields struct {
	RPPS, Specialty, Start, End, Rank, Reason string
}

type planningData struct {
	Base        string // /t/{slug}/planning
	Week        string // 2026-W48
	Prev, Next  string
	ThisWeek    string
	Heading     string // "du lundi 23 au dimanche 29 novembre 2026"
	Specialty   oncall.Specialty
	Tabs        []specialtyTab
	Grid        weekGrid
	Overrides   []roster.Override
	Specialists []specialistOption
	AddShift    shiftFields
	AddOverride shiftFields
	// Problems of the form just sent back, in French; Form names which.
	Problems []string
	Form     string  // "garde" | "remplacement"
	Feed     feedBox // the specialty's calendar subscription
	Monday   string  // 2026-11-23, the week's first day for the date field
	TimeZone string  // "Paris", said the French way
}

// Query is the page's own query string, for links (trusted: built here).
func (d planningData) Query() template.URL {
	return template.URL(planningQuery(d.Week, d.Specialty.Slug))
}

func planningQuery(week, specialty string) string {
	return "semaine=" + url.QueryEscape(week) + "&specialite=" + url.QueryEscape(specialty)
}

// planningView is what a planning request asks for.
type planningView struct {
	terr      oncall.Territory
	monday    civilDate
	specialty oncall.Specialty
}

// planningView reads ?semaine= and ?specialite= (or the same form fields);
// a missing week is the current one, a missing specialty the first.
func (c *console) planningView(ctx context.Context, r *http.Request) (planningView, string, error) {
	v := visitOf(r)
	terr, err := c.planning.TerritoryBySlug(ctx, v.current.Slug)
	if err != nil {
		return planningView{}, "", fmt.Errorf("load territory %s: %w", v.current.Slug, err)
	}
	pv := planningView{terr: terr, monday: mondayOf(civilOf(c.clock.Now(), terr.Location))}
	var problem string
	if day := r.FormValue("jour"); day != "" {
		if t, err := time.ParseInLocation("2006-01-02", day, terr.Location); err == nil {
			pv.monday = mondayOf(civilOf(t, terr.Location))
		} else {
			problem = fmt.Sprintf("date %q invalide : attendu JJ/MM/AAAA", day)
		}
	} else if w := r.FormValue("semaine"); w != "" {
		if m, err := parseISOWeek(w); err == nil {
			pv.monday = m
		} else {
			problem = err.Error()
		}
	}
	if len(terr.Specialties) > 0 {
		pv.specialty = terr.Specialties[0]
	}
	if s := r.FormValue("specialite"); s != "" {
		sp, err := terr.SpecialtyBySlug(s)
		if err != nil {
			problem = fmt.Sprintf("spécialité %q inconnue dans ce territoire", s)
		} else {
			pv.specialty = sp
		}
	}
	return pv, problem, nil
}

func (c *console) planningPage(w http.ResponseWriter, r *http.Request) {
	pv, problem, err := c.planningView(r.Context(), r)
	if err != nil {
		c.serverError(w, r, "planning", err)
		return
	}
	d, err := c.planningData(r.Context(), r, pv)
	if err != nil {
		c.serverError(w, r, "planning", err)
		return
	}
	// A "Couvrir" link on a gap prefills the add form with its span.
	q := r.URL.Query()
	d.AddShift.Start, d.AddShift.End = q.Get("debut"), q.Get("fin")
	pg := page{Title: "Planning", Section: "planning", Data: d, Error: problem, Flash: planningFlash(q)}
	c.render(w, r, http.StatusOK, "planning", pg)
}

// planningData loads the week of one specialty.
func (c *console) planningData(ctx context.Context, r *http.Request, pv planningView) (planningData, error) {
	v := visitOf(r)
	store := c.planning
	loc := pv.terr.Location
	from, to := pv.monday.start(loc), pv.monday.addDays(7).start(loc)
	sunday := pv.monday.addDays(6)
	d := planningData{
		Base:      "/t/" + v.current.Slug + "/planning",
		Week:      pv.monday.isoWeek(),
		Prev:      pv.monday.addDays(-7).isoWeek(),
		Next:      pv.monday.addDays(7).isoWeek(),
		ThisWeek:  mondayOf(civilOf(c.clock.Now(), loc)).isoWeek(),
		Heading:   weekHeading(pv.monday, sunday),
		Monday:    fmt.Sprintf("%04d-%02d-%02d", pv.monday.Y, int(pv.monday.M), pv.monday.D),
		TimeZone:  zoneLabel(loc),
		Specialty: pv.specialty,
	}
	d.AddShift.Rank, d.AddOverride.Rank = "1", "1"
	if pv.specialty.ID == 0 {
		return d, nil // a territory without specialties: nothing to plan
	}
	gaps, err := store.Gaps(ctx, pv.terr.ID, from, 7)
	if err != nil {
		return d, err
	}
	var mine []roster.Gap
	count := map[int64]int{}
	for _, g := range gaps {
		count[g.SpecialtyID]++
		if g.SpecialtyID == pv.specialty.ID {
			mine = append(mine, g)
		}
	}
	for _, sp := range pv.terr.Specialties {
		d.Tabs = append(d.Tabs, specialtyTab{Slug: sp.Slug, Label: sp.Label, Gaps: count[sp.ID], Current: sp.ID == pv.specialty.ID})
	}
	shifts, err := store.Shifts(ctx, pv.terr.ID, roster.ShiftFilter{SpecialtyID: pv.specialty.ID, From: from, To: to})
	if err != nil {
		return d, err
	}
	all, err := store.Overrides(ctx, pv.terr.ID, from, to)
	if err != nil {
		return d, err
	}
	for _, o := range all {
		if o.SpecialtyID == pv.specialty.ID {
			d.Overrides = append(d.Overrides, o)
		}
	}
	d.Grid = buildWeekGrid(pv.terr, pv.monday, c.clock.Now(), shifts, d.Overrides, mine)
	enrolments, err := store.Enrolments(ctx, pv.terr.ID)
	if err != nil {
		return d, err
	}
	for _, e := range enrolments {
		if e.Role == oncall.Requis && e.SpecialtyID == pv.specialty.ID {
			d.Specialists = append(d.Specialists, specialistOption{RPPS: e.RPPS, Name: e.FirstName + " " + e.LastName})
		}
	}
	d.Feed, err = c.feedBoxOf(r, roster.FeedTarget{SpecialtyID: pv.specialty.ID}, d.Base+"?"+planningQuery(d.Week, pv.specialty.Slug),
		pv.specialty.Label, "Toutes les gardes de "+pv.specialty.Label+" du territoire dans un agenda (téléphone, Google, Outlook), mises à jour toutes seules.")
	return d, err
}

// weekHeading is "du lundi 23 au dimanche 29 novembre 2026", naming the
// first month or year too when the week straddles them.
func weekHeading(monday, sunday civilDate) string {
	first := "lundi " + frDay(monday.D)
	if monday.M != sunday.M || monday.Y != sunday.Y {
		first += " " + frMonth(monday.M)
	}
	if monday.Y != sunday.Y {
		first += fmt.Sprintf(" %d", monday.Y)
	}
	return fmt.Sprintf("du %s au dimanche %s %s %d", first, frDay(sunday.D), frMonth(sunday.M), sunday.Y)
}

// frDay is a day of the month as French writes it: "1er", "2", …
func frDay(d int) string {
	if d == 1 {
		return "1er"
	}
	return strconv.Itoa(d)
}

func planningFlash(q url.Values) string {
	switch q.Get("ok") {
	case "garde-ajoutee":
		return "La garde est ajoutée."
	case "garde-modifiee":
		return "La garde est modifiée."
	case "garde-supprimee":
		return "La garde est supprimée."
	case "remplacement-ajoute":
		return "Le remplacement est enregistré."
	case "remplacement-supprime":
		return "Le remplacement est supprimé."
	case "agenda-revoque":
		return "L'adresse de l'agenda est révoquée : elle ne fonctionne plus."
	case "import":
		added, _ := strconv.Atoi(q.Get("ajoutees"))
		unchanged, _ := strconv.Atoi(q.Get("inchangees"))
		return fmt.Sprintf("Planning importé : %s, %s.", frCount(added, "garde ajoutée", "gardes ajoutées"),
			frCount(unchanged, "déjà présente", "déjà présentes"))
	}
	return ""
}

// zoneLabel names a time zone the way coordinators say it: "Paris" for
// Europe/Paris, the city of any other zone, with its underscores as spaces.
func zoneLabel(loc *time.Location) string {
	name := loc.String()
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return strings.ReplaceAll(name, "_", " ")
}
