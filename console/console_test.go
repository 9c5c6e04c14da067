package console

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/accounts/journal"
)

func TestNoSessionIsRefused(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	a := b.get("/t/cpts-coteaux/personnes")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/connexion?suite=%2Ft%2Fcpts-coteaux%2Fpersonnes" {
		t.Fatalf("HTML without session: %d %s", a.status, a.header.Get("Location"))
	}
	a = b.do(http.MethodGet, "/t/cpts-coteaux/personnes", nil, map[string]string{"Accept": "application/json"})
	if a.status != http.StatusUnauthorized {
		t.Fatalf("non-HTML without session: %d", a.status)
	}
	a = b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/deverrouiller", fx.dubois), url.Values{"csrf": {"x"}})
	if a.status != http.StatusUnauthorized {
		t.Fatalf("POST without session: %d", a.status)
	}
	// A forged cookie opens nothing.
	u, _ := url.Parse(env.srv.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "forged"}})
	if a := b.get("/t/cpts-coteaux/"); a.status != http.StatusSeeOther {
		t.Fatalf("forged cookie: %d", a.status)
	}
	assertLocked(t, env, fx.dubois, true)
}

func TestCookieAttributes(t *testing.T) {
	env, _, _ := newConsoleEnv(t, func(o *envOptions) { o.SecureCookies = true })
	b := env.browser(t)
	a := b.login("coteaux@cpts.example", testPassword)
	ck := a.header.Get("Set-Cookie")
	for _, want := range []string{sessionCookie + "=", "HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("session cookie %q lacks %s", ck, want)
		}
	}
}

func TestWrongTerritoryAnswers404(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	if a := b.get("/t/cpts-coteaux/personnes"); a.status != http.StatusOK || !strings.Contains(a.body, "DUBOIS") || strings.Contains(a.body, "FOURNIER") {
		t.Fatalf("own territory: %d, DUBOIS shown %v, FOURNIER (vallée) shown %v", a.status,
			strings.Contains(a.body, "DUBOIS"), strings.Contains(a.body, "FOURNIER"))
	}
	for _, path := range []string{"/t/cpts-vallee/", "/t/cpts-vallee/personnes", "/t/cpts-vallee/journal", "/t/cpts-vallee/appels", "/t/nowhere/personnes"} {
		if a := b.get(path); a.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, a.status)
		}
	}
	token := b.csrf("/t/cpts-coteaux/personnes")
	// The vallée GP's enrolment, through the coordinator's own territory
	// path (the id is forged) and through the other territory's path.
	for _, path := range []string{
		fmt.Sprintf("/t/cpts-coteaux/personnes/%d/deverrouiller", fx.valleeGP),
		fmt.Sprintf("/t/cpts-vallee/personnes/%d/deverrouiller", fx.valleeGP),
	} {
		if a := b.post(path, url.Values{"csrf": {token}}); a.status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, a.status)
		}
	}
	assertLocked(t, env, fx.valleeGP, true)

	// The admin sees both, with the territory switcher.
	adm := env.browser(t)
	adm.signIn("admin@regul.example")
	a := adm.get("/t/cpts-vallee/personnes")
	if a.status != http.StatusOK || !strings.Contains(a.body, "FOURNIER") || !strings.Contains(a.body, `class="switcher"`) {
		t.Fatalf("admin on vallée: %d", a.status)
	}
}

