package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// pendingCall records, through the SMS outbox's hook as the spool applier
// does, a call from Marie DUBOIS in cardiology whose specialist (Claire
// MARTIN) left before keying the outcome, and returns the link's path as
// the SMS gives it.
func pendingCall(t *testing.T, env *consoleEnv, callID string) string {
	t.Helper()
	ctx := context.Background()
	var cardio int64
	if err := env.pool.QueryRow(ctx, `SELECT id FROM specialty WHERE territory_id = $1 AND slug = 'cardiologie'`, env.fx.coteaux).Scan(&cardio); err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.NewOutbox(notify.OutboxOptions{Log: zap.NewNop(), Clock: env.clock, PublicURL: "https://regul.example",
		Owners: notify.Owners{Calls: calllog.NewStore(env.pool), Roster: roster.NewStore(env.pool)}})
	if err != nil {
		t.Fatal(err)
	}
	at := env.clock.Now().Add(-10 * time.Minute)
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, DID: "+33179000001", Caller: "+33611000014"},
		{Kind: callevent.TerritoryResolved, TerritoryID: env.fx.coteaux},
		{Kind: callevent.Identified, RPPS: "10003000014"},
		{Kind: callevent.SpecialtyChosen, SpecialtyID: cardio},
		{Kind: callevent.AttemptStarted, Attempt: 1, Rank: 1, RPPS: "10002000015", Phone: "+33612000015"},
		{Kind: callevent.Bridged, Attempt: 1, RPPS: "10002000015"},
		{Kind: callevent.OutcomePending, Attempt: 1, RPPS: "10002000015"},
	}
	for i := range evs {
		evs[i].CallID, evs[i].Seq, evs[i].At = callID, i+1, at
	}
	if _, err := calllog.NewStore(env.pool).ApplyEventsWith(ctx, evs, outbox.Hook); err != nil {
		t.Fatal(err)
	}
	var body string
	if err := env.pool.QueryRow(ctx, `SELECT body FROM sms_outbox WHERE call_id = $1 AND kind = 'outcome_link'`, callID).Scan(&body); err != nil {
		t.Fatalf("no link SMS: %v", err)
	}
	i := strings.Index(body, "https://regul.example/suite/")
	if i < 0 {
		t.Fatalf("no link in %q", body)
	}
	return strings.TrimPrefix(body[i:], "https://regul.example")
}

func withLinks(o *envOptions) {
	o.Links = notify.NewLinks(o.Pool, notify.Owners{Calls: calllog.NewStore(o.Pool), Roster: roster.NewStore(o.Pool)})
}

