package console

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/testclock"
)

const testPassword = "un mot de passe assez long"

// consoleEnv is a console on a fresh database, with three accounts:
// coteaux@ (cpts-coteaux), vallee@ (cpts-vallee) and admin@ (all).
type consoleEnv struct {
	srv      *httptest.Server
	clock    *testClock
	fx       fixture
	accounts *accounts.Store
	pool     *pgxpool.Pool
}

func newConsoleEnv(t *testing.T, opts ...func(*envOptions)) (*consoleEnv, *testClock, fixture) {
	t.Helper()
	pool := pgtest.New(t)
	// Monday 2 March 2026, 10:00 in Paris.
	clock := testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	fx := seed(t, pool, clock.Now().Add(20*time.Minute))
	o := envOptions{ConsoleOptions: ConsoleOptions{Logger: zap.NewNop(), Clock: clock}, Pool: pool}
	for _, f := range opts {
		f(&o)
	}
	policy := o.Policy
	if policy == (accounts.Policy{}) {
		policy = accounts.DefaultPolicy()
	}
	if o.SessionIdle > 0 {
		policy.SessionIdle = o.SessionIdle
	}
	o.Deps = realDeps(t, pool, accounts.Options{Clock: clock, Policy: policy})
	h, err := NewConsole(o.ConsoleOptions)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	store, err := accounts.NewStore(pool, accounts.Options{Clock: clock, Territories: roster.NewStore(pool), PasswordParams: accounts.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, a := range []accounts.NewAccount{
		{Email: "coteaux@cpts.example", Password: testPassword, Territories: []string{"cpts-coteaux"}},
		{Email: "vallee@cpts.example", Password: testPassword, Territories: []string{"cpts-vallee"}},
		{Email: "admin@regul.example", Password: testPassword, Admin: true},
	} {
		if _, err := store.Create(ctx, "test", a); err != nil {
			t.Fatal(err)
		}
	}
	return &consoleEnv{srv: srv, clock: clock, fx: fx, accounts: store, pool: pool}, clock, fx
}

// browser is an HTTP client with cookies that does not follow redirects,
// so tests see each answer.
type browser struct {
	t      *testing.T
	env    *consoleEnv
	client *http.Client
	secret string // TOTP secret seen at enrolment
}

func (e *consoleEnv) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, env: e, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) answer {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.env.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) get(path string) answer { return b.do(http.MethodGet, path, nil, nil) }

func (b *browser) post(path string, form url.Values) answer {
	return b.do(http.MethodPost, path, form, nil)
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	secretRe = regexp.MustCompile(`data-secret="([A-Z2-7]+)"`)
)

func field(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, body)
	}
	return html.UnescapeString(m[1])
}

// login posts the login form and returns the answer.
func (b *browser) login(email, password string) answer {
	b.t.Helper()
	page := b.get("/connexion")
	return b.post("/connexion", url.Values{"csrf": {field(b.t, csrfRe, page.body)}, "email": {email}, "password": {password}})
}

// code posts a TOTP code on the second-factor page.
func (b *browser) code(code string) answer {
	b.t.Helper()
	page := b.get("/double-facteur")
	if m := secretRe.FindStringSubmatch(page.body); m != nil {
		b.secret = m[1]
	}
	return b.post("/double-facteur", url.Values{"csrf": {field(b.t, csrfRe, page.body)}, "code": {code}})
}

// signIn goes through password and TOTP (enrolling at first login) and
// leaves the browser signed in.
func (b *browser) signIn(email string) {
	b.t.Helper()
	if a := b.login(email, testPassword); a.status != http.StatusSeeOther || a.header.Get("Location") != "/double-facteur" {
		b.t.Fatalf("login %s: %d %s", email, a.status, a.header.Get("Location"))
	}
	page := b.get("/double-facteur")
	if m := secretRe.FindStringSubmatch(page.body); m != nil {
		b.secret = m[1]
	}
	if b.secret == "" {
		b.t.Fatalf("no TOTP secret known for %s", email)
	}
	code, err := accounts.TOTPCode(b.secret, b.env.clock.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	a := b.post("/double-facteur", url.Values{"csrf": {field(b.t, csrfRe, page.body)}, "code": {code}})
	if a.status != http.StatusSeeOther {
		b.t.Fatalf("second factor of %s: %d\n%s", email, a.status, a.body)
	}
}

// csrf returns the session's CSRF token, read from a page.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	return field(b.t, csrfRe, b.get(path).body)
}