func TestCSRFIsRequired(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	path := fmt.Sprintf("/t/cpts-coteaux/personnes/%d/deverrouiller", fx.dubois)
	token := b.csrf("/t/cpts-coteaux/personnes")
	for name, tc := range map[string]struct {
		form   url.Values
		header map[string]string
	}{
		"missing":       {url.Values{}, nil},
		"wrong":         {url.Values{"csrf": {"not-the-token"}}, nil},
		"cross origin":  {url.Values{"csrf": {token}}, map[string]string{"Origin": "https://evil.example"}},
		"cross site":    {url.Values{"csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"foreign refer": {url.Values{"csrf": {token}}, map[string]string{"Referer": "https://evil.example/page"}},
	} {
		if a := b.do(http.MethodPost, path, tc.form, tc.header); a.status != http.StatusForbidden {
			t.Errorf("%s token: %d, want 403", name, a.status)
		}
	}
	assertLocked(t, env, fx.dubois, true)
	// The header form of the token works for scripts.
	if a := b.do(http.MethodPost, path, url.Values{}, map[string]string{csrfHeader: token}); a.status != http.StatusSeeOther {
		t.Fatalf("token in header: %d", a.status)
	}
	assertLocked(t, env, fx.dubois, false)
	// Logging out is a POST too.
	if a := b.post("/deconnexion", url.Values{}); a.status != http.StatusForbidden {
		t.Fatalf("logout without token: %d", a.status)
	}
	// The login form has its own token.
	fresh := env.browser(t)
	if a := fresh.post("/connexion", url.Values{"email": {"coteaux@cpts.example"}, "password": {testPassword}}); a.status != http.StatusForbidden {
		t.Fatalf("login without token: %d", a.status)
	}
}

func TestUnlockIsAudited(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := b.get("/t/cpts-coteaux/personnes")
	if !strings.Contains(page.body, "Verrouillé jusqu'à 10:20") || !strings.Contains(page.body, "06 11 00 00 14") {
		t.Fatalf("people page lacks the lock (local time) or the phone:\n%s", page.body)
	}
	a := b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/deverrouiller", fx.dubois), url.Values{"csrf": {b.csrf("/t/cpts-coteaux/personnes")}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("unlock: %d", a.status)
	}
	assertLocked(t, env, fx.dubois, false)
	var actor string
	err := env.pool.QueryRow(context.Background(), `SELECT actor FROM audit_log WHERE action = $1 AND territory_id = $2 AND detail->>'rpps' = '10003000014'`,
		journal.ActionEnrolmentUnlocked, fx.coteaux).Scan(&actor)
	if err != nil || actor != "coteaux@cpts.example" {
		t.Fatalf("audit row: %q %v", actor, err)
	}
	journal := b.get("/t/cpts-coteaux/journal")
	if !strings.Contains(journal.body, "Médecin déverrouillé") || !strings.Contains(journal.body, "02/03/2026 10:00") {
		t.Fatalf("journal lacks the unlock in local time:\n%s", journal.body)
	}
	// Filters.
	if a := b.get("/t/cpts-coteaux/personnes?role=requis&q=martin"); !strings.Contains(a.body, "MARTIN") || strings.Contains(a.body, "DUBOIS") {
		t.Fatalf("filter role=requis q=martin")
	}
}

func TestLockedAccount(t *testing.T) {
	env, clock, _ := newConsoleEnv(t)
	b := env.browser(t)
	var a answer
	for i := 0; i < accounts.DefaultPolicy().MaxFailures; i++ {
		a = b.login("coteaux@cpts.example", "mauvais mot de passe")
	}
	if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "mot de passe incorrect") {
		t.Fatalf("after repeated failures: %d\n%s", a.status, a.body)
	}
	if a = b.login("coteaux@cpts.example", testPassword); a.status != http.StatusUnauthorized {
		t.Fatalf("right password while locked: %d", a.status)
	}
	clock.Advance(accounts.DefaultPolicy().Lockout)
	if a = b.login("coteaux@cpts.example", testPassword); a.status != http.StatusSeeOther {
		t.Fatalf("after the lockout: %d", a.status)
	}
}

