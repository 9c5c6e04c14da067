package console

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browsePlanning runs in the console's browser story (one Chromium per test
// binary), signed in as the cpts-coteaux coordinator: the sample week shows
// pédiatrie's Wednesday gap; following the gap's link prefills the add form,
// and the shift added there closes the gap.
func browsePlanning(t *testing.T, ctx context.Context, env *consoleEnv) {
	importSampleRoster(t, env)
	browserStep(t, ctx, "open the sample week",
		chromedp.Navigate(env.srv.URL+sampleWeek),
		chromedp.WaitVisible(chromedp.ID("week-grid")),
	)
	gap := browserRead(t, ctx, "gap", chromedp.Text(chromedp.CSS(".gaps-row .slot.gap")))
	if !strings.Contains(gap, "12:00 → 14:00") {
		t.Fatalf("the sample week shows the gap %q, want 12:00 → 14:00", gap)
	}
	tab := browserRead(t, ctx, "pédiatrie tab", chromedp.Text(chromedp.CSS(`.spec-tabs a[data-specialty="pediatrie"]`)))
	if !strings.Contains(tab, "1 créneau non couvert") {
		t.Errorf("pédiatrie tab reads %q", tab)
	}
	screenshot(t, ctx, "planning-gap.png")

	browserStep(t, ctx, "follow the gap to the form",
		chromedp.Click(chromedp.CSS(".gaps-row .slot.gap")),
		chromedp.WaitVisible(chromedp.ID("shift-rpps")),
	)
	if start := browserRead(t, ctx, "start", chromedp.Value(chromedp.ID("shift-start"))); start != "2026-11-25T12:00" {
		t.Errorf("the form starts at %q, want the gap's start", start)
	}
	browserStep(t, ctx, "add the shift",
		chromedp.SetValue(chromedp.ID("shift-rpps"), "10002000064"),
		chromedp.Click(chromedp.ID("shift-add")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
		chromedp.WaitVisible(chromedp.ID("week-grid")),
	)
	browserStep(t, ctx, "the gap is closed", chromedp.WaitNotPresent(chromedp.CSS(".gaps-row .slot.gap")))
	tab = browserRead(t, ctx, "pédiatrie tab", chromedp.Text(chromedp.CSS(`.spec-tabs a[data-specialty="pediatrie"]`)))
	if !strings.Contains(tab, "couvert") {
		t.Errorf("pédiatrie tab after the shift reads %q", tab)
	}
	grid := browserRead(t, ctx, "grid", chromedp.Text(chromedp.ID("week-grid")))
	if !strings.Contains(grid, "12:00 → 14:00") || !strings.Contains(grid, "Paul MOREAU") {
		t.Errorf("the new shift is not in the grid:\n%s", grid)
	}
	screenshot(t, ctx, "planning-covered.png")

	// The shift opens for editing.
	browserStep(t, ctx, "open the new shift",
		chromedp.Click(chromedp.CSS(`a.slot.shift[title^="Garde · mer. 25/11 12:00"]`)),
		chromedp.WaitVisible(chromedp.ID("edit-shift")),
	)
	screenshot(t, ctx, "planning-edit.png")
}
