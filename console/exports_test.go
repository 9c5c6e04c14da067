package console

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestExportsBillingCSV(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	februaryCalls(t, env, fx)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")

	// The page opens on last month (the clock is in March 2026).
	page := b.get("/t/cpts-coteaux/exports")
	if page.status != http.StatusOK {
		t.Fatalf("exports page: %d\n%s", page.status, page.body)
	}
	for _, want := range []string{`value="2026-02" selected`, "MARTIN", "BERNARD", "TE2 ×1", "APC ×1, SNP ×1",
		"108,00 €", "/t/cpts-coteaux/appels.csv", "/t/cpts-coteaux/exports/facturation.csv?mois=2026-02", "23,00 €"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("exports page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "PETIT") {
		t.Error("the vallée specialist shows on the coteaux statement")
	}

	a := b.get("/t/cpts-coteaux/exports/facturation.csv?mois=2026-02")
	if a.status != http.StatusOK {
		t.Fatalf("billing CSV: %d\n%s", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := a.header.Get("Content-Disposition"); cd != `attachment; filename="regul-facturation-cpts-coteaux-2026-02.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	lines := strings.Split(strings.TrimSuffix(a.body, "\r\n"), "\r\n")
	want := []string{
		"\ufeffrpps;nom;prenom;role;code_acte;libelle;date;heure;reference_appel;id_appel;montant_eur",
		"10002000023;BERNARD;Hugo;requis;APC;Avis ponctuel de consultant;03/02/2026;14:40;",
		"10002000023;BERNARD;Hugo;requis;SNP;Majoration soins non programmés (vu sous 48 h via la régulation);03/02/2026;14:40;",
		"10003000014;DUBOIS;Marie;requérant;RQD;Demande de téléexpertise (médecin requérant);02/02/2026;09:15;",
		"10002000015;MARTIN;Claire;requis;TE2;Téléexpertise (médecin requis);02/02/2026;09:15;",
	}
	if len(lines) != len(want) {
		t.Fatalf("CSV has %d lines, want %d:\n%s", len(lines), len(want), a.body)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], w)
		}
	}
	for i, amount := range []string{"", ";60,00", ";15,00", ";10,00", ";23,00"} {
		if !strings.HasSuffix(lines[i], amount) {
			t.Errorf("line %d = %q, want amount %q", i+1, lines[i], amount)
		}
	}

	// A wrong month is refused with the reason.
	if a := b.get("/t/cpts-coteaux/exports/facturation.csv?mois=février"); a.status != http.StatusBadRequest || !strings.Contains(a.body, "attendu AAAA-MM") {
		t.Errorf("bad month: %d", a.status)
	}

	ars := b.get("/t/cpts-coteaux/exports/ars.csv?du=2026-01&au=2026-03")
	if ars.status != http.StatusOK {
		t.Fatalf("ARS CSV: %d\n%s", ars.status, ars.body)
	}
	arsLines := strings.Split(strings.TrimSuffix(ars.body, "\r\n"), "\r\n")
	wantARS := []string{
		"\ufeffmois;specialite;appels;mis_en_relation;demandes_specialite;taux_reponse_pct;delai_median_s;delai_p90_s;" +
			"rappel_necessaire;refus_identification;abandons;hors_horaires;echecs_techniques;interrompus;issue_teleconsultation;" +
			"issue_teleexpertise;issue_presentiel;issue_hopital;issue_avis_seul;issue_non_saisie;demandes_rappel;rappels_traites",
		"2026-02;cardiologie;2;2;2;100,0;45;57;0;0;0;0;0;0;0;1;1;0;0;0;0;0",
		"2026-02;dermatologie;2;1;2;50,0;90;90;1;0;0;0;0;0;0;0;0;0;1;0;1;0",
		"2026-02;sans spécialité;1;0;0;;;;0;1;0;0;0;0;0;0;0;0;0;0;0;0",
		"2026-02;ensemble;5;3;4;75,0;60;84;1;1;0;0;0;0;0;1;1;0;1;0;1;0",
	}
	if strings.Join(arsLines, "\n") != strings.Join(wantARS, "\n") {
		t.Errorf("ARS CSV:\n%s\nwant\n%s", strings.Join(arsLines, "\n"), strings.Join(wantARS, "\n"))
	}
	if strings.Contains(ars.body, "1000") || strings.Contains(ars.body, "+33") {
		t.Error("the ARS CSV holds an identifier")
	}
	if a := b.get("/t/cpts-coteaux/exports/ars.csv?du=2026-03&au=2026-01"); a.status != http.StatusBadRequest {
		t.Errorf("reversed ARS period: %d", a.status)
	}

	// Both exports are in the journal, who and what.
	var n int
	if err := env.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log
		WHERE actor = 'coteaux@cpts.example' AND territory_id = $1 AND action IN ('export.billing', 'export.ars')`, fx.coteaux).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d exports journaled, want 2", n)
	}
	if j := b.get("/t/cpts-coteaux/journal"); !strings.Contains(j.body, "Export du relevé des actes") || !strings.Contains(j.body, "mois : 2026-02") {
		t.Error("the journal does not show the billing export")
	}
}

// TestExportsAccessRules: no session, another territory, a forged
// territory in the path: nothing is exported and nothing journaled.
func TestExportsAccessRules(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	februaryCalls(t, env, fx)
	paths := []string{
		"/t/cpts-vallee/exports", "/t/cpts-vallee/statistiques",
		"/t/cpts-vallee/exports/facturation.csv?mois=2026-02",
		"/t/cpts-vallee/exports/ars.csv?du=2026-01&au=2026-03",
	}
	anon := env.browser(t)
	for _, p := range append(paths, "/t/cpts-coteaux/exports/facturation.csv?mois=2026-02") {
		a := anon.do(http.MethodGet, p, nil, map[string]string{"Accept": "text/csv"})
		if a.status != http.StatusUnauthorized {
			t.Errorf("no session %s: %d, want 401", p, a.status)
		}
		if a := anon.get(p); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/connexion") {
			t.Errorf("no session (browser) %s: %d %s", p, a.status, a.header.Get("Location"))
		}
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	for _, p := range paths {
		if a := b.get(p); a.status != http.StatusNotFound || strings.Contains(a.body, "PETIT") {
			t.Errorf("coteaux coordinator %s: %d, want 404", p, a.status)
		}
	}
	var n int
	if err := env.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action LIKE 'export.%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d refused exports journaled", n)
	}
	// The vallée coordinator gets their own statement, and only it.
	v := env.browser(t)
	v.signIn("vallee@cpts.example")
	a := v.get("/t/cpts-vallee/exports/facturation.csv?mois=2026-02")
	if a.status != http.StatusOK || !strings.Contains(a.body, "PETIT") || strings.Contains(a.body, "MARTIN") {
		t.Errorf("vallée statement: %d\n%s", a.status, a.body)
	}
	if a := v.get("/t/cpts-coteaux/exports/facturation.csv?mois=2026-02"); a.status != http.StatusNotFound {
		t.Errorf("vallée coordinator on coteaux: %d", a.status)
	}
}
