package console

import (
	"errors"
	"html/template"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/regul-sante/regul/roster"
)

// Importing a roster CSV from the console is two steps: the upload is
// checked as a dry run (every problem with its line, or the shifts it
// would add), then "Confirmer" imports the same content, all or nothing,
// checked again. The content travels back in the confirmation form, so no
// upload is kept on the server between the two.

// maxRosterUpload bounds an uploaded roster: a year of a large territory
// is well under 1 MiB.
const maxRosterUpload = 2 << 20

type importProblemRow struct {
	Line int
	Msg  string
}

type importAddedRow struct {
	Specialty, Name, Span string
	Rank                  int
}

type importData struct {
	Base      string
	Back      template.URL // the planning's query
	File      string
	Content   string
	Problems  []importProblemRow
	Added     []importAddedRow
	Unchanged int
}

func (c *console) planningImportCheck(w http.ResponseWriter, r *http.Request) {
	file, header, err := r.FormFile("fichier")
	if err != nil {
		c.importRefused(w, r, "", "", "Choisissez un fichier CSV à importer.")
		return
	}
	defer file.Close()
	name := path.Base(strings.ReplaceAll(header.Filename, `\`, "/"))
	raw, err := io.ReadAll(io.LimitReader(file, maxRosterUpload+1))
	if err != nil {
		c.serverError(w, r, "read roster upload", err)
		return
	}
	if len(raw) > maxRosterUpload {
		c.importRefused(w, r, name, "", "Le fichier dépasse 2 Mo : découpez-le, par exemple par mois.")
		return
	}
	c.runImport(w, r, name, string(raw), true)
}

func (c *console) planningImportConfirm(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	name := r.PostFormValue("nom")
	content := r.PostFormValue("contenu")
	if name == "" || content == "" || len(content) > maxRosterUpload {
		c.importRefused(w, r, name, "", "Le contenu à importer manque : envoyez le fichier de nouveau.")
		return
	}
	c.runImport(w, r, name, content, false)
}

// runImport checks (dryRun) or imports content and shows the report; a
// successful import goes back to the planning of its first week.
func (c *console) runImport(w http.ResponseWriter, r *http.Request, name, content string, dryRun bool) {
	pv, _, err := c.planningView(r.Context(), r)
	if err != nil {
		c.serverError(w, r, "import roster", err)
		return
	}
	d := c.importData(r, pv, name, content)
	rep, err := c.planning.ImportShifts(r.Context(), pv.terr.ID, name, strings.NewReader(content), dryRun)
	var ie *roster.ImportError
	switch {
	case errors.As(err, &ie):
		for _, p := range ie.Problems {
			d.Problems = append(d.Problems, importProblemRow{Line: p.Line, Msg: frRosterProblem(p.Msg)})
		}
		c.render(w, r, http.StatusUnprocessableEntity, "planning-import", page{Title: "Import du planning", Section: "planning", Data: d,
			Error: "Le fichier n'a pas été importé : corrigez les lignes ci-dessous puis envoyez-le de nouveau."})
		return
	case errors.Is(err, roster.ErrOverlap):
		c.render(w, r, http.StatusConflict, "planning-import", page{Title: "Import du planning", Section: "planning", Data: d,
			Error: "Une garde a été enregistrée entre-temps sur un de ces créneaux : rien n'a été importé, vérifiez de nouveau."})
		return
	case err != nil:
		c.serverError(w, r, "import roster", err)
		return
	}
	if !dryRun {
		week, specialty := pv.monday.isoWeek(), pv.specialty.Slug
		if len(rep.Added) > 0 {
			week, specialty = civilOf(rep.Added[0].Start, pv.terr.Location).isoWeek(), rep.Added[0].Specialty
		}
		http.Redirect(w, r, d.Base+"?"+planningQuery(week, specialty)+"&ok=import&ajoutees="+strconv.Itoa(len(rep.Added))+
			"&inchangees="+strconv.Itoa(len(rep.Unchanged)), http.StatusSeeOther)
		return
	}
	for _, sh := range rep.Added {
		label := sh.Specialty
		if sp, err := pv.terr.SpecialtyBySlug(sh.Specialty); err == nil {
			label = sp.Label
		}
		d.Added = append(d.Added, importAddedRow{Specialty: label, Rank: sh.Rank, Name: sh.FirstName + " " + sh.LastName,
			Span: shortSpan(sh.Start, sh.End, pv.terr.Location)})
	}
	d.Unchanged = len(rep.Unchanged)
	c.render(w, r, http.StatusOK, "planning-import", page{Title: "Import du planning", Section: "planning", Data: d})
}

func (c *console) importData(r *http.Request, pv planningView, name, content string) importData {
	return importData{
		Base:    "/t/" + visitOf(r).current.Slug + "/planning",
		Back:    template.URL(planningQuery(pv.monday.isoWeek(), pv.specialty.Slug)),
		File:    name,
		Content: content,
	}
}

func (c *console) importRefused(w http.ResponseWriter, r *http.Request, name, content, msg string) {
	pv, _, err := c.planningView(r.Context(), r)
	if err != nil {
		c.serverError(w, r, "import roster", err)
		return
	}
	c.render(w, r, http.StatusUnprocessableEntity, "planning-import", page{Title: "Import du planning", Section: "planning",
		Data: c.importData(r, pv, name, content), Error: msg})
}
