package console

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// statePaths are the console's state-changing routes, one line each; the
// test below checks the list against the source, so a new route cannot
// miss these checks.
var statePaths = []string{
	"/t/{territory}/appels/{call}/rappel-fait",
	"/t/{territory}/rappels/{callback}/fait",
	"/t/{territory}/rappels/{callback}/rouvrir",
	"/t/{territory}/agendas/nouveau",
	"/t/{territory}/agendas/revoquer",
	"/t/{territory}/rappels/sms/{sms}/traite",
	"/t/{territory}/exports/tarifs",
	"/t/{territory}/personnes/ajouter",
	"/t/{territory}/personnes/{enrolment}/telephones",
	"/t/{territory}/personnes/{enrolment}/deverrouiller",
	"/t/{territory}/personnes/{enrolment}/code-pin",
	"/t/{territory}/personnes/{enrolment}/retirer",
	"/t/{territory}/planning/gardes",
	"/t/{territory}/planning/gardes/{shift}",
	"/t/{territory}/planning/gardes/{shift}/supprimer",
	"/t/{territory}/planning/remplacements",
	"/t/{territory}/planning/remplacements/{override}/supprimer",
	"/t/{territory}/planning/import",
	"/t/{territory}/planning/import/confirmer",
}

// TestEveryStateChangeIsGuarded: every POST of a territory is refused
// without a session, without the CSRF token, and from a coordinator of
// another territory (404, as if it did not exist) — whatever it does.
func TestEveryStateChangeIsGuarded(t *testing.T) {
	registered := registeredRoutes(t, "POST")
	slices.Sort(registered)
	listed := slices.Clone(statePaths)
	slices.Sort(listed)
	if !slices.Equal(registered, listed) {
		t.Fatalf("the console registers these POST routes:\n%s\nthe test lists:\n%s\n(add the new route to statePaths)",
			strings.Join(registered, "\n"), strings.Join(listed, "\n"))
	}

	env, _, _ := newConsoleEnv(t)
	anonymous := env.browser(t)
	coteaux := env.browser(t)
	coteaux.signIn("coteaux@cpts.example")
	vallee := env.browser(t)
	vallee.signIn("vallee@cpts.example")
	valleeToken := vallee.csrf("/t/cpts-vallee/personnes")
	ids := regexp.MustCompile(`\{(call|callback|sms|enrolment|shift|override)\}`)

	var journalBefore int
	if err := env.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log`).Scan(&journalBefore); err != nil {
		t.Fatal(err)
	}
	for _, pattern := range statePaths {
		path := ids.ReplaceAllString(strings.ReplaceAll(pattern, "{territory}", "cpts-coteaux"), "1")
		form := url.Values{"rpps": {"10002000015"}, "telephones": {"0612345678"}, "montant": {"25"}}
		if a := anonymous.post(path, form); a.status != http.StatusUnauthorized {
			t.Errorf("%s without a session: %d, want 401", path, a.status)
		}
		if a := coteaux.post(path, form); a.status != http.StatusForbidden {
			t.Errorf("%s without the CSRF token: %d, want 403", path, a.status)
		}
		withToken := url.Values{"csrf": {valleeToken}}
		for k, v := range form {
			withToken[k] = v
		}
		if a := vallee.post(path, withToken); a.status != http.StatusNotFound {
			t.Errorf("%s from the vallée's coordinator: %d, want 404", path, a.status)
		}
	}
	var journalAfter int
	if err := env.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log`).Scan(&journalAfter); err != nil {
		t.Fatal(err)
	}
	if journalAfter != journalBefore {
		t.Errorf("refused requests wrote %d journal rows", journalAfter-journalBefore)
	}
}

// TestEveryPageIsScoped: every page of a territory sends to the login
// without a session and answers 404 to a coordinator of another territory,
// exports included.
func TestEveryPageIsScoped(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	anonymous := env.browser(t)
	vallee := env.browser(t)
	vallee.signIn("vallee@cpts.example")
	ids := regexp.MustCompile(`\{(call|callback|sms|enrolment|shift|override)\}`)
	pages := registeredRoutes(t, "GET")
	if len(pages) < 10 {
		t.Fatalf("only %d pages found in the source: %v", len(pages), pages)
	}
	for _, pattern := range pages {
		path := ids.ReplaceAllString(strings.ReplaceAll(strings.TrimSuffix(pattern, "{$}"), "{territory}", "cpts-coteaux"), "1")
		if a := anonymous.get(path); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/connexion") {
			t.Errorf("%s without a session: %d %s, want a redirect to the login", path, a.status, a.header.Get("Location"))
		}
		if a := vallee.get(path); a.status != http.StatusNotFound {
			t.Errorf("%s from the vallée's coordinator: %d, want 404", path, a.status)
		}
	}
}

// registeredRoutes reads the patterns of a territory registered for the
// method in the package's source.
func registeredRoutes(t *testing.T, method string) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"` + method + ` (/t/[^"]+)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			out = append(out, m[1])
		}
	}
	return out
}
