package console

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/chromedp/chromedp"

	"github.com/regul-sante/regul/roster"
)

// browseFeed runs in the console's browser story, after the sample roster
// is imported: the coordinator creates Claire MARTIN's calendar address on
// her page; Anne PETIT then takes over four hours of Claire's Monday; the
// feed, fetched as a calendar app would, parses and shows Claire's day cut
// around those hours, which are shown free and name Anne. Revoking the
// address makes it answer 404.
func browseFeed(t *testing.T, ctx context.Context, env *consoleEnv) {
	browserStep(t, ctx, "Claire MARTIN's page",
		chromedp.Navigate(env.srv.URL+"/t/cpts-coteaux/personnes?role=requis"),
		chromedp.Click(chromedp.CSS(`tr[data-rpps="10002000015"] td a`)),
		chromedp.WaitVisible(chromedp.ID("feed-box")),
	)
	browserStep(t, ctx, "create the address",
		chromedp.Click(chromedp.ID("feed-issue")),
		chromedp.WaitVisible(chromedp.ID("calendar-link")),
	)
	feedURL := browserRead(t, ctx, "feed address", chromedp.Value(chromedp.ID("feed-url")))
	webcal := browserRead(t, ctx, "webcal link", chromedp.AttributeValue(chromedp.ID("feed-webcal"), "href"))
	if !strings.HasPrefix(feedURL, env.srv.URL+"/agenda/") || !strings.HasSuffix(feedURL, ".ics") {
		t.Fatalf("feed address %q", feedURL)
	}
	if want := "webcal://" + strings.TrimPrefix(feedURL, "http://"); webcal.Value != want {
		t.Errorf("webcal link %q, want %q", webcal.Value, want)
	}
	screenshot(t, ctx, "calendar-link.png")

	store := roster.NewStore(env.pool)
	terr, err := store.TerritoryBySlug(context.Background(), "cpts-coteaux")
	if err != nil {
		t.Fatal(err)
	}
	cardio, _ := terr.SpecialtyBySlug("cardiologie")
	at := func(s string) time.Time {
		v, err := roster.ParseLocal(s, terr.Location)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if _, err := store.AddOverride(roster.WithActor(context.Background(), "test"), terr.ID, roster.NewOverride{
		SpecialtyID: cardio.ID, RPPS: "10002000031", Start: at("2026-10-19 10:00"), End: at("2026-10-19 14:00"), Reason: "échange",
	}); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(feedURL)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cal, err := ics.ParseCalendar(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, raw)
	}
	var monday []string
	for _, ev := range cal.Events() {
		start, _ := ev.GetStartAt()
		end, _ := ev.GetEndAt()
		if roster.FormatLocal(start, terr.Location)[:10] != "2026-10-19" {
			continue
		}
		line := roster.FormatLocal(start, terr.Location)[11:] + "-" + roster.FormatLocal(end, terr.Location)[11:]
		if tr := ev.GetProperty(ics.ComponentPropertyTransp); tr != nil && tr.Value == string(ics.TransparencyTransparent) {
			line += " libre " + ev.GetProperty(ics.ComponentPropertySummary).Value
		}
		if ev.GetProperty(ics.ComponentPropertySequence) == nil || ev.GetProperty(ics.ComponentPropertyLastModified) == nil {
			t.Errorf("event %s has no SEQUENCE or LAST-MODIFIED", ev.Id())
		}
		monday = append(monday, line)
	}
	got := strings.Join(monday, " | ")
	for _, want := range []string{"08:00-10:00", "10:00-14:00 libre Remplacé par Anne PETIT", "14:00-20:00"} {
		if !strings.Contains(got, want) {
			t.Errorf("Claire's Monday 19/10 in her feed: %s; want %q", got, want)
		}
	}

	browserStep(t, ctx, "revoke the address",
		chromedp.Navigate(env.srv.URL+"/t/cpts-coteaux/personnes?role=requis"),
		chromedp.Click(chromedp.CSS(`tr[data-rpps="10002000015"] td a`)),
		chromedp.WaitVisible(chromedp.ID("feed-revoke")),
		chromedp.Click(chromedp.ID("feed-revoke")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	resp, err = http.Get(feedURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the revoked feed answers %d, want 404", resp.StatusCode)
	}
}
