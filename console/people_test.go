package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

var newPINRe = regexp.MustCompile(`id="new-pin">([^<]*)<`)

func TestPeoplePINResetShownOnce(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	path := fmt.Sprintf("/t/cpts-coteaux/personnes/%d/code-pin", fx.dubois)
	if list := b.get("/t/cpts-coteaux/personnes"); !strings.Contains(list.body, `href="`+path+`"`) {
		t.Fatalf("the list has no « Nouveau code PIN » for the GP")
	}
	confirm := b.get(path)
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, `id="pin-confirm"`) || newPINRe.MatchString(confirm.body) {
		t.Fatalf("confirmation page: %d\n%s", confirm.status, confirm.body)
	}
	if a := b.post(path, url.Values{}); a.status != http.StatusForbidden {
		t.Fatalf("reset without CSRF token: %d", a.status)
	}
	if hash := pinHash(t, env, fx.dubois); hash != "opaque" {
		t.Fatalf("the confirmation page or a refused POST changed the PIN: %q", hash)
	}

	a := b.post(path, url.Values{"csrf": {field(t, csrfRe, confirm.body)}})
	if a.status != http.StatusOK || a.header.Get("Location") != "" {
		t.Fatalf("reset: %d %s, want the PIN in this very answer", a.status, a.header.Get("Location"))
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	pin := field(t, newPINRe, a.body)
	if !regexp.MustCompile(`^[0-9]{4,8}$`).MatchString(pin) {
		t.Fatalf("PIN %q is not 4 to 8 digits", pin)
	}
	for _, want := range []string{"par téléphone", "il ne sera plus affiché", "Marie DUBOIS"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("PIN page lacks %q", want)
		}
	}
	if ok, err := roster.CheckPIN(pinHash(t, env, fx.dubois), pin); err != nil || !ok {
		t.Fatalf("the stored hash does not verify the PIN shown: %v %v", ok, err)
	}
	assertLocked(t, env, fx.dubois, false)
	var failures int
	if err := env.pool.QueryRow(context.Background(), `SELECT failed_pin_attempts FROM enrolment WHERE id = $1`, fx.dubois).Scan(&failures); err != nil || failures != 0 {
		t.Fatalf("failures after reset: %d %v", failures, err)
	}
	actor, detail := auditOf(t, env, "enrolment.pin")
	if actor != "coteaux@cpts.example" || detail != `{"rpps": "10003000014"}` {
		t.Fatalf("audit row: %q %s (the PIN must never be in it)", actor, detail)
	}
	// Nothing shows it again.
	if again := b.get(path); newPINRe.MatchString(again.body) {
		t.Fatalf("the PIN is shown again on GET")
	}
	if journal := b.get("/t/cpts-coteaux/journal"); !strings.Contains(journal.body, "Nouveau code PIN") {
		t.Errorf("journal lacks « Nouveau code PIN »")
	}
	// A specialist has no PIN.
	if a := b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/code-pin", fx.martin), url.Values{"csrf": {field(t, csrfRe, confirm.body)}}); a.status != http.StatusConflict {
		t.Fatalf("PIN for a requis: %d", a.status)
	}
}

func TestPeopleOtherTerritoryAnswers404(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	token := b.csrf("/t/cpts-coteaux/personnes")
	for _, base := range []string{"/t/cpts-coteaux/personnes/", "/t/cpts-vallee/personnes/"} {
		p := base + fmt.Sprint(fx.valleeGP)
		for _, path := range []string{p, p + "/code-pin", p + "/retirer"} {
			if a := b.get(path); a.status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, a.status)
			}
		}
		for _, path := range []string{p + "/code-pin", p + "/retirer", p + "/telephones"} {
			if a := b.post(path, url.Values{"csrf": {token}, "telephones": {"06 12 34 56 78"}}); a.status != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404", path, a.status)
			}
		}
	}
	if a := b.post("/t/cpts-vallee/personnes/ajouter", url.Values{"csrf": {token}, "rpps": {"10003000048"}, "role": {"requerant"}}); a.status != http.StatusNotFound {
		t.Errorf("add in another territory: %d, want 404", a.status)
	}
	var hash string
	var phones []string
	if err := env.pool.QueryRow(context.Background(), `SELECT pin_hash, phones FROM enrolment WHERE id = $1`, fx.valleeGP).Scan(&hash, &phones); err != nil {
		t.Fatalf("the vallée GP's enrolment: %v", err)
	}
	if hash != "opaque" || len(phones) != 0 {
		t.Fatalf("the vallée GP's enrolment changed: %q %v", hash, phones)
	}
}

