package sounds

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// Querier is what RosterItems reads the roster with (a pool or a conn).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// RosterItems lists the sounds the roster needs spoken: each territory's
// name (regul/territoires/<slug>), each specialty's label
// (regul/specialites/<territory>/<specialty>) and the name of each enrolled
// practitioner (regul/noms/<rpps>, "Marie Dubois"). A row whose slug cannot
// be a sound name is left out and reported in skipped.
func RosterItems(ctx context.Context, q Querier) (items []Item, skipped []string, err error) {
	add := func(sound, text string) {
		if !soundPattern.MatchString(sound) {
			skipped = append(skipped, sound)
			return
		}
		items = append(items, Item{Sound: sound, Text: text})
	}
	read := func(what, sql string, each func(a, b, c string)) error {
		rows, err := q.Query(ctx, sql)
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, b, c string
			if err := rows.Scan(&a, &b, &c); err != nil {
				return fmt.Errorf("read %s: %w", what, err)
			}
			each(a, b, c)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		return nil
	}
	err = read("territories", `SELECT slug, name, '' FROM territory ORDER BY slug`, func(slug, name, _ string) {
		add("regul/territoires/"+slug, name)
	})
	if err == nil {
		err = read("specialties", `SELECT t.slug, s.slug, s.label FROM specialty s JOIN territory t ON t.id = s.territory_id
			ORDER BY t.slug, s.menu_digit`, func(territory, slug, label string) {
			add("regul/specialites/"+territory+"/"+slug, label)
		})
	}
	if err == nil {
		err = read("practitioners", `SELECT p.rpps, p.first_name, p.last_name FROM practitioner p
			WHERE EXISTS (SELECT 1 FROM enrolment e WHERE e.rpps = p.rpps) ORDER BY p.rpps`, func(rpps, first, last string) {
			add("regul/noms/"+rpps, SpokenName(first, last))
		})
	}
	if err != nil {
		return nil, nil, err
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
