package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/regul-sante/regul/accounts"
)

// TestBrowserExportsAndStats: in a real browser, a coordinator signs in,
// opens Exports on last month, downloads the billing statement through
// its link and finds the month's acts in the file; the Statistiques page
// draws its charts.
func TestBrowserExportsAndStats(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	februaryCalls(t, env, fx)
	ctx := newChromium(t)
	base := env.srv.URL

	browserStep(t, ctx, "login",
		chromedp.Navigate(base+"/t/cpts-coteaux/exports"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "coteaux@cpts.example"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("code")),
	)
	secret := browserRead(t, ctx, "TOTP secret", chromedp.AttributeValue(chromedp.ID("totp-secret"), "data-secret"))
	code, err := accounts.TOTPCode(secret.Value, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	browserStep(t, ctx, "second factor",
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.ID("billing-preview")),
	)
	preview := browserRead(t, ctx, "statement preview", chromedp.Text(chromedp.ID("billing-preview")))
	if !strings.Contains(preview, "MARTIN") || !strings.Contains(preview, "108,00 €") || strings.Contains(preview, "PETIT") {
		t.Fatalf("statement preview:\n%s", preview)
	}
	screenshot(t, ctx, "exports.png")

	dir := t.TempDir()
	allow := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: &allow,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	dlCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(dlCtx, cdpbrowser.DownloadProgress)
	browserStep(t, ctx, "download", chromedp.Click(chromedp.ID("billing-csv")))
	done := false
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			done = true
			break
		}
	}
	if !done {
		t.Fatal("the download never completed")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "regul-facturation-cpts-coteaux-2026-02.csv"))
	if err != nil {
		t.Fatalf("downloaded file: %v", err)
	}
	rows := strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n")
	if len(rows) != 5 || !strings.HasPrefix(rows[0], "\ufeffrpps;nom;") {
		t.Fatalf("downloaded statement:\n%s", raw)
	}
	for i, want := range []string{"BERNARD;Hugo;requis;APC;", "BERNARD;Hugo;requis;SNP;", "DUBOIS;Marie;requérant;RQD;", "MARTIN;Claire;requis;TE2;"} {
		if !strings.Contains(rows[i+1], want) {
			t.Errorf("row %d = %q, want %q", i+1, rows[i+1], want)
		}
	}

	browserStep(t, ctx, "statistics",
		chromedp.Navigate(base+"/t/cpts-coteaux/statistiques?du=2026-02-01&au=2026-02-28"),
		chromedp.WaitVisible(chromedp.ID("chart-calls")),
		chromedp.WaitVisible(chromedp.ID("chart-hours")),
	)
	bars := browserRead(t, ctx, "bars", chromedp.Evaluate[int](`document.querySelectorAll('#chart-calls rect').length`))
	if bars < 3 {
		t.Errorf("the calls chart draws %d bars", bars)
	}
	screenshot(t, ctx, "stats.png")
}
