package console

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regul-sante/regul/accounts"
)

// newChromium starts one headless Debian Chromium for the test, with a fresh
// profile. A missing chromium fails the test: it must never skip silently.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("install chromium (apt-get install chromium): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first call starts the browser and binds its life to this context
	// (no timeout): each step then gets its own deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// browserStep runs steps with a deadline, failing the test with the step's name.
func browserStep(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// browserRead runs one action that returns a value, with a deadline.
func browserRead[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("read %s: %v", what, err)
	}
	return v
}

// TestBrowserConsole drives the console in a real browser, one browser for
// the whole story: first login with TOTP enrolment, logout, login again with
// password and code, the People page of the coordinator's own territory
// only, and unlocking a locked GP.
func TestBrowserConsole(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := newChromium(t)
	base := env.srv.URL

	login := func(step string) {
		browserStep(t, ctx, step,
			chromedp.Navigate(base+"/t/cpts-coteaux/personnes"),
			chromedp.WaitVisible(chromedp.ID("email")),
		)
		atBothWidths(t, ctx, "/connexion")
		browserStep(t, ctx, step,
			chromedp.SendKeys(chromedp.ID("email"), "coteaux@cpts.example"),
			chromedp.SendKeys(chromedp.ID("password"), testPassword),
			chromedp.Click(chromedp.ID("login")),
			chromedp.WaitVisible(chromedp.ID("code")),
		)
	}
	typeCode := func(step, secret string) {
		code, err := accounts.TOTPCode(secret, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		browserStep(t, ctx, step,
			chromedp.SendKeys(chromedp.ID("code"), code),
			chromedp.Click(chromedp.ID("verify")),
			chromedp.WaitVisible(chromedp.ID("people")),
		)
	}

	// First login: the People page sends to the login, then to enrolment.
	login("first login")
	secret := browserRead(t, ctx, "TOTP secret", chromedp.AttributeValue(chromedp.ID("totp-secret"), "data-secret"))
	if !secret.Exists || secret.Value == "" {
		t.Fatal("the enrolment page shows no secret")
	}
	qrLoaded := browserRead(t, ctx, "QR code", chromedp.Evaluate[bool](`(() => { const i = document.querySelector('.enrol img'); return i.complete && i.naturalWidth > 100 })()`))
	if !qrLoaded {
		t.Error("the QR code image did not load")
	}
	screenshot(t, ctx, "enrolment.png")
	atBothWidths(t, ctx, "/double-facteur (enrolment)")
	typeCode("enrolment", secret.Value)

	browserStep(t, ctx, "logout", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("email")))

	// Second login, half a minute later (the first code is spent).
	clock.Advance(30 * time.Second)
	login("second login")
	if title := browserRead(t, ctx, "title", chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(title, "Code de vérification") {
		t.Fatalf("second login shows %q, want the code page (no new enrolment)", title)
	}
	atBothWidths(t, ctx, "/double-facteur")
	typeCode("second factor", secret.Value)
	table := browserRead(t, ctx, "people", chromedp.Text(chromedp.ID("people")))
	if !strings.Contains(table, "DUBOIS") || !strings.Contains(table, "MARTIN") || strings.Contains(table, "FOURNIER") {
		t.Fatalf("People shows another territory's GP or misses its own:\n%s", table)
	}
	screenshot(t, ctx, "people-locked.png")

	// Unlock Marie DUBOIS.
	browserStep(t, ctx, "unlock",
		chromedp.Click(chromedp.CSS(`tr[data-rpps="10003000014"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
		chromedp.WaitNotPresent(chromedp.CSS(`tr.locked[data-rpps="10003000014"]`)),
	)
	if flash := browserRead(t, ctx, "flash", chromedp.Text(chromedp.CSS(".flash.ok"))); !strings.Contains(flash, "déverrouillé") {
		t.Fatalf("flash after unlock: %q", flash)
	}
	assertLocked(t, env, fx.dubois, false)
	screenshot(t, ctx, "people-unlocked.png")

	// Another territory's page answers 404 in the browser too.
	browserStep(t, ctx, "other territory", chromedp.Navigate(base+"/t/cpts-vallee/personnes"))
	if h1 := browserRead(t, ctx, "heading", chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Page introuvable") {
		t.Fatalf("other territory shows %q", h1)
	}
	browseCalls(t, ctx, env)
	for _, pg := range []struct{ path, name string }{
		{"/t/cpts-coteaux/", "dashboard.png"}, {"/t/cpts-coteaux/rappels", "callbacks.png"}, {"/t/cpts-coteaux/journal", "journal.png"},
	} {
		browserStep(t, ctx, pg.path, chromedp.Navigate(base+pg.path), chromedp.WaitVisible(chromedp.CSS("h1")))
		screenshot(t, ctx, pg.name)
	}

	t.Run("planning", func(t *testing.T) { browsePlanning(t, ctx, env) })
	t.Run("people", func(t *testing.T) { browsePeople(t, ctx, env) })
	t.Run("calendar", func(t *testing.T) { browseFeed(t, ctx, env) })
	t.Run("widths", func(t *testing.T) { walkWidths(t, ctx, env) })
}

// screenshot saves the page when REGUL_SCREENSHOT_DIR is set, to look at the
// layout by eye; the README's few (docs/) are cropped from these.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("REGUL_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png := browserRead(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(fmt.Errorf("write screenshot: %w", err))
	}
}