// TestLoginAnswersAlike: a wrong password, an unknown email and a locked
// account (right password) get the same status and the same page, so that
// nobody can list the accounts or learn which are locked.
func TestLoginAnswersAlike(t *testing.T) {
	env, clock, _ := newConsoleEnv(t)
	ctx := context.Background()
	if _, err := env.pool.Exec(ctx, `UPDATE coordinator SET locked_until = $1 WHERE email = 'vallee@cpts.example'`,
		clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	page := b.get("/connexion")
	csrf := field(t, csrfRe, page.body)
	try := func(email, password string) answer {
		return b.post("/connexion", url.Values{"csrf": {csrf}, "email": {email}, "password": {password}})
	}
	wrong := try("coteaux@cpts.example", "mauvais mot de passe")
	unknown := try("personne@cpts.example", testPassword)
	locked := try("vallee@cpts.example", testPassword)
	if wrong.status != http.StatusUnauthorized || unknown.status != wrong.status || locked.status != wrong.status {
		t.Errorf("statuses %d (wrong password), %d (unknown email), %d (locked), want 401 alike", wrong.status, unknown.status, locked.status)
	}
	if unknown.body != wrong.body || locked.body != wrong.body {
		t.Errorf("bodies differ:\nwrong password:\n%s\nunknown email:\n%s\nlocked:\n%s", wrong.body, unknown.body, locked.body)
	}
}

// TestTrustedProxyAddress: behind a trusted proxy the login limits count
// the client X-Forwarded-For names, so one attacker's failures do not lock
// everybody out; from anyone else the header is ignored, so a client cannot
// dodge the limit by making addresses up.
func TestTrustedProxyAddress(t *testing.T) {
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	env, _, _ := newConsoleEnv(t, func(o *envOptions) {
		o.TrustedProxies = []netip.Prefix{loopback}
		o.Policy = accounts.DefaultPolicy()
		o.Policy.MaxPerIP = 3
		o.Policy.MaxPerEmail = 100
		o.Policy.MaxFailures = 100
	})
	b := env.browser(t)
	page := b.get("/connexion")
	csrf := field(t, csrfRe, page.body)
	login := func(from, email, password string) answer {
		return b.do(http.MethodPost, "/connexion", url.Values{"csrf": {csrf}, "email": {email}, "password": {password}},
			map[string]string{"X-Forwarded-For": from})
	}
	for i := 0; i < 3; i++ {
		login("203.0.113.66", fmt.Sprintf("x%d@cpts.example", i), "x")
	}
	if a := login("203.0.113.66", "y@cpts.example", "x"); a.status != http.StatusTooManyRequests {
		t.Errorf("the attacker's 4th failure: %d, want 429", a.status)
	}
	// The coordinator behind the same proxy is not locked out…
	if a := login("198.51.100.7, 127.0.0.1", "coteaux@cpts.example", testPassword); a.status != http.StatusSeeOther {
		t.Errorf("another client behind the proxy: %d, want 303", a.status)
	}
	// …and the journal names the client, not the proxy.
	var ip string
	if err := env.pool.QueryRow(context.Background(), `SELECT detail->>'ip' FROM audit_log WHERE action = $1 ORDER BY id LIMIT 1`,
		journal.ActionLoginFailed).Scan(&ip); err != nil || ip != "203.0.113.66" {
		t.Errorf("journal ip %q (%v)", ip, err)
	}

	// Without trusted proxies the header means nothing.
	plain, _, _ := newConsoleEnv(t, func(o *envOptions) {
		o.Policy = accounts.DefaultPolicy()
		o.Policy.MaxPerIP = 3
		o.Policy.MaxPerEmail = 100
	})
	p := plain.browser(t)
	csrf = field(t, csrfRe, p.get("/connexion").body)
	for i := 0; i < 3; i++ {
		p.do(http.MethodPost, "/connexion", url.Values{"csrf": {csrf}, "email": {"a@b.example"}, "password": {"x"}},
			map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)})
	}
	if a := p.do(http.MethodPost, "/connexion", url.Values{"csrf": {csrf}, "email": {"a@b.example"}, "password": {"x"}},
		map[string]string{"X-Forwarded-For": "203.0.113.99"}); a.status != http.StatusTooManyRequests {
		t.Errorf("made-up X-Forwarded-For from an untrusted peer dodged the limit: %d", a.status)
	}
}