func TestPeopleAdd(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	if a := b.get("/t/cpts-coteaux/personnes/ajouter"); a.status != http.StatusOK || !strings.Contains(a.body, `<option value="pediatrie">pédiatrie</option>`) {
		t.Fatalf("add form: %d, lacks the territory's specialties", a.status)
	}
	token := b.csrf("/t/cpts-coteaux/personnes/ajouter")
	form := func(rpps, role, specialty, phones, last, first string) url.Values {
		return url.Values{"csrf": {token}, "rpps": {rpps}, "role": {role}, "specialite": {specialty},
			"telephones": {phones}, "nom": {last}, "prenom": {first}}
	}
	newcomer := "1000400001" + string(oncall.LuhnKey("1000400001"))
	before := enrolmentCount(t, env)
	for _, r := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"Luhn", form("10003000015", "requerant", "", "", "", ""), []string{"RPPS « 10003000015 » : la clé de contrôle (Luhn) est fausse"}},
		{"empty", form("", "", "", "", "", ""), []string{"RPPS à remplir", "Choisissez le rôle"}},
		{"requis without specialty", form("10002000064", "requis", "", "06 12 34 56 78", "", ""), []string{"Choisissez la spécialité"}},
		{"bad phone", form("10002000064", "requis", "dermatologie", "06 12 34 56 78\n06 12", "", ""), []string{"« 06 12 » n&#39;est pas un numéro"}},
		{"requis without phone", form("10002000064", "requis", "dermatologie", "", "", ""), []string{"au moins un numéro (son portable)"}},
		{"not in the directory", form(newcomer, "requerant", "", "", "", ""), []string{"pas dans l&#39;annuaire : indiquez le nom et le prénom"}},
		{"names of someone else", form("10003000030", "requerant", "", "", "MARTIN", ""), []string{"L&#39;annuaire donne le RPPS 10003000030 à Luc ROUSSEAU"}},
	} {
		a := b.post("/t/cpts-coteaux/personnes/ajouter", r.form)
		if a.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", r.name, a.status)
			continue
		}
		for _, w := range r.want {
			if !strings.Contains(a.body, w) {
				t.Errorf("%s: page lacks %q", r.name, w)
			}
		}
		if !strings.Contains(a.body, `value="`+r.form.Get("rpps")+`"`) {
			t.Errorf("%s: the form is not sent back as typed", r.name)
		}
	}
	if n := enrolmentCount(t, env); n != before {
		t.Fatalf("refusals wrote enrolments: %d, was %d", n, before)
	}

	// A newcomer, with names, as a dermatologist rung on two numbers.
	a := b.post("/t/cpts-coteaux/personnes/ajouter", form(newcomer, "requis", "dermatologie", "06 12 34 56 78, +33 6 99 00 00 01", "NOUVEAU", "Lise"))
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/t/cpts-coteaux/personnes?ok=ajoute" {
		t.Fatalf("add: %d %s\n%s", a.status, a.header.Get("Location"), a.body)
	}
	list := b.get(a.header.Get("Location"))
	if !strings.Contains(list.body, "La personne est inscrite.") || !strings.Contains(list.body, `data-rpps="`+newcomer+`"`) ||
		!strings.Contains(list.body, "06 12 34 56 78") {
		t.Fatalf("the newcomer is not listed:\n%s", list.body)
	}
	if got := enrolmentPhones(t, env, fx.coteaux, newcomer); !slices.Equal(got, []string{"+33612345678", "+33699000001"}) {
		t.Fatalf("phones %v", got)
	}
	// A GP from the directory needs no names; the directory keeps its own.
	a = b.post("/t/cpts-coteaux/personnes/ajouter", form("10001045367", "requerant", "cardiologie", "", "fournier", ""))
	if a.status != http.StatusSeeOther {
		t.Fatalf("add a GP from the directory: %d\n%s", a.status, a.body)
	}
	if list := b.get("/t/cpts-coteaux/personnes?role=requerant"); !strings.Contains(list.body, "FOURNIER") {
		t.Fatalf("FOURNIER is not listed")
	}
	actor, _ := auditOf(t, env, "enrolment.created")
	if actor != "coteaux@cpts.example" {
		t.Fatalf("audit actor %q", actor)
	}
	if journal := b.get("/t/cpts-coteaux/journal"); !strings.Contains(journal.body, "Médecin inscrit") {
		t.Errorf("journal lacks « Médecin inscrit »")
	}
}

