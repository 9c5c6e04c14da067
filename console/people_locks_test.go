package console

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestPeopleShowLockSources: a number locked for a GP after wrong PINs is
// shown on the GP's line with the number it came from, withheld ones too,
// and « Déverrouiller » clears them.
func TestPeopleShowLockSources(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := context.Background()
	for _, n := range []string{"+33699000001", ""} {
		if _, err := env.pool.Exec(ctx, `INSERT INTO ident_pair_failure (territory_id, rpps, caller_number, failures, locks,
			last_failure_at, locked_until) VALUES ($1, '10003000014', $2, 0, 1, $3, $4)`,
			fx.coteaux, n, clock.Now(), clock.Now().Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := b.get("/t/cpts-coteaux/personnes")
	row := page.body[strings.Index(page.body, `data-rpps="10003000014"`):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{"Bloqué depuis", "06 99 00 00 01", "numéro masqué", "Déverrouiller"} {
		if !strings.Contains(row, want) {
			t.Errorf("the GP's line lacks %q:\n%s", want, row)
		}
	}
}
