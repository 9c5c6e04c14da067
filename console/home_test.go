package console

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"
)

var todoRe = regexp.MustCompile(`(?s)<section class="todo".*?</section>`)

// todoSection is the home page's « À traiter » block, read by a signed-in
// coordinator.
func todoSection(t *testing.T, b *browser, path string) string {
	t.Helper()
	a := b.get(path)
	m := todoRe.FindString(a.body)
	if a.status != 200 || m == "" {
		t.Fatalf("%s: %d, no « À traiter »:\n%s", path, a.status, a.body)
	}
	return m
}

// TestHomeTodo: the home page lists a roster gap, an open callback, an
// outcome pending for more than a day, the refused or uncertain SMS not
// marked handled (however old) and a locked doctor, each linking to the page
// that fixes it; another territory's items never count; « Rien à traiter »
// once all are dealt with.
func TestHomeTodo(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := context.Background()
	now := clock.Now() // Monday 2 March 2026, 10:00 in Paris
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := env.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	cardio := specialtyID(t, env, fx.coteaux, "cardiologie")
	derma := specialtyID(t, env, fx.coteaux, "dermatologie")
	pedia := specialtyID(t, env, fx.coteaux, "pediatrie")
	valleeCardio := specialtyID(t, env, fx.vallee, "cardiologie")
	shift := func(territory, specialty int64, rpps string, from, to time.Time) {
		t.Helper()
		exec(`INSERT INTO shift (territory_id, specialty_id, rpps, during, rank) VALUES ($1, $2, $3, tstzrange($4, $5), 1)`,
			territory, specialty, rpps, from, to)
	}
	// Rank 1 covered all week long but for pédiatrie, Wednesday 12:00–14:00.
	paris, _ := time.LoadLocation("Europe/Paris")
	gapStart := time.Date(2026, 3, 4, 12, 0, 0, 0, paris)
	gapEnd := gapStart.Add(2 * time.Hour)
	weekEnd := now.Add(9 * 24 * time.Hour)
	shift(fx.coteaux, cardio, "10002000015", now.Add(-time.Hour), weekEnd)
	shift(fx.coteaux, derma, "10002000049", now.Add(-time.Hour), weekEnd)
	shift(fx.coteaux, pedia, "10002000064", now.Add(-time.Hour), gapStart)
	shift(fx.coteaux, pedia, "10002000064", gapEnd, weekEnd)
	// The other territory opens too, uncovered, with items of every kind.
	exec(`UPDATE territory SET opening_hours = (SELECT opening_hours FROM territory WHERE id = $1) WHERE id = $2`, fx.coteaux, fx.vallee)

	callback := "b1000000-0000-4000-8000-000000000001"
	oldPending := "b1000000-0000-4000-8000-000000000002"
	recordEvents(t, env, callback, callbackEvents(now.Add(-2*time.Hour-10*time.Minute-23*time.Second), fx.coteaux, derma))
	recordEvents(t, env, oldPending, bridgedEvents(now.Add(-30*time.Hour), fx.coteaux, cardio, "10003000022", false))
	recordEvents(t, env, "b1000000-0000-4000-8000-000000000003", bridgedEvents(now.Add(-2*time.Hour), fx.coteaux, cardio, "10003000022", false))
	recordEvents(t, env, "b1000000-0000-4000-8000-000000000004", callbackEvents(now.Add(-50*time.Hour), fx.vallee, valleeCardio))
	recordEvents(t, env, "b1000000-0000-4000-8000-000000000005", bridgedEvents(now.Add(-40*time.Hour), fx.vallee, valleeCardio, "10001045367", false))
	sms := func(territory int64, status string, at time.Time) {
		t.Helper()
		exec(`INSERT INTO sms_outbox (dedupe_key, territory_id, kind, recipient, body, status, next_try_at, created_at, updated_at)
			VALUES ($1, $2, 'callback_gp', '+33611000022', 'texte', $3, $4, $4, $4)`,
			fmt.Sprintf("test:%d:%s:%d", territory, status, at.Unix()), territory, status, at)
	}
	sms(fx.coteaux, "failed", now.Add(-time.Hour))
	sms(fx.coteaux, "unknown", now.Add(-10*24*time.Hour)) // old, but nobody followed it up: still counts
	sms(fx.coteaux, "sent", now.Add(-time.Hour))
	sms(fx.vallee, "unknown", now.Add(-time.Hour))

	want := map[string]string{
		"pédiatrie : 1 créneau non couvert, mercredi 04/03 12:00 → 14:00": `href="planning?semaine=2026-W10&amp;specialite=pediatrie"`,
		"1 demande de rappel ouverte · il y a 2 h 10":                     `href="rappels"`,
		"1 appel mis en relation sans issue saisie depuis plus de 24 h":   `href="appels?au=2026-03-01&amp;issue=pending"`,
		"2 SMS refusés ou incertains":                                     `href="rappels#sms-problems"`,
		"1 médecin verrouillé après des codes erronés":                    `href="personnes"`,
	}
	check := func(name, todo string) {
		t.Helper()
		for text, href := range want {
			if !strings.Contains(todo, href+">"+text+"</a>") {
				t.Errorf("%s: lacks %s>%s:\n%s", name, href, text, todo)
			}
		}
		if n := strings.Count(todo, "<li"); n != len(want) {
			t.Errorf("%s: %d items, want %d (another territory's or a covered specialty's?):\n%s", name, n, len(want), todo)
		}
	}
	coteaux := env.browser(t)
	coteaux.signIn("coteaux@cpts.example")
	check("coteaux coordinator", todoSection(t, coteaux, "/t/cpts-coteaux/"))
	// An account that sees both territories reads each one's own.
	admin := env.browser(t)
	admin.signIn("admin@regul.example")
	check("admin on coteaux", todoSection(t, admin, "/t/cpts-coteaux/"))
	vallee := env.browser(t)
	vallee.signIn("vallee@cpts.example")
	other := todoSection(t, vallee, "/t/cpts-vallee/")
	for _, w := range []string{"cardiologie : ", "1 demande de rappel ouverte · il y a 2 jours 1 h", "1 appel mis en relation",
		"1 SMS refusé ou incertain", "1 médecin verrouillé"} {
		if !strings.Contains(other, w) {
			t.Errorf("vallée lacks %q (its fixture proves nothing):\n%s", w, other)
		}
	}

	// Everything dealt with.
	shift(fx.coteaux, pedia, "10002000064", gapStart, gapEnd)
	exec(`UPDATE callback_request SET done_at = $2, done_by = 'coteaux@cpts.example' WHERE call_id = $1`, callback, now)
	exec(`UPDATE call SET outcome_status = 'keyed' WHERE id = $1`, oldPending)
	exec(`UPDATE sms_outbox SET handled_at = $2, handled_by = 'coteaux@cpts.example'
		WHERE territory_id = $1 AND status IN ('failed', 'unknown')`, fx.coteaux, now)
	exec(`UPDATE enrolment SET locked_until = NULL WHERE id = $1`, fx.dubois)
	todo := todoSection(t, coteaux, "/t/cpts-coteaux/")
	if !strings.Contains(todo, "Rien à traiter") || strings.Contains(todo, "<li") {
		t.Errorf("nothing pending, yet:\n%s", todo)
	}
}

