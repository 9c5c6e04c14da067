package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// consoleWidths are the widths every page must fit without a horizontal
// scroll: a coordinator's phone and a laptop.
var consoleWidths = []struct {
	name          string
	width, height int64
}{
	{"phone", 390, 844},
	{"desktop", 1366, 860},
}

// walkWidths opens every page of the console at a phone's and a desktop's
// width and fails for each page the document is wider than the window
// (document.documentElement.scrollWidth > clientWidth). The pages whose
// address holds an id are found by following the first link of a list.
func walkWidths(t *testing.T, ctx context.Context, env *consoleEnv) {
	t.Helper()
	base := env.srv.URL + "/t/cpts-coteaux/"
	normalWeek(t, env)
	firstLink := func(listPage, selector string) string {
		browserStep(t, ctx, "open "+listPage, chromedp.Navigate(base+listPage), chromedp.WaitVisible(chromedp.CSS("h1")))
		href := browserRead(t, ctx, "link on "+listPage, chromedp.Evaluate[string](
			`(() => { const a = document.querySelector(`+jsString(selector)+`); return a ? a.getAttribute('href') : '' })()`))
		if href == "" {
			t.Fatalf("%s has no link %s", listPage, selector)
		}
		return strings.TrimPrefix(href, "/t/cpts-coteaux/")
	}
	call := firstLink("appels", "#calls tbody tr a")
	person := firstLink("personnes?role=requis", "#people tbody tr td a")
	shift := firstLink("planning?"+strings.SplitN(sampleWeek, "?", 2)[1], "a.slot.shift")
	pages := []string{
		"", "appels", call, "rappels", "planning?" + strings.SplitN(sampleWeek, "?", 2)[1], shift,
		"personnes", "personnes/ajouter", person, person + "/code-pin", person + "/retirer",
		"statistiques", "exports", "journal",
	}
	defer func() {
		browserStep(t, ctx, "desktop again", chromedp.EmulateViewport(1280, 860))
	}()
	for _, w := range consoleWidths {
		browserStep(t, ctx, "viewport "+w.name, chromedp.EmulateViewport(w.width, w.height))
		for _, p := range pages {
			browserStep(t, ctx, w.name+" "+p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("h1")))
			if w.name == "phone" {
				screenshot(t, ctx, "phone-"+shotName(p)+".png")
			}
			assertFits(t, ctx, p, w.width)
		}
	}
}

// assertFits fails when the page open is wider than the window.
func assertFits(t *testing.T, ctx context.Context, page string, width int64) {
	t.Helper()
	sizes := browserRead(t, ctx, "widths of "+page, chromedp.Evaluate[[]int](
		`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if sizes[0] > sizes[1] {
		wide := browserRead(t, ctx, "wide elements of "+page, chromedp.Evaluate[[]string](widestElements))
		t.Errorf("%s at %d px: the page is %d px wide, the window %d px; widest: %s",
			page, width, sizes[0], sizes[1], strings.Join(wide, ", "))
	}
}

// atBothWidths checks the page open fits a phone and a desktop, and
// leaves the browser at its usual desktop size.
func atBothWidths(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, w := range consoleWidths {
		browserStep(t, ctx, "viewport "+w.name, chromedp.EmulateViewport(w.width, w.height))
		assertFits(t, ctx, page, w.width)
	}
	browserStep(t, ctx, "desktop again", chromedp.EmulateViewport(1280, 860))
}

// widestElements names the elements that stick out of the window, for the
// failure message.
const widestElements = `(() => {
  const cw = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > cw + 1 && out.length < 6) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(r.right));
    }
  }
  return out;
})()`

func jsString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
}

// shotName turns a page's address into a file name.
func shotName(p string) string {
	if p == "" {
		return "accueil"
	}
	p, _, _ = strings.Cut(p, "?")
	return strings.NewReplacer("/", "-").Replace(p)
}

// normalWeek covers the test's week (from Monday 2 March 2026, 08:00) at
// rank 1 in every specialty, with a rank 2 and a handover at 14:00 in
// cardiology, so that the home page shows a normal day.
func normalWeek(t *testing.T, env *consoleEnv) {
	t.Helper()
	paris, _ := time.LoadLocation("Europe/Paris")
	day := func(d, h int) time.Time { return time.Date(2026, 3, 2+d, h, 0, 0, 0, paris) }
	add := func(slug, rpps string, rank int, from, to time.Time) {
		t.Helper()
		if _, err := env.pool.Exec(context.Background(), `INSERT INTO shift (territory_id, specialty_id, rpps, during, rank)
			VALUES ($1, $2, $3, tstzrange($4, $5), $6)`, env.fx.coteaux, specialtyID(t, env, env.fx.coteaux, slug), rpps, from, to, rank); err != nil {
			t.Fatal(err)
		}
	}
	for d := 0; d < 8; d++ {
		add("cardiologie", "10002000015", 1, day(d, 8), day(d, 14))
		add("cardiologie", "10002000023", 1, day(d, 14), day(d, 20))
		add("cardiologie", "10002000031", 2, day(d, 8), day(d, 20))
		add("dermatologie", "10002000049", 1, day(d, 8), day(d, 20))
		add("pediatrie", "10002000064", 1, day(d, 8), day(d, 20))
	}
}
