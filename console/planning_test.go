package console

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/regul-sante/regul/roster"
)

// importSampleRoster loads testdata/roster.csv into cpts-coteaux.
func importSampleRoster(t *testing.T, env *consoleEnv) {
	t.Helper()
	f, err := os.Open("../testdata/roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := roster.NewStore(env.pool).ImportShifts(context.Background(), env.fx.coteaux, "roster.csv", f, false); err != nil {
		t.Fatal(err)
	}
}

// upload posts a file in a multipart form, as the import form does.
func (b *browser) upload(path string, fields url.Values, file, content string) answer {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("fichier", file)
	if err != nil {
		b.t.Fatal(err)
	}
	_, _ = io.WriteString(fw, content)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.env.srv.URL+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

const sampleWeek = "/t/cpts-coteaux/planning?semaine=2026-W48&specialite=pediatrie"

var gapRe = regexp.MustCompile(`(?s)<a class="slot gap"[^>]*>\s*<span class="time">([^<]+)</span>`)

func gapsOf(body string) []string {
	var out []string
	for _, m := range gapRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestPlanningWeekShowsCoverAndGaps(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	importSampleRoster(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")

	page := b.get(sampleWeek)
	if page.status != http.StatusOK {
		t.Fatalf("planning: %d\n%s", page.status, page.body)
	}
	for _, want := range []string{"du lundi 23 au dimanche 29 novembre 2026", "mercredi 25/11", "Paul MOREAU",
		"08:00 → 12:00", "14:00 → 20:00", "08:00–20:00", "dimanche 29/11", "fermé", `data-specialty="pediatrie"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := gapsOf(page.body); len(got) != 1 || got[0] != "12:00 → 14:00" {
		t.Errorf("pédiatrie gaps %q, want the Wednesday's 12:00 → 14:00", got)
	}
	// The tabs count each specialty's gaps: dermatologie has Friday 18:00–20:00.
	if !regexp.MustCompile(`data-specialty="dermatologie">dermatologie <span class="badge danger">1 créneau non couvert`).MatchString(page.body) {
		t.Errorf("dermatologie tab does not show its gap")
	}
	// A gap links to the add form, prefilled with its span.
	if !strings.Contains(page.body, "debut=2026-11-25T12%3a00&amp;fin=2026-11-25T14%3a00#ajout-garde") {
		t.Errorf("gap has no link to fill it")
	}
	filled := b.get(sampleWeek + "&debut=2026-11-25T12:00&fin=2026-11-25T14:00")
	if !strings.Contains(filled.body, `id="shift-start" value="2026-11-25T12:00"`) {
		t.Errorf("add form not prefilled from the gap")
	}
	// A bad week says so and shows the current one.
	if bad := b.get("/t/cpts-coteaux/planning?semaine=2026-W60"); bad.status != http.StatusOK || !strings.Contains(bad.body, "n&#39;a pas de semaine 60") && !strings.Contains(bad.body, "attendu AAAA-Wss") {
		t.Errorf("bad week: %d", bad.status)
	}
}

func TestPlanningAcrossDaylightSaving(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	importSampleRoster(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	// Week 43 of 2026 ends on Sunday 25 October, when clocks go back: Hugo
	// BERNARD's night from Saturday 20:00 to Sunday 08:00 lasts 13 hours and
	// shows in both columns at its wall-clock times.
	page := b.get("/t/cpts-coteaux/planning?semaine=2026-W43&specialite=cardiologie")
	night := regexp.MustCompile(`(?s)title="Garde · sam\. 24/10 20:00 → dim\. 25/10 08:00[^"]*" data-shift="(\d+)">\s*<span class="time">([^<]+)</span><span class="who">Hugo BERNARD`)
	var parts []string
	for _, m := range night.FindAllStringSubmatch(page.body, -1) {
		parts = append(parts, m[2])
	}
	if strings.Join(parts, " | ") != "20:00 → 24:00 | 00:00 → 08:00" {
		t.Errorf("the night across the change shows as %q", parts)
	}
	if !strings.Contains(page.body, "dimanche 25/10") || strings.Contains(page.body, "lundi 26/10") {
		t.Errorf("week 43 does not end on Sunday 25 October")
	}
	if got := gapsOf(page.body); len(got) != 0 {
		t.Errorf("cardiologie gaps in week 43: %q", got)
	}
	// And the spring change: 2027-03-28 02:30 does not exist.
	a := b.post("/t/cpts-coteaux/planning/gardes", url.Values{"csrf": {b.csrf(sampleWeek)}, "semaine": {"2027-W12"}, "specialite": {"cardiologie"},
		"rpps": {"10002000015"}, "debut": {"2027-03-27T20:00"}, "fin": {"2027-03-28T02:30"}, "rang": {"3"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "cette heure n&#39;existe pas") {
		t.Errorf("a time clocks skip: %d\n%s", a.status, problemsOf(a.body))
	}
}

func problemsOf(body string) string {
	m := regexp.MustCompile(`(?s)<ul class="problems"[^>]*>(.*?)</ul>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestPlanningAddShiftClosesTheGap(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	importSampleRoster(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	csrf := b.csrf(sampleWeek)
	form := func(rpps, start, end, rank string) url.Values {
		return url.Values{"csrf": {csrf}, "semaine": {"2026-W48"}, "specialite": {"pediatrie"},
			"rpps": {rpps}, "debut": {start}, "fin": {end}, "rang": {rank}}
	}

	refusals := []struct {
		name string
		form url.Values
		want []string
	}{
		{"Luhn", form("10002000065", "2026-11-25T12:00", "2026-11-25T14:00", "1"), []string{"clé de contrôle (Luhn) est fausse"}},
		{"not a pediatrician", form("10002000015", "2026-11-25T12:00", "2026-11-25T14:00", "1"), []string{"Claire MARTIN (10002000015) n&#39;est pas inscrit comme spécialiste de garde en pediatrie"}},
		{"end before start", form("10002000064", "2026-11-25T14:00", "2026-11-25T12:00", "1"), []string{"doit venir après le début"}},
		{"overlap at rank 1", form("10002000064", "2026-11-25T11:00", "2026-11-25T14:00", "1"), []string{"chevauche une garde déjà enregistrée (pediatrie rang 1, 10002000064 Paul MOREAU, 2026-11-25 08:00 → 2026-11-25 12:00)"}},
		{"empty", form("", "", "", ""), []string{"RPPS à remplir", "début à remplir", "fin à remplir", "rang à remplir"}},
	}
	for _, r := range refusals {
		a := b.post("/t/cpts-coteaux/planning/gardes", r.form)
		if a.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", r.name, a.status)
			continue
		}
		got := problemsOf(a.body)
		for _, w := range r.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: problems lack %q:\n%s", r.name, w, got)
			}
		}
		// The specialist is picked from a list: one of the list stays
		// selected when the form comes back.
		if rpps := r.form.Get("rpps"); rpps != "" && strings.Contains(a.body, `<option value="`+rpps+`">`) &&
			!strings.Contains(a.body, `<option value="`+rpps+`" selected>`) {
			t.Errorf("%s: the form does not come back with %s selected", r.name, rpps)
		}
	}

	a := b.post("/t/cpts-coteaux/planning/gardes", form("10002000064", "2026-11-25T12:00", "2026-11-25T14:00", "1"))
	if a.status != http.StatusSeeOther || a.header.Get("Location") != sampleWeek+"&ok=garde-ajoutee" {
		t.Fatalf("add: %d %s\n%s", a.status, a.header.Get("Location"), problemsOf(a.body))
	}
	page := b.get(a.header.Get("Location"))
	if got := gapsOf(page.body); len(got) != 0 {
		t.Errorf("gap still shown after the shift: %q", got)
	}
	if !strings.Contains(page.body, "La garde est ajoutée.") || !strings.Contains(page.body, "12:00 → 14:00") {
		t.Errorf("no flash or no new shift")
	}

	// Edit it (rank 2 instead), then delete it: the gap comes back.
	id := regexp.MustCompile(`href="/t/cpts-coteaux/planning/gardes/(\d+)" title="Garde · mer\. 25/11 12:00 → 14:00`).FindStringSubmatch(page.body)
	if id == nil {
		t.Fatal("no link to the new shift")
	}
	edit := b.get("/t/cpts-coteaux/planning/gardes/" + id[1])
	if edit.status != http.StatusOK || !strings.Contains(edit.body, `value="2026-11-25T12:00"`) {
		t.Fatalf("edit page: %d", edit.status)
	}
	up := b.post("/t/cpts-coteaux/planning/gardes/"+id[1], url.Values{"csrf": {csrf}, "specialite": {"pediatrie"},
		"rpps": {"10002000064"}, "debut": {"2026-11-25T12:00"}, "fin": {"2026-11-25T15:00"}, "rang": {"1"}})
	if up.status != http.StatusUnprocessableEntity || !strings.Contains(problemsOf(up.body), "chevauche") {
		t.Errorf("update overlapping the afternoon: %d", up.status)
	}
	up = b.post("/t/cpts-coteaux/planning/gardes/"+id[1], url.Values{"csrf": {csrf}, "specialite": {"pediatrie"},
		"rpps": {"10002000064"}, "debut": {"2026-11-25T12:00"}, "fin": {"2026-11-25T14:00"}, "rang": {"2"}})
	if up.status != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", up.status, problemsOf(up.body))
	}
	if got := gapsOf(b.get(sampleWeek).body); len(got) != 1 {
		t.Errorf("rank 2 is not rank-1 cover, yet the gap is gone: %q", got)
	}
	del := b.post("/t/cpts-coteaux/planning/gardes/"+id[1]+"/supprimer", url.Values{"csrf": {csrf}})
	if del.status != http.StatusSeeOther || !strings.Contains(del.header.Get("Location"), "ok=garde-supprimee") {
		t.Fatalf("delete: %d %s", del.status, del.header.Get("Location"))
	}
	if b.get("/t/cpts-coteaux/planning/gardes/"+id[1]).status != http.StatusNotFound {
		t.Error("a deleted shift still opens")
	}
	journal := b.get("/t/cpts-coteaux/journal").body
	for _, want := range []string{"Garde ajoutée", "Garde modifiée", "Garde supprimée", "coteaux@cpts.example"} {
		if !strings.Contains(journal, want) {
			t.Errorf("journal lacks %q", want)
		}
	}
}

func TestPlanningOverrides(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	importSampleRoster(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	week := "/t/cpts-coteaux/planning?semaine=2026-W48&specialite=cardiologie"
	csrf := b.csrf(week)
	form := url.Values{"csrf": {csrf}, "semaine": {"2026-W48"}, "specialite": {"cardiologie"},
		"rpps": {"10002000031"}, "debut": {"2026-11-23T10:00"}, "fin": {"2026-11-23T14:00"}, "rang": {"1"}, "motif": {"arrêt maladie"}}
	a := b.post("/t/cpts-coteaux/planning/remplacements", form)
	if a.status != http.StatusSeeOther {
		t.Fatalf("add override: %d\n%s", a.status, problemsOf(a.body))
	}
	page := b.get(week)
	if !strings.Contains(page.body, `<span class="tag">Remplacement</span><span class="time">10:00 → 14:00</span><span class="who">Anne PETIT</span><span class="why">arrêt maladie</span>`) {
		t.Errorf("override not shown in the grid")
	}
	again := b.post("/t/cpts-coteaux/planning/remplacements", form)
	if again.status != http.StatusUnprocessableEntity || !strings.Contains(problemsOf(again.body), "supprimez-le d&#39;abord") {
		t.Errorf("overlapping override: %d %s", again.status, problemsOf(again.body))
	}
	form.Set("rpps", "10002000064")
	if a := b.post("/t/cpts-coteaux/planning/remplacements", form); a.status != http.StatusUnprocessableEntity ||
		!strings.Contains(problemsOf(a.body), "n&#39;est pas inscrit comme spécialiste de garde en cardiologie") {
		t.Errorf("a pediatrician as cardiology override: %d %s", a.status, problemsOf(a.body))
	}
	id := regexp.MustCompile(`action="/t/cpts-coteaux/planning/remplacements/(\d+)/supprimer"`).FindStringSubmatch(page.body)
	if id == nil {
		t.Fatal("no delete button for the override")
	}

	other := env.browser(t)
	other.signIn("vallee@cpts.example")
	if a := other.post("/t/cpts-vallee/planning/remplacements/"+id[1]+"/supprimer", url.Values{"csrf": {other.csrf("/t/cpts-vallee/")}}); a.status != http.StatusNotFound {
		t.Errorf("another territory deletes the override: %d", a.status)
	}
	if a := b.post("/t/cpts-coteaux/planning/remplacements/"+id[1]+"/supprimer", url.Values{"csrf": {csrf}, "semaine": {"2026-W48"}, "specialite": {"cardiologie"}}); a.status != http.StatusSeeOther {
		t.Fatalf("delete override: %d", a.status)
	}
	if strings.Contains(b.get(week).body, `class="slot override`) {
		t.Error("deleted override still shown")
	}
	journal := b.get("/t/cpts-coteaux/journal").body
	if !strings.Contains(journal, "Remplacement ajouté") || !strings.Contains(journal, "Remplacement supprimé") {
		t.Error("journal lacks the override changes")
	}
}

func TestPlanningImport(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	csrf := b.csrf(sampleWeek)
	fields := url.Values{"csrf": {csrf}, "semaine": {"2026-W48"}, "specialite": {"pediatrie"}}

	bad, err := os.ReadFile("../testdata/roster_errors.csv")
	if err != nil {
		t.Fatal(err)
	}
	a := b.upload("/t/cpts-coteaux/planning/import", fields, "roster_errors.csv", string(bad))
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: %d", a.status)
	}
	for _, want := range []string{
		`<td class="mono">6</td><td>RPPS 10002000016 : la clé de contrôle (Luhn) est fausse`,
		`<td class="mono">8</td><td>chevauche la ligne 4 (cardiologie rang 1, 2026-11-23 20:00 → 2026-11-24 08:00)`,
		`<td class="mono">18</td><td>fin « 2027-03-28 02:30 » : cette heure n&#39;existe pas`,
		`<td class="mono">22</td>`,
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("error report lacks %q", want)
		}
	}
	if strings.Contains(a.body, "import/confirmer") {
		t.Error("a bad file can be confirmed")
	}

	good, err := os.ReadFile("../testdata/roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	a = b.upload("/t/cpts-coteaux/planning/import", fields, "roster.csv", string(good))
	if a.status != http.StatusOK || !strings.Contains(a.body, "134 gardes à ajouter") {
		t.Fatalf("dry run: %d\n%s", a.status, a.body)
	}
	var n int
	if err := env.pool.QueryRow(context.Background(), `SELECT count(*) FROM shift`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the check wrote %d shifts (%v)", n, err)
	}
	content := (field(t, regexp.MustCompile(`(?s)<textarea name="contenu" hidden>(.*?)</textarea>`), a.body))
	c := b.post("/t/cpts-coteaux/planning/import/confirmer", url.Values{"csrf": {csrf}, "semaine": {"2026-W48"},
		"specialite": {"pediatrie"}, "nom": {"roster.csv"}, "contenu": {content}})
	if c.status != http.StatusSeeOther || !strings.Contains(c.header.Get("Location"), "ok=import&ajoutees=134&inchangees=0") {
		t.Fatalf("confirm: %d %s", c.status, c.header.Get("Location"))
	}
	if page := b.get(c.header.Get("Location")); !strings.Contains(page.body, "Planning importé : 134 gardes ajoutées, 0 déjà présente.") {
		t.Errorf("no import flash")
	}
	if err := env.pool.QueryRow(context.Background(), `SELECT count(*) FROM shift`).Scan(&n); err != nil || n != 134 {
		t.Fatalf("import wrote %d shifts (%v)", n, err)
	}
	if !strings.Contains(b.get("/t/cpts-coteaux/journal").body, "Planning importé") {
		t.Error("journal lacks the import")
	}
}

// TestPlanningPastGapsAndDates: a week is chosen with a plain date (any
// day of it); a gap already over is shown but offers no « couvrir »; a gap
// in progress is offered from now on.
func TestPlanningPastGapsAndDates(t *testing.T) {
	env, _, _ := newConsoleEnv(t) // Monday 2 March 2026, 10:00 in Paris
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := b.get("/t/cpts-coteaux/planning?jour=2026-02-26&specialite=pediatrie")
	if !strings.Contains(page.body, "Semaine 09") || !strings.Contains(page.body, `value="2026-02-23"`) {
		t.Fatalf("the day 26/02 does not open its week 09:\n%s", page.body)
	}
	if strings.Contains(page.body, "#ajout-garde") || !strings.Contains(page.body, `class="slot gap past"`) {
		t.Errorf("a past week offers to cover its gaps")
	}
	if strings.Contains(page.body, `type="week"`) || strings.Contains(page.body, "Europe/Paris") {
		t.Errorf("the page still has a week field or says Europe/Paris")
	}
	page = b.get("/t/cpts-coteaux/planning?jour=2026-03-02&specialite=pediatrie")
	if !strings.Contains(page.body, "debut=2026-03-02T10%3a00") || strings.Contains(page.body, "debut=2026-03-02T08%3a00") {
		t.Errorf("today's gap in progress is not offered from now on:\n%s", regexp.MustCompile(`debut=[^&]*`).FindAllString(page.body, -1))
	}
	if a := b.get("/t/cpts-coteaux/planning?jour=26/02/2026"); !strings.Contains(a.body, "invalide") {
		t.Errorf("a bad date is not refused with a message")
	}
}