func outcomeOf(t *testing.T, env *consoleEnv, callID string) *calllog.OutcomeRecord {
	t.Helper()
	rec, err := calllog.NewStore(env.pool).Call(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Outcome
}

const linkCall = "5a1e0c00-0000-4000-8000-000000000001"

// TestOutcomeLinkHTTP: the page shows only the call's time, the GP and the
// specialty; it refuses a post without the link's form key, asks for the
// delay of a téléexpertise, keys the outcome once, then refuses the reused
// link; another link refuses once expired.
func TestOutcomeLinkHTTP(t *testing.T) {
	env, clock, _ := newConsoleEnv(t, withLinks)
	path := pendingCall(t, env, linkCall)
	b := env.browser(t)

	page := b.get(path)
	if page.status != http.StatusOK {
		t.Fatalf("GET link: %d\n%s", page.status, page.body)
	}
	for _, want := range []string{"lundi 2 mars 2026 à 09:50", "Dr Marie DUBOIS", "cardiologie", `value="teleexpertise"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, never := range []string{"MARTIN", "06 11", "+336", "0611"} {
		if strings.Contains(page.body, never) {
			t.Errorf("page reveals %q", never)
		}
	}
	key := field(t, csrfRe, page.body)

	if a := b.post(path, url.Values{"issue": {"avis_seul"}}); a.status != http.StatusForbidden {
		t.Errorf("post without form key: %d", a.status)
	}
	if a := b.post(path, url.Values{"csrf": {key}, "issue": {"teleexpertise"}}); a.status != http.StatusUnprocessableEntity ||
		!strings.Contains(a.body, "délai promis") {
		t.Errorf("téléexpertise without delay: %d", a.status)
	}
	if a := b.post(path, url.Values{"csrf": {key}, "issue": {"teleexpertise"}, "delai": {"48"}}); a.status != http.StatusOK ||
		!strings.Contains(a.body, "Issue enregistrée") {
		t.Fatalf("keying: %d\n%s", a.status, a.body)
	}
	if o := outcomeOf(t, env, linkCall); o == nil || o.Status != "keyed" || o.Outcome != callevent.OutcomeTeleexpertise ||
		o.DelayHours != 48 || o.KeyedVia != calllog.ViaLink {
		t.Fatalf("outcome %+v", o)
	}
	for _, a := range []answer{b.get(path), b.post(path, url.Values{"csrf": {key}, "issue": {"avis_seul"}})} {
		if a.status != http.StatusGone || !strings.Contains(a.body, "Lien déjà utilisé") {
			t.Errorf("reused link: %d", a.status)
		}
	}
	if a := b.get("/suite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); a.status != http.StatusNotFound {
		t.Errorf("unknown link: %d", a.status)
	}

	other := pendingCall(t, env, "5a1e0c00-0000-4000-8000-000000000002")
	clock.Advance(72 * time.Hour)
	if a := b.get(other); a.status != http.StatusGone || !strings.Contains(a.body, "Lien expiré") {
		t.Errorf("expired link: %d", a.status)
	}
}

// TestBrowserOutcomeLink: on a phone-sized headless Chromium, a valid link
// keys the outcome with two taps and the button; the same link then shows
// it was used; an expired one says so.
func TestBrowserOutcomeLink(t *testing.T) {
	env, clock, _ := newConsoleEnv(t, withLinks)
	path := pendingCall(t, env, linkCall)
	expired := pendingCall(t, env, "5a1e0c00-0000-4000-8000-000000000002")
	ctx := newChromium(t)
	base := env.srv.URL
	browserStep(t, ctx, "phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))

	browserStep(t, ctx, "open link", chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.ID("submit")))
	call := browserRead(t, ctx, "call", chromedp.Text(chromedp.ID("call")))
	if !strings.Contains(call, "Dr Marie DUBOIS") || !strings.Contains(call, "cardiologie") || !strings.Contains(call, "09:50") {
		t.Fatalf("call shown as %q", call)
	}
	fits := browserRead(t, ctx, "width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if !fits {
		t.Error("the page scrolls sideways on a phone")
	}
	screenshot(t, ctx, "outcome-link.png")
	browserStep(t, ctx, "key outcome",
		chromedp.Click(chromedp.CSS(`input[value="consultation_presentiel"]`)),
		chromedp.Click(chromedp.CSS(`input[name="delai"][value="24"]`)),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("message")),
	)
	if title := browserRead(t, ctx, "title", chromedp.Text(chromedp.ID("title"))); title != "Issue enregistrée" {
		t.Fatalf("after submit: %q", title)
	}
	if o := outcomeOf(t, env, linkCall); o == nil || o.Outcome != callevent.OutcomeVisit || o.DelayHours != 24 || o.KeyedVia != calllog.ViaLink {
		t.Fatalf("outcome %+v", o)
	}

	browserStep(t, ctx, "reuse link", chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.ID("message")))
	if title := browserRead(t, ctx, "title", chromedp.Text(chromedp.ID("title"))); title != "Lien déjà utilisé" {
		t.Fatalf("reused link shows %q", title)
	}

	clock.Advance(73 * time.Hour)
	browserStep(t, ctx, "expired link", chromedp.Navigate(base+expired), chromedp.WaitVisible(chromedp.ID("message")))
	if title := browserRead(t, ctx, "title", chromedp.Text(chromedp.ID("title"))); title != "Lien expiré" {
		t.Fatalf("expired link shows %q", title)
	}
}