func TestWrongTOTP(t *testing.T) {
	env, clock, _ := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	b.post("/deconnexion", url.Values{"csrf": {b.csrf("/t/cpts-coteaux/")}})
	if a := b.get("/t/cpts-coteaux/"); a.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", a.status)
	}
	if a := b.login("coteaux@cpts.example", testPassword); a.status != http.StatusSeeOther {
		t.Fatalf("login: %d", a.status)
	}
	// Between the factors, the console itself is closed.
	if a := b.get("/t/cpts-coteaux/personnes"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/double-facteur" {
		t.Fatalf("pending session on a page: %d %s", a.status, a.header.Get("Location"))
	}
	good, _ := accounts.TOTPCode(b.secret, clock.Now())
	wrong := fmt.Sprintf("%06d", (atoi(good)+1)%1000000)
	if a := b.code(wrong); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "Code incorrect") {
		t.Fatalf("wrong code: %d", a.status)
	}
	// The code of the login just done, replayed: refused.
	if a := b.code(good); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "déjà servi") {
		t.Fatalf("replayed code: %d", a.status)
	}
	clock.Advance(30 * time.Second)
	next, _ := accounts.TOTPCode(b.secret, clock.Now())
	if a := b.code(next); a.status != http.StatusSeeOther {
		t.Fatalf("next code: %d", a.status)
	}
	if a := b.get("/t/cpts-coteaux/"); a.status != http.StatusOK {
		t.Fatalf("dashboard: %d", a.status)
	}
}

func TestRateLimitMessage(t *testing.T) {
	env, _, _ := newConsoleEnv(t, func(o *envOptions) {
		p := accounts.DefaultPolicy()
		p.MaxPerIP = 3
		o.Policy = p
	})
	b := env.browser(t)
	for i := 0; i < 3; i++ {
		b.login(fmt.Sprintf("inconnu%d@cpts.example", i), "x")
	}
	a := b.login("coteaux@cpts.example", testPassword)
	if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "Trop de tentatives") || !strings.Contains(a.body, "15 minutes") {
		t.Fatalf("rate limited: %d\n%s", a.status, a.body)
	}
}

func TestIdleSessionEnds(t *testing.T) {
	env, clock, _ := newConsoleEnv(t, func(o *envOptions) { o.SessionIdle = 10 * time.Minute })
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	clock.Advance(9 * time.Minute)
	if a := b.get("/t/cpts-coteaux/"); a.status != http.StatusOK {
		t.Fatalf("within idle time: %d", a.status)
	}
	clock.Advance(10 * time.Minute)
	if a := b.get("/t/cpts-coteaux/"); a.status != http.StatusSeeOther {
		t.Fatalf("idle session: %d", a.status)
	}
}

func TestPagesRender(t *testing.T) {
	env, _, _ := newConsoleEnv(t)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	for path, want := range map[string]string{
		"/":                            "",
		"/t/cpts-coteaux/":             "lundi 2 mars 2026",
		"/t/cpts-coteaux/appels":       "Aucun appel",
		"/t/cpts-coteaux/planning":     "non couvert",
		"/t/cpts-coteaux/statistiques": "taux de réponse",
		"/t/cpts-coteaux/exports":      "CSV UTF-8",
		"/static/console.css":          "--brand",
	} {
		a := b.get(path)
		if path == "/" {
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/t/cpts-coteaux/" {
				t.Errorf("/: %d %s", a.status, a.header.Get("Location"))
			}
			continue
		}
		if a.status != http.StatusOK || !strings.Contains(a.body, want) {
			t.Errorf("%s: %d, lacks %q", path, a.status, want)
		}
	}
}

func assertLocked(t *testing.T, env *consoleEnv, enrolment int64, want bool) {
	t.Helper()
	var locked bool
	if err := env.pool.QueryRow(context.Background(), `SELECT locked_until IS NOT NULL FROM enrolment WHERE id = $1`, enrolment).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	if locked != want {
		t.Fatalf("enrolment %d locked = %v, want %v", enrolment, locked, want)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
