package console

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestMedianSameOnPageAndInCSV: two calls put through after 31.6 s and
// 33.3 s; the Statistiques page and the ARS export both count whole
// seconds (32 and 33) and say the same median, 33 s (the exact median,
// 32.45 s, would round to 32 in one and not the other).
func TestMedianSameOnPageAndInCSV(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := context.Background()
	cardio := specialtyID(t, env, fx.coteaux, "cardiologie")
	start := clock.Now().Add(-48 * time.Hour)
	for i, ms := range []int{31600, 33300} {
		id := "d1000000-0000-4000-8000-00000000000" + string(rune('1'+i))
		recordEvents(t, env, id, bridgedEvents(start.Add(time.Duration(i)*time.Hour), fx.coteaux, cardio, "10003000022", true))
		if _, err := env.pool.Exec(ctx, `UPDATE call SET time_to_specialist_ms = $2 WHERE id = $1`, id, ms); err != nil {
			t.Fatal(err)
		}
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := html.UnescapeString(b.get("/t/cpts-coteaux/statistiques").body)
	if !strings.Contains(page, "<strong>33\u202fs</strong><span>délai médian") {
		t.Errorf("the Statistiques page does not say a median of 33 s")
	}
	ars := b.get("/t/cpts-coteaux/exports/ars.csv?" + url.Values{"du": {"2026-02"}, "au": {"2026-02"}}.Encode())
	var line string
	for _, l := range strings.Split(ars.body, "\r\n") {
		if strings.HasPrefix(l, "2026-02;ensemble;") {
			line = l
		}
	}
	if f := strings.Split(line, ";"); len(f) < 8 || f[6] != "33" {
		t.Errorf("ARS median: %q, want 33 as on the page", line)
	}
}

// TestAbsurdPeriodRefused: a period of centuries is refused with a plain
// message, never « 106752 jours ».
func TestAbsurdPeriodRefused(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := html.UnescapeString(b.get("/t/cpts-coteaux/statistiques?du=0001-01-01&au=2026-03-01").body)
	if strings.Contains(page, "106752") || !strings.Contains(page, "trop longue : choisissez-en une de 2 ans au plus") {
		t.Errorf("an absurd period is not refused plainly")
	}
}