func TestHomeTodoWording(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, paris) }
	for _, c := range []struct{ got, want string }{
		{gapSpan(at(4, 12, 0), at(4, 14, 0), paris), "mercredi 04/03 12:00 → 14:00"},
		{gapSpan(at(6, 20, 0), at(7, 8, 0), paris), "vendredi 06/03 20:00 → samedi 07/03 08:00"},
		{frAge(30 * time.Second), "moins d'une minute"},
		{frAge(25 * time.Minute), "25 min"},
		{frAge(2*time.Hour + 5*time.Minute), "2 h 05"},
		{frAge(24 * time.Hour), "1 jour"},
		{frAge(50*time.Hour + 10*time.Minute), "2 jours 2 h"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestHomeOnDutyAndSilentFailures: the home page shows who answers now per
// specialty, in calling order with the fallback line, and the next
// handover; « À traiter » says when SMS sending is off while messages wait
// and when GPs have no PIN under a PIN policy.
func TestHomeOnDutyAndSilentFailures(t *testing.T) {
	env, clock, fx := newConsoleEnv(t, func(o *envOptions) { o.SMSOff = true })
	ctx := context.Background()
	now := clock.Now() // Monday 2 March 2026, 10:00 in Paris
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := env.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	cardio := specialtyID(t, env, fx.coteaux, "cardiologie")
	shift := func(rpps string, rank int, from, to time.Time) {
		t.Helper()
		exec(`INSERT INTO shift (territory_id, specialty_id, rpps, during, rank) VALUES ($1, $2, $3, tstzrange($4, $5), $6)`,
			fx.coteaux, cardio, rpps, from, to, rank)
	}
	shift("10002000015", 1, now.Add(-time.Hour), now.Add(2*time.Hour))
	shift("10002000023", 1, now.Add(2*time.Hour), now.Add(10*time.Hour))
	shift("10002000031", 2, now.Add(-time.Hour), now.Add(10*time.Hour))
	exec(`UPDATE specialty SET fallback_label = 'cardiologie du CH', fallback_phone = '+33247000001' WHERE id = $1`, cardio)
	exec(`INSERT INTO sms_outbox (dedupe_key, territory_id, kind, recipient, body, status, next_try_at, created_at, updated_at)
		VALUES ('test:queued', $1, 'callback_gp', '+33611000022', 'texte', 'queued', $2, $2, $2)`, fx.coteaux, now.Add(-45*time.Minute))
	exec(`UPDATE enrolment SET pin_hash = NULL WHERE territory_id = $1 AND rpps = '10003000022'`, fx.coteaux)
	var withoutPIN int
	if err := env.pool.QueryRow(ctx, `SELECT count(*) FROM enrolment WHERE territory_id = $1 AND role = 'requerant' AND pin_hash IS NULL`,
		fx.coteaux).Scan(&withoutPIN); err != nil {
		t.Fatal(err)
	}

	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := html.UnescapeString(b.get("/t/cpts-coteaux/").body)
	duty := regexp.MustCompile(`(?s)<section class="duty".*?</section>`).FindString(page)
	text := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(duty, " ")), " ")
	for _, want := range []string{"De garde maintenant", "Rang 1 Claire MARTIN · 06 12 00 00 15", "Rang 2 Anne PETIT",
		"Secours cardiologie du CH · 02 47 00 00 01", "Relève aujourd'hui 12:00 : rang 1 Hugo BERNARD · rang 2 Anne PETIT · secours cardiologie du CH",
		"dermatologie Aucun spécialiste de garde"} {
		if !strings.Contains(text, want) {
			t.Errorf("on duty lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(duty, `href="tel:+33612000015"`) {
		t.Errorf("no tel: link for the rank 1")
	}
	todo := todoSection(t, b, "/t/cpts-coteaux/")
	if !strings.Contains(todo, "Envoi des SMS désactivé : 1 message attend depuis 45 min") {
		t.Errorf("« À traiter » does not say SMS sending is off:\n%s", todo)
	}
	if want := frCount(withoutPIN, "généraliste inscrit n'a", "généralistes inscrits n'ont") + " pas de code PIN"; withoutPIN == 0 || !strings.Contains(html.UnescapeString(todo), want) {
		t.Errorf("« À traiter » does not list the %d GPs without PIN:\n%s", withoutPIN, todo)
	}
	if page := b.get("/t/cpts-coteaux/rappels"); !strings.Contains(page.body, `id="sms-off"`) || !strings.Contains(page.body, "1 message attend depuis 45 min") {
		t.Errorf("Rappels does not say SMS sending is off")
	}
	exec(`UPDATE territory SET identification_policy = 'rpps' WHERE id = $1`, fx.coteaux)
	if todo := todoSection(t, b, "/t/cpts-coteaux/"); strings.Contains(todo, "pas de code PIN") {
		t.Errorf("under the rpps policy a missing PIN is no problem:\n%s", todo)
	}
}
