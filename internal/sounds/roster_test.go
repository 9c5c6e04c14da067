package sounds

import (
	"context"
	"slices"
	"testing"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestSpokenName(t *testing.T) {
	for _, c := range [][3]string{
		{"Marie", "DUBOIS", "Marie Dubois"},
		{"JEAN-PIERRE", "LE GALL", "Jean-Pierre Le Gall"},
		{"émilie", "D'ARTAGNAN-ÉLOI", "Émilie D'Artagnan-Éloi"},
		{"", "PETIT", "Petit"},
	} {
		if got := SpokenName(c[0], c[1]); got != c[2] {
			t.Errorf("SpokenName(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestRosterItems(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO territory (id, slug, name) VALUES (1, 'cpts-coteaux', 'CPTS des Coteaux');
		INSERT INTO specialty (territory_id, slug, label, menu_digit) VALUES
			(1, 'cardiologie', 'cardiologie', 1), (1, 'pediatrie', 'pédiatrie', 3), (1, 'Bad Slug', 'x', 4);
		INSERT INTO practitioner (rpps, last_name, first_name) VALUES
			('10003000014', 'DUBOIS', 'Marie'), ('10002000015', 'MARTIN', 'Claire'), ('10003000022', 'LAMBERT', 'Jean');
		INSERT INTO enrolment (territory_id, rpps, role) VALUES (1, '10003000014', 'requerant');
		INSERT INTO enrolment (territory_id, rpps, role, specialty_id)
			SELECT 1, '10002000015', 'requis', id FROM specialty WHERE slug = 'cardiologie';`)
	if err != nil {
		t.Fatal(err)
	}
	items, skipped, err := RosterItems(ctx, roster.NewStore(pool))
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{
		{Sound: "regul/territoires/cpts-coteaux", Text: "CPTS des Coteaux"},
		{Sound: "regul/specialites/cpts-coteaux/cardiologie", Text: "cardiologie"},
		{Sound: "regul/specialites/cpts-coteaux/pediatrie", Text: "pédiatrie"},
		{Sound: "regul/noms/10002000015", Text: "Claire Martin"},
		{Sound: "regul/noms/10003000014", Text: "Marie Dubois"},
	}
	if !slices.Equal(items, want) {
		t.Errorf("items =\n%+v\nwant\n%+v", items, want)
	}
	if !slices.Equal(skipped, []string{"regul/specialites/cpts-coteaux/Bad Slug"}) {
		t.Errorf("skipped = %v", skipped)
	}
}
