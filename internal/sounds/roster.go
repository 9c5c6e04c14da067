package sounds

import (
	"context"
	"strings"
	"unicode"

	"github.com/regul-sante/regul/roster"
)

// Roster is the roster's owner (roster.Store) as the sounds read it.
type Roster interface {
	SpokenNames(ctx context.Context) (roster.SpokenNames, error)
}

// RosterItems lists the sounds the roster needs spoken: each territory's
// name (regul/territoires/<slug>), each specialty's label
// (regul/specialites/<territory>/<specialty>) and the name of each enrolled
// practitioner (regul/noms/<rpps>, "Marie Dubois"). A row whose slug cannot
// be a sound name is left out and reported in skipped.
func RosterItems(ctx context.Context, r Roster) (items []Item, skipped []string, err error) {
	names, err := r.SpokenNames(ctx)
	if err != nil {
		return nil, nil, err
	}
	add := func(sound, text string) {
		if !soundPattern.MatchString(sound) {
			skipped = append(skipped, sound)
			return
		}
		items = append(items, Item{Sound: sound, Text: text})
	}
	for _, t := range names.Territories {
		add("regul/territoires/"+t.Slug, t.Name)
	}
	for _, s := range names.Specialties {
		add("regul/specialites/"+s.TerritorySlug+"/"+s.Slug, s.Label)
	}
	for _, p := range names.Practitioners {
		add("regul/noms/"+p.RPPS, SpokenName(p.FirstName, p.LastName))
	}
	return items, skipped, nil
}

// SpokenName writes a directory name the way it is said: the Annuaire
// Santé spells last names in capitals, which a speech engine would spell
// out letter by letter ("DUBOIS" → "Dubois", "LE GALL-D'ARC" → "Le Gall-D'Arc").
func SpokenName(first, last string) string {
	return strings.TrimSpace(titleCase(first) + " " + titleCase(last))
}

func titleCase(s string) string {
	var b strings.Builder
	start := true
	for _, r := range strings.TrimSpace(s) {
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = r == ' ' || r == '-' || r == '\''
	}
	return b.String()
}
