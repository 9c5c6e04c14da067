package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const tariffPath = "/t/cpts-coteaux/exports/tarifs"

// tariffState is the act_tariff rows and tariff.set journal rows, to see
// that a refused form wrote nothing.
func tariffState(t *testing.T, env *consoleEnv) (versions, journaled int) {
	t.Helper()
	err := env.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM act_tariff),
		(SELECT count(*) FROM audit_log WHERE action = 'tariff.set')`).Scan(&versions, &journaled)
	if err != nil {
		t.Fatal(err)
	}
	return versions, journaled
}

func wantIn(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	body = html.UnescapeString(body)
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestTariffSetByAdmin(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("admin@regul.example")
	page := b.get("/t/cpts-coteaux/exports")
	wantIn(t, "admin's exports page", page.body, `id="tariff-form"`, `<option value="TC/requis">`,
		`<span class="badge warn">à compléter</span>`)
	token := field(t, csrfRe, page.body)

	a := b.post(tariffPath, url.Values{"csrf": {token}, "acte": {"TC/requis"}, "montant": {"25,00 €"},
		"debut": {"2026-03-01"}, "note": {"secteur 1"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/t/cpts-coteaux/exports?ok=tarif#tariffs" {
		t.Fatalf("set TC: %d %s\n%s", a.status, a.header.Get("Location"), a.body)
	}
	page = b.get("/t/cpts-coteaux/exports?ok=tarif")
	wantIn(t, "exports page after the change", page.body, "Le tarif est enregistré",
		"25,00 €", "depuis le 01/03/2026", "jusqu'au 28/02/2026", "secteur 1")
	if strings.Count(page.body, "à compléter</span>") != 0 {
		t.Error("TC still marked to enter after its amount was set")
	}
	var actor string
	var territory int64
	if err := env.pool.QueryRow(context.Background(), `SELECT actor, territory_id FROM audit_log WHERE action = 'tariff.set'`).
		Scan(&actor, &territory); err != nil {
		t.Fatal(err)
	}
	if actor != "admin@regul.example" || territory != fx.coteaux {
		t.Errorf("journal row by %q in territory %d", actor, territory)
	}
	wantIn(t, "journal", b.get("/t/cpts-coteaux/journal").body, "Tarif modifié", "montant : 25,00", "du 01/03/2026")

	// The same again: nothing changes, and the page says so.
	a = b.post(tariffPath, url.Values{"csrf": {token}, "acte": {"TC/requis"}, "montant": {"25"}, "debut": {"2026-03-01"}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "ok=tarif-inchange") {
		t.Errorf("repeat: %d %s", a.status, a.header.Get("Location"))
	}
	versions, journaled := tariffState(t, env)

	// Refused forms: the page comes back with the reason and the form as
	// typed; nothing is written.
	for _, c := range []struct {
		form  url.Values
		wants []string
	}{
		{url.Values{"acte": {"TC/requis"}, "montant": {"abc"}, "debut": {"2026-04-01"}},
			[]string{"Montant « abc » invalide : écrivez un montant en euros", `value="abc"`}},
		{url.Values{"acte": {"TE2/requis"}, "montant": {"21"}, "debut": {"2025-06-01"}},
			[]string{"Une version du tarif TE2 commence déjà le 01/01/2026", `<option value="TE2/requis" selected>`}},
		{url.Values{"acte": {"XYZ/requis"}, "montant": {"21"}, "debut": {"2026-06-01"}},
			[]string{"Acte inconnu : XYZ (requis)"}},
		{url.Values{"acte": {"TC/requis"}, "montant": {"30"}, "debut": {"demain"}},
			[]string{"Date de début « demain » invalide"}},
	} {
		c.form.Set("csrf", token)
		a := b.post(tariffPath, c.form)
		if a.status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d, want 422", c.form, a.status)
		}
		wantIn(t, "refused form", a.body, append(c.wants, "Tarif non enregistré.", `id="tariff-form"`)...)
	}
	if v, j := tariffState(t, env); v != versions || j != journaled {
		t.Errorf("refused forms wrote: %d versions (was %d), %d journal rows (was %d)", v, versions, j, journaled)
	}

	// Without the form's token, refused like every console POST.
	if a := b.post(tariffPath, url.Values{"acte": {"TC/requis"}, "montant": {"30"}, "debut": {"2026-04-01"}}); a.status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d, want 403", a.status)
	}
	if v, j := tariffState(t, env); v != versions || j != journaled {
		t.Error("a POST without token wrote a tariff")
	}
}

// TestTariffReadOnlyForCoordinators: tariffs are national; a territory's
// coordinator reads them and cannot change them, even by a forged POST.
func TestTariffReadOnlyForCoordinators(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := b.get("/t/cpts-coteaux/exports")
	wantIn(t, "coordinator's exports page", page.body, "Les tarifs sont nationaux : seul un administrateur peut les modifier.",
		"Tarifs appliqués", "à compléter")
	if strings.Contains(page.body, `id="tariff-form"`) {
		t.Error("a coordinator sees the tariff form")
	}
	versions, journaled := tariffState(t, env)
	a := b.post(tariffPath, url.Values{"csrf": {field(t, csrfRe, page.body)}, "acte": {"TC/requis"},
		"montant": {"25"}, "debut": {"2026-03-01"}})
	if a.status != http.StatusForbidden {
		t.Errorf("coordinator POST: %d, want 403", a.status)
	}
	wantIn(t, "refusal", a.body, "seul un administrateur peut les modifier")
	if v, j := tariffState(t, env); v != versions || j != journaled {
		t.Error("a coordinator's POST wrote a tariff")
	}
}
