package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestPlanningAccessRules: no session, another territory's shift, a
// missing CSRF token: all refused, nothing changed.
func TestPlanningAccessRules(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	importSampleRoster(t, env)
	ctx := context.Background()
	var coteauxShift, valleeShift, valleeCardio int64
	if err := env.pool.QueryRow(ctx, `SELECT min(id) FROM shift WHERE territory_id = $1`, fx.coteaux).Scan(&coteauxShift); err != nil {
		t.Fatal(err)
	}
	if err := env.pool.QueryRow(ctx, `SELECT id FROM specialty WHERE territory_id = $1`, fx.vallee).Scan(&valleeCardio); err != nil {
		t.Fatal(err)
	}
	if err := env.pool.QueryRow(ctx, `INSERT INTO shift (territory_id, specialty_id, rpps, during, rank)
		VALUES ($1, $2, '10002000015', tstzrange('2026-11-23 08:00+01', '2026-11-23 20:00+01'), 1) RETURNING id`,
		fx.vallee, valleeCardio).Scan(&valleeShift); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := env.pool.QueryRow(ctx, `SELECT count(*) FROM shift`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	shiftPath := func(territory string, id int64) string {
		return "/t/" + territory + "/planning/gardes/" + strconv.FormatInt(id, 10)
	}
	addForm := url.Values{"semaine": {"2026-W48"}, "specialite": {"pediatrie"}, "rpps": {"10002000064"},
		"debut": {"2026-11-25T12:00"}, "fin": {"2026-11-25T14:00"}, "rang": {"1"}}

	anon := env.browser(t)
	if a := anon.get(sampleWeek); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/connexion") {
		t.Errorf("no session, GET: %d %s", a.status, a.header.Get("Location"))
	}
	if a := anon.post("/t/cpts-coteaux/planning/gardes", addForm); a.status != http.StatusUnauthorized {
		t.Errorf("no session, POST: %d", a.status)
	}

	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	csrf := b.csrf(sampleWeek)
	if a := b.post("/t/cpts-coteaux/planning/gardes", addForm); a.status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", a.status)
	}
	if a := b.post(shiftPath("cpts-coteaux", coteauxShift)+"/supprimer", url.Values{"csrf": {"forged"}}); a.status != http.StatusForbidden {
		t.Errorf("wrong CSRF token: %d", a.status)
	}
	if a := b.upload("/t/cpts-coteaux/planning/import", url.Values{}, "roster.csv", "rpps,specialty,start,end,rank\n"); a.status != http.StatusForbidden {
		t.Errorf("import without CSRF token: %d", a.status)
	}
	// Another territory's shift, through this territory's path or the other's.
	for _, path := range []string{shiftPath("cpts-coteaux", valleeShift), shiftPath("cpts-vallee", valleeShift), shiftPath("cpts-vallee", coteauxShift)} {
		if a := b.get(path); a.status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, a.status)
		}
		if a := b.post(path+"/supprimer", url.Values{"csrf": {csrf}}); a.status != http.StatusNotFound {
			t.Errorf("delete %s: %d", path, a.status)
		}
		edit := url.Values{"csrf": {csrf}, "specialite": {"cardiologie"}, "rpps": {"10002000015"},
			"debut": {"2026-12-23T08:00"}, "fin": {"2026-12-23T20:00"}, "rang": {"1"}}
		if a := b.post(path, edit); a.status != http.StatusNotFound {
			t.Errorf("update %s: %d", path, a.status)
		}
	}
	if a := b.get("/t/cpts-vallee/planning"); a.status != http.StatusNotFound {
		t.Errorf("another territory's planning: %d", a.status)
	}
	if a := b.post("/t/cpts-vallee/planning/gardes", withCSRF(addForm, csrf)); a.status != http.StatusNotFound {
		t.Errorf("add to another territory: %d", a.status)
	}
	other := env.browser(t)
	other.signIn("vallee@cpts.example")
	if a := other.get(shiftPath("cpts-vallee", valleeShift)); a.status != http.StatusOK {
		t.Errorf("vallée's own shift: %d", a.status)
	}
	if a := other.get(shiftPath("cpts-vallee", coteauxShift)); a.status != http.StatusNotFound {
		t.Errorf("vallée opens a coteaux shift: %d", a.status)
	}
	if n := count(); n != before {
		t.Errorf("refused requests changed the shifts: %d → %d", before, n)
	}
}

func withCSRF(v url.Values, csrf string) url.Values {
	out := url.Values{"csrf": {csrf}}
	for k, vs := range v {
		out[k] = vs
	}
	return out
}
