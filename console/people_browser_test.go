package console

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browsePeople runs in the console's browser story, signed in as the
// cpts-coteaux coordinator: a GP's PIN is reset through the confirmation
// page and shown once; a person is refused with a wrong RPPS key, then
// added.
func browsePeople(t *testing.T, ctx context.Context, env *consoleEnv) {
	browserStep(t, ctx, "ask for a new PIN",
		chromedp.Navigate(env.srv.URL+"/t/cpts-coteaux/personnes"),
		chromedp.Click(chromedp.CSS(`tr[data-rpps="10003000014"] a[href$="/code-pin"]`)),
		chromedp.WaitVisible(chromedp.ID("pin-confirm")),
	)
	browserStep(t, ctx, "confirm the new PIN",
		chromedp.Click(chromedp.CSS(`#pin-confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("new-pin")),
	)
	pin := browserRead(t, ctx, "PIN", chromedp.Text(chromedp.ID("new-pin")))
	if !regexp.MustCompile(`^[0-9]{4,8}$`).MatchString(strings.TrimSpace(pin)) {
		t.Fatalf("PIN shown %q", pin)
	}
	screenshot(t, ctx, "people-pin.png")

	browserStep(t, ctx, "open the add form",
		chromedp.Navigate(env.srv.URL+"/t/cpts-coteaux/personnes"),
		chromedp.Click(chromedp.ID("add-person")),
		chromedp.WaitVisible(chromedp.ID("add-person-form")),
		chromedp.SendKeys(chromedp.CSS(`input[name=rpps]`), "10001045368"),
		chromedp.Click(chromedp.CSS(`input[name=role][value=requerant]`)),
		chromedp.Click(chromedp.CSS(`#add-person-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".field-problem")),
	)
	problem := browserRead(t, ctx, "problem", chromedp.Text(chromedp.CSS(".field-problem")))
	if !strings.Contains(problem, "10001045368") || !strings.Contains(problem, "Luhn") {
		t.Fatalf("refusal reads %q", problem)
	}
	screenshot(t, ctx, "people-add-refused.png")
	browserStep(t, ctx, "fix the RPPS and add",
		chromedp.SetValue(chromedp.CSS(`input[name=rpps]`), "10001045367"),
		chromedp.Click(chromedp.CSS(`#add-person-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-rpps="10001045367"]`)),
	)
	screenshot(t, ctx, "people-added.png")
	browserStep(t, ctx, "open the new GP",
		chromedp.Click(chromedp.CSS(`tr[data-rpps="10001045367"] td a`)),
		chromedp.WaitVisible(chromedp.ID("phones-form")),
	)
	screenshot(t, ctx, "people-person.png")
}
