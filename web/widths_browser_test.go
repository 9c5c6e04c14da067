package web

import (
	"context"
	"strings"
	"testing"

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
