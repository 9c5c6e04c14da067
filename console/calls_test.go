package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// callsFixture is a few calls of both territories, recorded through the
// same event path as the line writes them.
type callsFixture struct {
	bridged, callback, pending, refused, vallee string
}

func specialtyID(t *testing.T, env *consoleEnv, territory int64, slug string) int64 {
	t.Helper()
	var id int64
	if err := env.pool.QueryRow(context.Background(), `SELECT id FROM specialty WHERE territory_id = $1 AND slug = $2`,
		territory, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func recordEvents(t testing.TB, env *consoleEnv, id string, evs []callevent.Event) {
	t.Helper()
	for i := range evs {
		evs[i].CallID, evs[i].Seq = id, i+1
	}
	if _, err := calllog.NewStore(env.pool).ApplyEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// bridgedEvents: the GP is put through to the rank-2 specialist after rank 1
// did not answer; the outcome is keyed or left pending.
func bridgedEvents(start time.Time, territory, specialty int64, gp string, keyed bool) []callevent.Event {
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, At: at(0), DID: "+33179000001", Caller: "+33611000014"},
		{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: territory},
		{Kind: callevent.Answered, At: at(1)},
		{Kind: callevent.Identified, At: at(20), RPPS: gp},
		{Kind: callevent.SpecialtyChosen, At: at(25), SpecialtyID: specialty},
		{Kind: callevent.AttemptStarted, At: at(26), Attempt: 1, Rank: 1, RPPS: "10002000015", Phone: "+33612000015"},
		{Kind: callevent.AttemptRinging, At: at(28), Attempt: 1},
		{Kind: callevent.AttemptEnded, At: at(53), Attempt: 1, AttemptRes: callevent.AttemptNoAnswer, Cause: 19},
		{Kind: callevent.AttemptStarted, At: at(53), Attempt: 2, Rank: 2, RPPS: "10002000023", Phone: "+33612000023"},
		{Kind: callevent.AttemptRinging, At: at(55), Attempt: 2},
		{Kind: callevent.AttemptAnswered, At: at(62), Attempt: 2},
		{Kind: callevent.AttemptEnded, At: at(68), Attempt: 2, AttemptRes: callevent.AttemptAccepted},
		{Kind: callevent.Bridged, At: at(68), Attempt: 2, RPPS: "10002000023"},
		{Kind: callevent.LegHungUp, At: at(400), Party: "gp", Cause: 16},
	}
	if keyed {
		evs = append(evs, callevent.Event{Kind: callevent.OutcomeKeyed, At: at(410), Outcome: callevent.OutcomeTeleexpertise, DelayHours: 48})
	} else {
		evs = append(evs, callevent.Event{Kind: callevent.OutcomePending, At: at(405)})
	}
	return append(evs, callevent.Event{Kind: callevent.CallEnded, At: at(411), Result: callevent.ResultBridged})
}

// callbackEvents: nobody reached, a callback request is registered.
func callbackEvents(start time.Time, territory, specialty int64) []callevent.Event {
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	return []callevent.Event{
		{Kind: callevent.CallStarted, At: at(0), DID: "+33179000002", Caller: "+33611000022"},
		{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: territory},
		{Kind: callevent.Answered, At: at(1)},
		{Kind: callevent.Identified, At: at(15), RPPS: "10003000022"},
		{Kind: callevent.SpecialtyChosen, At: at(18), SpecialtyID: specialty},
		{Kind: callevent.AttemptStarted, At: at(19), Attempt: 1, Rank: 1, RPPS: "10002000049", Phone: "+33612000049"},
		{Kind: callevent.AttemptEnded, At: at(22), Attempt: 1, AttemptRes: callevent.AttemptBusy, Cause: 17},
		{Kind: callevent.CallbackRequested, At: at(23)},
		{Kind: callevent.CallEnded, At: at(30), Result: callevent.ResultCallback},
	}
}

func refusedEvents(start time.Time, territory int64) []callevent.Event {
	return []callevent.Event{
		{Kind: callevent.CallStarted, At: start, DID: "+33179000001", Caller: "+33611000030"},
		{Kind: callevent.TerritoryResolved, At: start, TerritoryID: territory},
		{Kind: callevent.Answered, At: start.Add(time.Second)},
		{Kind: callevent.IdentFailed, At: start.Add(20 * time.Second), Reason: "bad_rpps"},
		{Kind: callevent.Refused, At: start.Add(40 * time.Second), Reason: "bad_rpps"},
		{Kind: callevent.CallEnded, At: start.Add(45 * time.Second), Result: callevent.ResultRefused},
	}
}

// seedCalls records, in Paris time: Monday 2 March 09:40 a bridged call
// (téléexpertise), 09:20 a bridged call with the outcome pending, Sunday 1
// March 18:00 a callback in dermatologie, Saturday 28 February a refusal,
// and one call of the other territory.
func seedCalls(t *testing.T, env *consoleEnv) callsFixture {
	t.Helper()
	fx := env.fx
	cardio := specialtyID(t, env, fx.coteaux, "cardiologie")
	derma := specialtyID(t, env, fx.coteaux, "dermatologie")
	valleeCardio := specialtyID(t, env, fx.vallee, "cardiologie")
	c := callsFixture{
		bridged:  "a1000000-0000-4000-8000-000000000001",
		pending:  "a1000000-0000-4000-8000-000000000002",
		callback: "a1000000-0000-4000-8000-000000000003",
		refused:  "a1000000-0000-4000-8000-000000000004",
		vallee:   "b2000000-0000-4000-8000-000000000001",
	}
	utc := func(d, h, m int) time.Time { return time.Date(2026, time.Month(2+d/100), d%100, h, m, 0, 0, time.UTC) }
	recordEvents(t, env, c.bridged, bridgedEvents(utc(102, 8, 40), fx.coteaux, cardio, "10003000014", true))
	recordEvents(t, env, c.pending, bridgedEvents(utc(102, 8, 20), fx.coteaux, cardio, "10003000048", false))
	recordEvents(t, env, c.callback, callbackEvents(utc(101, 17, 0), fx.coteaux, derma))
	recordEvents(t, env, c.refused, refusedEvents(utc(28, 10, 0), fx.coteaux))
	recordEvents(t, env, c.vallee, bridgedEvents(utc(102, 8, 50), fx.vallee, valleeCardio, "10001045367", true))
	return c
}

// callRef is a call's reference as stored: every page and export shows
// that one.
func callRef(t *testing.T, env *consoleEnv, id string) string {
	t.Helper()
	var ref string
	if err := env.pool.QueryRow(context.Background(), `SELECT reference FROM call WHERE id = $1`, id).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

var callRowRe = regexp.MustCompile(`data-call="([0-9a-f-]+)"`)

func listedCalls(body string) []string {
	var ids []string
	for _, m := range callRowRe.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestCallsList(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	c := seedCalls(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")

	page := b.get("/t/cpts-coteaux/appels")
	if page.status != http.StatusOK {
		t.Fatalf("calls page: %d\n%s", page.status, page.body)
	}
	want := []string{c.bridged, c.pending, c.callback, c.refused}
	if got := listedCalls(page.body); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("calls listed %v, want newest first %v (and never the other territory's)", got, want)
	}
	for _, s := range []string{"02/03/2026 09:40", "Marie DUBOIS", "10003000014", "Hugo BERNARD", "cardiologie",
		"Mis en relation", "Téléexpertise", "sous 48 h", "Issue en attente", "Rappel demandé", "Rappel à faire",
		"Refusé", "42 s", "4 appels"} {
		if !strings.Contains(page.body, s) {
			t.Errorf("calls page lacks %q", s)
		}
	}
	if !regexp.MustCompile(`class="missed open-callback" data-call="` + c.callback).MatchString(page.body) {
		t.Errorf("the callback row does not stand out")
	}

	cases := []struct {
		query string
		want  []string
	}{
		{"resultat=callback", []string{c.callback}},
		{"resultat=bridged", []string{c.bridged, c.pending}},
		{"issue=pending", []string{c.pending}},
		{"issue=teleexpertise", []string{c.bridged}},
		{"specialite=dermatologie", []string{c.callback}},
		// Local days: Sunday 1 March 18:00 in Paris is 17:00 UTC.
		{"du=2026-03-01&au=2026-03-01", []string{c.callback}},
		{"du=2026-03-01", []string{c.bridged, c.pending, c.callback}},
		{"au=2026-02-28", []string{c.refused}},
		{"resultat=abandoned", nil},
	}
	for _, tc := range cases {
		page := b.get("/t/cpts-coteaux/appels?" + tc.query)
		if page.status != http.StatusOK {
			t.Errorf("%s: %d", tc.query, page.status)
			continue
		}
		if got := listedCalls(page.body); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: listed %v, want %v", tc.query, got, tc.want)
		}
	}
	for query, msg := range map[string]string{
		"du=01/03/2026":               "date de début invalide",
		"du=2026-03-02&au=2026-03-01": "précède la date de début",
		"resultat=perdu":              "résultat inconnu",
		"specialite=neurologie":       "spécialité inconnue",
		"issue=miracle":               "issue inconnue",
		"page=0":                      "numéro de page invalide",
	} {
		page := b.get("/t/cpts-coteaux/appels?" + query)
		if page.status != http.StatusBadRequest || !strings.Contains(page.body, msg) {
			t.Errorf("%s: %d, want 400 saying %q", query, page.status, msg)
		}
	}
}

func TestCallsPaging(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	cardio := specialtyID(t, env, fx.coteaux, "cardiologie")
	start := clock.Now().Add(-100 * time.Hour)
	for i := range 60 {
		id := fmt.Sprintf("c3000000-0000-4000-8000-%012d", i)
		recordEvents(t, env, id, bridgedEvents(start.Add(time.Duration(i)*time.Hour), fx.coteaux, cardio, "10003000014", true))
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	first := b.get("/t/cpts-coteaux/appels")
	ids := listedCalls(first.body)
	if len(ids) != callsPageSize || ids[0] != "c3000000-0000-4000-8000-000000000059" {
		t.Fatalf("first page: %d rows starting %v", len(ids), ids[:1])
	}
	if !strings.Contains(first.body, `href="/t/cpts-coteaux/appels?page=2"`) || strings.Contains(first.body, `rel="prev"`) {
		t.Fatalf("first page links wrong:\n%s", first.body)
	}
	second := b.get("/t/cpts-coteaux/appels?page=2")
	ids = listedCalls(second.body)
	if len(ids) != 10 || ids[9] != "c3000000-0000-4000-8000-000000000000" || strings.Contains(second.body, `rel="next"`) {
		t.Fatalf("second page: %v", ids)
	}
	if !strings.Contains(second.body, "appels 51 à 60") {
		t.Errorf("second page does not say which calls it shows")
	}
}

func TestCallDetail(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	c := seedCalls(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")

	page := b.get("/t/cpts-coteaux/appels/" + c.bridged)
	if page.status != http.StatusOK {
		t.Fatalf("detail: %d\n%s", page.status, page.body)
	}
	for _, s := range []string{
		"Appel du 02/03/2026 09:40", callRef(t, env, c.bridged), "Dr Marie DUBOIS", "06 11 00 00 14", "01 79 00 00 01",
		// the timeline, in local time
		"09:40:00", "Appel reçu", "Généraliste identifié", "Spécialité choisie", "Appel du spécialiste · tentative 1, rang 1",
		"Pas de réponse</td>", "Mise en relation", "Dr Hugo BERNARD", "Issue saisie", "Fin de l&#39;appel",
		// attempts: ring times from ringing to answer (7 s) or to the end (25 s)
		"06 12 00 00 15", "25 s", "7 s", "Accepté",
		"Téléexpertise", "sous 48 h", "au téléphone", "Actes facturables",
	} {
		if !strings.Contains(page.body, s) {
			t.Errorf("detail lacks %q", s)
		}
	}
	if strings.Contains(page.body, "cause 19") {
		t.Errorf("the detail says the Q.850 cause that only repeats « pas de réponse »")
	}
	if strings.Contains(page.body, "Marquer comme fait") {
		t.Errorf("a bridged call offers to close a callback")
	}
	refused := b.get("/t/cpts-coteaux/appels/" + c.refused)
	for _, s := range []string{"Identification échouée", "numéro RPPS invalide", "non identifié", "Pas d'issue"} {
		if !strings.Contains(refused.body, s) {
			t.Errorf("refused call's detail lacks %q", s)
		}
	}
}

// TestCallsScope: another territory's call, list or export answers 404,
// whoever asks, and the query itself filters (an admin who may see both
// territories still gets 404 for a call under the wrong territory's path).
func TestCallsScope(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	c := seedCalls(t, env)
	coteaux := env.browser(t)
	coteaux.signIn("coteaux@cpts.example")
	admin := env.browser(t)
	admin.signIn("admin@regul.example")
	anonymous := env.browser(t)

	for _, tc := range []struct {
		who    *browser
		path   string
		status int
	}{
		{coteaux, "/t/cpts-coteaux/appels/" + c.vallee, http.StatusNotFound},
		{coteaux, "/t/cpts-vallee/appels/" + c.vallee, http.StatusNotFound},
		{coteaux, "/t/cpts-vallee/appels", http.StatusNotFound},
		{coteaux, "/t/cpts-vallee/appels.csv", http.StatusNotFound},
		{coteaux, "/t/cpts-coteaux/appels/not-a-uuid", http.StatusNotFound},
		{coteaux, "/t/cpts-coteaux/appels/ffffffff-0000-4000-8000-000000000000", http.StatusNotFound},
		{admin, "/t/cpts-coteaux/appels/" + c.vallee, http.StatusNotFound},
		{admin, "/t/cpts-vallee/appels/" + c.bridged, http.StatusNotFound},
		{admin, "/t/cpts-vallee/appels/" + c.vallee, http.StatusOK},
		{anonymous, "/t/cpts-coteaux/appels", http.StatusSeeOther},
		{anonymous, "/t/cpts-coteaux/appels/" + c.bridged, http.StatusSeeOther},
	} {
		if a := tc.who.get(tc.path); a.status != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, a.status, tc.status)
		}
	}
	if a := anonymous.do(http.MethodGet, "/t/cpts-coteaux/appels.csv", nil, map[string]string{"Accept": "text/csv"}); a.status != http.StatusUnauthorized {
		t.Errorf("CSV without a session: %d, want 401", a.status)
	}
	if a := admin.get("/t/cpts-vallee/appels"); fmt.Sprint(listedCalls(a.body)) != fmt.Sprint([]string{c.vallee}) {
		t.Errorf("admin on the vallée list sees %v", listedCalls(a.body))
	}
}

func TestCallCallbackDone(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	c := seedCalls(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	other := env.browser(t)
	other.signIn("vallee@cpts.example")

	path := "/t/cpts-coteaux/appels/" + c.callback
	page := b.get(path)
	if !strings.Contains(page.body, "Marquer comme fait") || !strings.Contains(page.body, "Occupé") {
		t.Fatalf("callback call's detail:\n%s", page.body)
	}
	action := path + "/rappel-fait"
	if !strings.Contains(page.body, `action="`+action+`"`) {
		t.Fatalf("no form posting to %s", action)
	}
	if a := b.post(action, url.Values{}); a.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", a.status)
	}
	otherAction := strings.Replace(action, "cpts-coteaux", "cpts-vallee", 1)
	if a := other.post(otherAction, url.Values{"csrf": {other.csrf("/t/cpts-vallee/")}}); a.status != http.StatusNotFound {
		t.Errorf("another territory's coordinator closes it: %d, want 404", a.status)
	}
	a := b.post(action, url.Values{"csrf": {field(t, csrfRe, page.body)}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != path+"?ok=rappel" {
		t.Fatalf("mark done: %d → %s", a.status, a.header.Get("Location"))
	}
	page = b.get(path + "?ok=rappel")
	for _, s := range []string{"La demande de rappel est close", "Fait", "02/03/2026 10:00 par coteaux@cpts.example"} {
		if !strings.Contains(page.body, s) {
			t.Errorf("after closing, detail lacks %q", s)
		}
	}
	if strings.Contains(page.body, "Marquer comme fait") {
		t.Errorf("closed request still offers the button")
	}
	if list := b.get("/t/cpts-coteaux/appels"); strings.Contains(list.body, "Rappel à faire") {
		t.Errorf("list still shows an open callback")
	}
	if j := b.get("/t/cpts-coteaux/journal"); !strings.Contains(j.body, "Demande de rappel close") || !strings.Contains(j.body, callRef(t, env, c.callback)) {
		t.Errorf("journal lacks the closing")
	}
}

func TestCallsCSV(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	c := seedCalls(t, env)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")

	list := b.get("/t/cpts-coteaux/appels?resultat=bridged")
	href := field(t, regexp.MustCompile(`id="calls-csv" href="([^"]+)"`), list.body)
	if href != "/t/cpts-coteaux/appels.csv?resultat=bridged" {
		t.Fatalf("export link %q does not carry the filter", href)
	}
	a := b.get(href)
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", a.status, a.header.Get("Content-Type"))
	}
	if cd := a.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="appels-cpts-coteaux-2026-03-02.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(a.body, "\ufeff") {
		t.Fatalf("no UTF-8 byte order mark")
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(a.body, "\ufeff"), "\r\n"), "\r\n")
	wantLines := []string{
		"date;heure;reference;appelant;rpps_generaliste;generaliste;specialite;resultat;rpps_specialiste;specialiste;delai_specialiste_s;tentatives;issue;delai_reponse_h;rappel",
		"02/03/2026;09:40:00;" + callRef(t, env, c.bridged) + ";06 11 00 00 14;10003000014;Marie DUBOIS;cardiologie;Mis en relation;10002000023;Hugo BERNARD;42;2;Téléexpertise;48;",
		"02/03/2026;09:20:00;" + callRef(t, env, c.pending) + ";06 11 00 00 14;10003000048;Emma GIRARD;cardiologie;Mis en relation;10002000023;Hugo BERNARD;42;2;Issue en attente;;",
	}
	if fmt.Sprint(lines) != fmt.Sprint(wantLines) {
		t.Errorf("CSV:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
	all := b.get("/t/cpts-coteaux/appels.csv")
	if n := strings.Count(all.body, "\r\n"); n != 5 || !strings.Contains(all.body, ";Rappel demandé;") || !strings.Contains(all.body, ";à faire\r\n") {
		t.Errorf("full export: %d lines\n%s", n, all.body)
	}
	if bad := b.get("/t/cpts-coteaux/appels.csv?du=hier"); bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "date de début invalide") {
		t.Errorf("bad filter export: %d %s", bad.status, bad.body)
	}
	j := b.get("/t/cpts-coteaux/journal")
	if strings.Count(j.body, "Export de la liste des appels") != 2 || !strings.Contains(j.body, "resultat : bridged") {
		t.Errorf("journal does not show both exports with their filter")
	}
}