func TestPeoplePhonesEdit(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := fmt.Sprintf("/t/cpts-coteaux/personnes/%d", fx.martin)
	p := b.get(page)
	if p.status != http.StatusOK || !strings.Contains(p.body, "06 12 00 00 15</textarea>") {
		t.Fatalf("person page: %d\n%s", p.status, p.body)
	}
	token := field(t, csrfRe, p.body)
	for input, want := range map[string]string{"06 12": "« 06 12 » n&#39;est pas un numéro", " \n ": "Indiquez au moins un numéro"} {
		a := b.post(page+"/telephones", url.Values{"csrf": {token}, "telephones": {input}})
		if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, want) {
			t.Errorf("phones %q: %d, lacks %q", input, a.status, want)
		}
	}
	a := b.post(page+"/telephones", url.Values{"csrf": {token}, "telephones": {"06 12 34 56 78\r\n01 47 00 00 01"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?ok=telephones" {
		t.Fatalf("phones: %d %s\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if got := enrolmentPhones(t, env, fx.coteaux, "10002000015"); !slices.Equal(got, []string{"+33612345678", "+33147000001"}) {
		t.Fatalf("phones %v, want the mobile first, in E.164", got)
	}
	if p := b.get(a.header.Get("Location")); !strings.Contains(p.body, "Les numéros sont enregistrés.") {
		t.Errorf("no flash after saving")
	}
	actor, detail := auditOf(t, env, "enrolment.updated")
	if actor != "coteaux@cpts.example" || !strings.Contains(detail, "+33612345678") {
		t.Fatalf("audit row: %q %s", actor, detail)
	}
	if journal := b.get("/t/cpts-coteaux/journal"); !strings.Contains(journal.body, "Inscription modifiée") {
		t.Errorf("journal lacks « Inscription modifiée »")
	}
}

func TestPeopleRemove(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	ctx := context.Background()
	store := roster.NewStore(env.pool)
	// MARTIN holds tomorrow's cardiology shift; LEROY's dermatology shift
	// was last week.
	for _, f := range []roster.ShiftForm{
		{RPPS: "10002000015", Specialty: "cardiologie", Start: "2026-03-03 08:00", End: "2026-03-03 20:00", Rank: "1"},
		{RPPS: "10002000056", Specialty: "dermatologie", Start: "2026-02-24 08:00", End: "2026-02-24 20:00", Rank: "1"},
	} {
		if _, err := store.AddShift(ctx, fx.coteaux, f); err != nil {
			t.Fatal(err)
		}
	}
	var leroy int64
	if err := env.pool.QueryRow(ctx, `SELECT id FROM enrolment WHERE rpps = '10002000056'`).Scan(&leroy); err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	confirm := b.get(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/retirer", leroy))
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, `id="remove-confirm"`) {
		t.Fatalf("confirmation page: %d", confirm.status)
	}
	token := field(t, csrfRe, confirm.body)
	if a := b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/retirer", leroy), url.Values{}); a.status != http.StatusForbidden {
		t.Fatalf("removal without CSRF token: %d", a.status)
	}

	a := b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/retirer", fx.martin), url.Values{"csrf": {token}})
	if a.status != http.StatusConflict || !strings.Contains(a.body, "Claire MARTIN a encore 1 garde à venir : retirez-la du planning d&#39;abord.") {
		t.Fatalf("removal of a specialist on duty tomorrow: %d\n%s", a.status, a.body)
	}
	if !enrolled(t, env, fx.martin) {
		t.Fatal("MARTIN's enrolment was removed despite her shift")
	}

	a = b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/retirer", leroy), url.Values{"csrf": {token}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/t/cpts-coteaux/personnes?ok=retire" {
		t.Fatalf("removal: %d %s\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if enrolled(t, env, leroy) {
		t.Fatal("LEROY is still enrolled")
	}
	if list := b.get(a.header.Get("Location")); strings.Contains(list.body, "LEROY") || !strings.Contains(list.body, "L&#39;inscription est retirée.") {
		t.Errorf("list after removal")
	}
	actor, detail := auditOf(t, env, "enrolment.removed")
	if actor != "coteaux@cpts.example" || !strings.Contains(detail, `"rpps": "10002000056"`) {
		t.Fatalf("audit row: %q %s", actor, detail)
	}
	if journal := b.get("/t/cpts-coteaux/journal"); !strings.Contains(journal.body, "Inscription retirée") {
		t.Errorf("journal lacks « Inscription retirée »")
	}
	// A GP is removed alike; the shifts of others do not matter.
	if a := b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/retirer", fx.lambert), url.Values{"csrf": {token}}); a.status != http.StatusSeeOther {
		t.Fatalf("removal of a GP: %d", a.status)
	}
}

// TestEnrolRefusalsInFrench goes through every refusal roster.Enrol can
// give so that a new wording there is seen here.
func TestEnrolRefusalsInFrench(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	store := roster.NewStore(env.pool)
	newcomer := "1000500001" + string(oncall.LuhnKey("1000500001"))
	for _, spec := range []roster.EnrolSpec{
		{RPPS: "10002000064", Role: oncall.Requis},
		{RPPS: "10003000048", Role: oncall.Requerant, Specialty: "cardiologie"},
		{RPPS: "10003000048", Role: "médecin"},
		{RPPS: "10003000048", Role: oncall.Requerant, FirstName: "Emma"},
		{RPPS: "10002000064", Role: oncall.Requis, Specialty: "neurologie", Phones: []string{"0612345678"}},
		{RPPS: newcomer, Role: oncall.Requerant},
		{RPPS: "10002000064", Role: oncall.Requis, Specialty: "dermatologie"},
		{RPPS: "10002000064", Role: oncall.Requis, Specialty: "dermatologie", Phones: []string{"12"}},
		{RPPS: "1234", Role: oncall.Requerant},
	} {
		spec.TerritoryID = fx.coteaux
		_, err := store.Enrol(context.Background(), spec)
		if err == nil {
			t.Fatalf("%+v was accepted", spec)
		}
		problems, ok := enrolProblems(err)
		if !ok || len(problems[""]) > 0 {
			t.Errorf("%v: not translated (%v)", err, problems)
		}
	}
}

func pinHash(t *testing.T, env *consoleEnv, enrolment int64) string {
	t.Helper()
	var h string
	if err := env.pool.QueryRow(context.Background(), `SELECT coalesce(pin_hash, '') FROM enrolment WHERE id = $1`, enrolment).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// auditOf returns the actor and detail of the only audit row of an action.
func auditOf(t *testing.T, env *consoleEnv, action string) (string, string) {
	t.Helper()
	var actor, detail string
	if err := env.pool.QueryRow(context.Background(), `SELECT actor, detail::text FROM audit_log WHERE action = $1`, action).Scan(&actor, &detail); err != nil {
		t.Fatalf("audit row %s: %v", action, err)
	}
	return actor, detail
}

func enrolmentCount(t *testing.T, env *consoleEnv) int {
	t.Helper()
	var n int
	if err := env.pool.QueryRow(context.Background(), `SELECT count(*) FROM enrolment`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func enrolmentPhones(t *testing.T, env *consoleEnv, territory int64, rpps string) []string {
	t.Helper()
	var phones []string
	err := env.pool.QueryRow(context.Background(), `SELECT phones FROM enrolment WHERE territory_id = $1 AND rpps = $2`, territory, rpps).Scan(&phones)
	if err != nil {
		t.Fatal(err)
	}
	return phones
}

func enrolled(t *testing.T, env *consoleEnv, id int64) bool {
	t.Helper()
	var ok bool
	if err := env.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM enrolment WHERE id = $1)`, id).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}
