package console

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browseCalls continues TestBrowserConsole's story in the same browser,
// signed in as the cpts-coteaux coordinator: the Calls page, a filter by
// result, one call's timeline, and closing its callback request.
func browseCalls(t *testing.T, ctx context.Context, env *consoleEnv) {
	t.Helper()
	c := seedCalls(t, env)
	base := env.srv.URL

	browserStep(t, ctx, "calls page",
		chromedp.Navigate(base+"/t/cpts-coteaux/appels"),
		chromedp.WaitVisible(chromedp.ID("calls")),
	)
	listed := func(step string) []string {
		return browserRead(t, ctx, step, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('#calls tbody tr')].map(r => r.dataset.call)`))
	}
	if got, want := listed("calls"), []string{c.bridged, c.pending, c.callback, c.refused}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Calls lists %v, want %v", got, want)
	}
	screenshot(t, ctx, "calls.png")

	browserStep(t, ctx, "filter by result",
		chromedp.SetValue(chromedp.ID("f-result"), "callback"),
		chromedp.Click(chromedp.ID("f-apply")),
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-call="`+c.bridged+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-call="`+c.callback+`"]`)),
	)
	if got := listed("filtered calls"); fmt.Sprint(got) != fmt.Sprint([]string{c.callback}) {
		t.Fatalf("filtered by callback: %v", got)
	}
	if sel := browserRead(t, ctx, "result filter", chromedp.Value(chromedp.ID("f-result"))); sel != "callback" {
		t.Errorf("the filter does not stay selected: %q", sel)
	}

	browserStep(t, ctx, "open the call",
		chromedp.Click(chromedp.CSS(`tr[data-call="`+c.callback+`"] a`)),
		chromedp.WaitVisible(chromedp.ID("timeline")),
	)
	timeline := browserRead(t, ctx, "timeline", chromedp.Text(chromedp.ID("timeline")))
	for _, s := range []string{"18:00:00", "Généraliste identifié", "Dr Jean LAMBERT", "Occupé", "Demande de rappel enregistrée", "Rappel demandé"} {
		if !strings.Contains(timeline, s) {
			t.Errorf("timeline lacks %q:\n%s", s, timeline)
		}
	}
	screenshot(t, ctx, "call-callback.png")

	// Closed with a note, undone, then closed again from the Rappels page
	// and undone there too.
	browserStep(t, ctx, "mark the callback done with a note",
		chromedp.SendKeys(chromedp.ID("callback-note"), "rappelé par le Dr DURAND à 18 h 30"),
		chromedp.Click(chromedp.ID("callback-done")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
		chromedp.WaitNotPresent(chromedp.ID("callback-done")),
	)
	card := browserRead(t, ctx, "callback card", chromedp.Text(chromedp.ID("call-callback")))
	if !strings.Contains(card, "coteaux@cpts.example") || !strings.Contains(card, "rappelé par le Dr DURAND à 18 h 30") {
		t.Errorf("the closed request does not say who closed it and how: %q", card)
	}
	screenshot(t, ctx, "call-callback-done.png")
	browserStep(t, ctx, "undo on the call's page",
		chromedp.Click(chromedp.ID("callback-undo")),
		chromedp.WaitVisible(chromedp.ID("callback-done")),
	)
	browserStep(t, ctx, "close from the Rappels page",
		chromedp.Navigate(base+"/t/cpts-coteaux/rappels"),
		chromedp.WaitVisible(chromedp.CSS(`#callbacks [data-ref] textarea[name=note]`)),
		chromedp.SendKeys(chromedp.CSS(`#callbacks [data-ref] textarea[name=note]`), "avis donné par téléphone"),
		chromedp.Click(chromedp.CSS(`#callbacks [data-ref] .cb-close button`)),
		chromedp.WaitVisible(chromedp.ID("undo")),
	)
	if undo := browserRead(t, ctx, "undo bar", chromedp.Text(chromedp.ID("undo"))); !strings.Contains(undo, "avis donné par téléphone") {
		t.Errorf("undo bar reads %q", undo)
	}
	screenshot(t, ctx, "callbacks-undo.png")
	browserStep(t, ctx, "undo on the Rappels page",
		chromedp.Click(chromedp.ID("callback-undo")),
		chromedp.WaitVisible(chromedp.CSS(`#callbacks [data-ref]`)),
		chromedp.WaitNotPresent(chromedp.ID("undo")),
	)
	browserStep(t, ctx, "close it for good",
		chromedp.Click(chromedp.CSS(`#callbacks [data-ref] .cb-close button`)),
		chromedp.WaitVisible(chromedp.ID("undo")),
	)

	browserStep(t, ctx, "bridged call", chromedp.Navigate(base+"/t/cpts-coteaux/appels/"+c.bridged), chromedp.WaitVisible(chromedp.ID("attempts")))
	screenshot(t, ctx, "call-bridged.png")
}
