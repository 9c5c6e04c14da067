package accounts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/testclock"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// cheap argon2 parameters: the tests check the rules, not the cost.
var testParams = PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}

func newTestStore(t *testing.T) (*Store, *testclock.Clock, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	ctx := context.Background()
	for _, slug := range []string{"cpts-coteaux", "cpts-vallee"} {
		if _, err := pool.Exec(ctx, `INSERT INTO territory (slug, name) VALUES ($1, $2)`, slug, "CPTS "+slug); err != nil {
			t.Fatal(err)
		}
	}
	clock := testclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	key := make([]byte, 32)
	s, err := NewStore(pool, Options{Clock: clock, TOTPKey: key, PasswordParams: testParams, Territories: roster.NewStore(pool)})
	if err != nil {
		t.Fatal(err)
	}
	return s, clock, pool
}

const pw = "un mot de passe long"

func mustCreate(t *testing.T, s *Store, email string, territories ...string) Account {
	t.Helper()
	a, err := s.Create(context.Background(), "cli", NewAccount{Email: email, Password: pw, Territories: territories})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signIn does password then code and returns the full session's token.
func signIn(t *testing.T, s *Store, clock *testclock.Clock, email string) string {
	t.Helper()
	ctx := context.Background()
	c := ClientInfo{RemoteIP: "192.0.2.1"}
	pending, err := s.Login(ctx, email, pw, c)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	sess, err := s.Session(ctx, pending)
	if err != nil || sess.MFADone {
		t.Fatalf("pending session: %+v %v", sess, err)
	}
	var secret string
	if sess.Account.TOTPEnrolled {
		var stored string
		if err := s.pool.QueryRow(ctx, `SELECT totp_secret FROM coordinator WHERE id = $1`, sess.Account.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		secret, err = s.seal.openFor(sess.Account.ID, stored)
	} else {
		secret, err = s.EnrolmentSecret(ctx, sess)
	}
	if err != nil {
		t.Fatal(err)
	}
	code, _ := TOTPCode(secret, clock.Now())
	token, err := s.CompleteLogin(ctx, sess, code, c)
	if err != nil {
		t.Fatalf("complete login: %v", err)
	}
	return token
}

func TestCreateAndList(t *testing.T) {
	s, _, pool := newTestStore(t)
	ctx := context.Background()
	a := mustCreate(t, s, " Coordination@CPTS-Coteaux.example ", "cpts-coteaux")
	if a.Email != "coordination@cpts-coteaux.example" || len(a.Territories) != 1 || a.Territories[0] != "cpts-coteaux" {
		t.Fatalf("account %+v", a)
	}
	if _, err := s.Create(ctx, "cli", NewAccount{Email: "coordination@cpts-coteaux.example", Password: pw, Territories: []string{"cpts-coteaux"}}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	var ut *UnknownTerritoryError
	if _, err := s.Create(ctx, "cli", NewAccount{Email: "x@y.example", Password: pw, Territories: []string{"nope"}}); !errors.As(err, &ut) {
		t.Fatalf("unknown territory: %v", err)
	}
	if _, err := s.Create(ctx, "cli", NewAccount{Email: "x@y.example", Password: "court"}); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := s.Create(ctx, "cli", NewAccount{Email: "x@y.example", Password: pw}); err == nil {
		t.Fatal("no territory and not admin accepted")
	}
	if _, err := s.Create(ctx, "cli", NewAccount{Email: "admin@regul.example", Password: pw, Admin: true}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list %v %v", list, err)
	}
	// Nothing half-written by the refused creations.
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM coordinator`).Scan(&n)
	if n != 2 {
		t.Fatalf("%d coordinators, want 2", n)
	}
	adm, _ := s.ByEmail(ctx, "admin@regul.example")
	ts, _ := s.Territories(ctx, adm)
	if len(ts) != 2 {
		t.Fatalf("admin sees %d territories", len(ts))
	}
	ts, _ = s.Territories(ctx, a)
	if len(ts) != 1 || ts[0].Slug != "cpts-coteaux" || ts[0].Location.String() != "Europe/Paris" {
		t.Fatalf("coordinator sees %+v", ts)
	}
	var audits int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1`, journal.ActionCoordAdded).Scan(&audits)
	if audits != 2 {
		t.Fatalf("%d audit rows for additions", audits)
	}
}

func TestLoginWithTOTP(t *testing.T) {
	s, clock, pool := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, s, "c@cpts.example", "cpts-coteaux")
	c := ClientInfo{RemoteIP: "192.0.2.1"}

	token := signIn(t, s, clock, "c@cpts.example")
	sess, err := s.Session(ctx, token)
	if err != nil || !sess.MFADone || sess.CSRFToken == "" || !sess.Account.TOTPEnrolled {
		t.Fatalf("session %+v %v", sess, err)
	}
	// The secret is sealed at rest.
	var stored string
	_ = pool.QueryRow(ctx, `SELECT totp_secret FROM coordinator`).Scan(&stored)
	if stored[:3] != "v1:" {
		t.Fatalf("secret stored as %q", stored[:6])
	}
	// Once enrolled, the secret is never shown again.
	if _, err := s.EnrolmentSecret(ctx, sess); err == nil {
		t.Fatal("secret shown after enrolment")
	}
	secret, _ := s.seal.openFor(sess.Account.ID, stored)

	// Same code again in the same step: refused (replay).
	pending, err := s.Login(ctx, "c@cpts.example", pw, c)
	if err != nil {
		t.Fatal(err)
	}
	psess, _ := s.Session(ctx, pending)
	code, _ := TOTPCode(secret, clock.Now())
	if _, err := s.CompleteLogin(ctx, psess, code, c); !errors.Is(err, ErrCodeReused) {
		t.Fatalf("replayed code: %v", err)
	}
	if _, err := s.CompleteLogin(ctx, psess, "000000", c); !errors.Is(err, ErrWrongCode) && code != "000000" {
		t.Fatalf("wrong code: %v", err)
	}
	clock.Advance(30 * time.Second)
	code, _ = TOTPCode(secret, clock.Now())
	full, err := s.CompleteLogin(ctx, psess, code, c)
	if err != nil {
		t.Fatalf("next step's code: %v", err)
	}
	// The pending token no longer opens anything.
	if _, err := s.Session(ctx, pending); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("pending token after completion: %v", err)
	}
	fs, err := s.Session(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(ctx, fs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, full); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("after logout: %v", err)
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('login', 'logout', 'totp.enrolled', 'login.failed')`).Scan(&n)
	if n < 5 {
		t.Fatalf("%d audit rows for logins", n)
	}
}

func TestLockoutAfterFailures(t *testing.T) {
	s, clock, _ := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, s, "c@cpts.example", "cpts-coteaux")
	c := ClientInfo{RemoteIP: "192.0.2.9"}
	max := s.Policy().MaxFailures
	for i := 1; i < max; i++ {
		if _, err := s.Login(ctx, "c@cpts.example", "mauvais mot de passe", c); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// The failure that locks the account answers as any other…
	if _, err := s.Login(ctx, "c@cpts.example", "mauvais mot de passe", c); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("failure %d: %v", max, err)
	}
	var until *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT locked_until FROM coordinator WHERE email = 'c@cpts.example'`).Scan(&until); err != nil ||
		until == nil || !until.After(clock.Now()) {
		t.Fatalf("failure %d did not lock the account: %v %v", max, until, err)
	}
	// …and even the right password is refused while locked, alike.
	if _, err := s.Login(ctx, "c@cpts.example", pw, c); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("right password while locked: %v", err)
	}
	clock.Advance(s.Policy().Lockout + time.Second)
	if _, err := s.Login(ctx, "c@cpts.example", pw, c); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

// TestLoginRefusalsAlike: a wrong password, an unknown email and a locked
// account (with the right password) get the same error after the same
// work — one password hash checked, one failed attempt counted — and only
// the journal tells them apart.
func TestLoginRefusalsAlike(t *testing.T) {
	s, clock, _ := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, s, "c@cpts.example", "cpts-coteaux")
	mustCreate(t, s, "verrou@cpts.example", "cpts-coteaux")
	if _, err := s.pool.Exec(ctx, `UPDATE coordinator SET locked_until = $1 WHERE email = 'verrou@cpts.example'`,
		clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	verified := 0
	s.verify = func(password, hash string) (bool, error) {
		verified++
		return VerifyPassword(password, hash)
	}
	attempts := func() int {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM login_attempt WHERE NOT success`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct{ name, email, password, reason string }{
		{"wrong password", "c@cpts.example", "mauvais mot de passe", "wrong password"},
		{"unknown email", "personne@cpts.example", pw, "unknown email"},
		{"locked account", "verrou@cpts.example", pw, "account locked"},
	} {
		verified = 0
		before := attempts()
		_, err := s.Login(ctx, tc.email, tc.password, ClientInfo{RemoteIP: "192.0.2.9"})
		if err != ErrBadCredentials {
			t.Errorf("%s: %v, want exactly ErrBadCredentials", tc.name, err)
		}
		if verified != 1 || attempts() != before+1 {
			t.Errorf("%s: %d hash checks and %d attempts counted, want 1 and 1", tc.name, verified, attempts()-before)
		}
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1 AND actor = $2 AND detail->>'reason' = $3`,
			journal.ActionLoginFailed, tc.email, tc.reason).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: journal rows %d (%v)", tc.name, n, err)
		}
	}
}

func TestWrongCodesLockToo(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, s, "c@cpts.example", "cpts-coteaux")
	c := ClientInfo{RemoteIP: "192.0.2.9"}
	pending, _ := s.Login(ctx, "c@cpts.example", pw, c)
	sess, _ := s.Session(ctx, pending)
	secret, _ := s.EnrolmentSecret(ctx, sess)
	var err error
	for i := 0; i < s.Policy().MaxFailures; i++ {
		_, err = s.CompleteLogin(ctx, sess, "99999"+string(rune('0'+i)), c)
	}
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("after %d wrong codes: %v", s.Policy().MaxFailures, err)
	}
	code, _ := TOTPCode(secret, s.clock.Now())
	if _, err := s.CompleteLogin(ctx, sess, code, c); !errors.As(err, &le) {
		t.Fatalf("right code while locked: %v", err)
	}
}

func TestRateLimitByIPAndUnknownEmail(t *testing.T) {
	s, clock, _ := newTestStore(t)
	ctx := context.Background()
	s.policy.MaxPerIP = 4
	s.policy.MaxPerEmail = 3
	var rl *RateLimitedError
	c := ClientInfo{RemoteIP: "198.51.100.7"}
	for i := 0; i < 3; i++ {
		if _, err := s.Login(ctx, "inconnu@cpts.example", "x", c); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("unknown email %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, "inconnu@cpts.example", "x", c); !errors.As(err, &rl) || rl.By != "email" {
		t.Fatalf("unknown email past the limit: %v", err)
	}
	if _, err := s.Login(ctx, "autre@cpts.example", "x", c); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("fourth failure from the address: %v", err)
	}
	if _, err := s.Login(ctx, "encore@cpts.example", "x", c); !errors.As(err, &rl) || rl.By != "ip" {
		t.Fatalf("address past the limit: %v", err)
	}
	if rl.RetryAfter <= 0 || rl.RetryAfter > s.Policy().Window {
		t.Fatalf("retry after %s", rl.RetryAfter)
	}
	clock.Advance(s.Policy().Window)
	if _, err := s.Login(ctx, "encore@cpts.example", "x", c); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("after the window: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	s, clock, _ := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, s, "c@cpts.example", "cpts-coteaux")
	p := s.Policy()

	// Idle: used just before the limit survives, then left idle it ends.
	token := signIn(t, s, clock, "c@cpts.example")
	clock.Advance(p.SessionIdle - time.Second)
	if _, err := s.Session(ctx, token); err != nil {
		t.Fatalf("just before idle limit: %v", err)
	}
	clock.Advance(p.SessionIdle)
	if _, err := s.Session(ctx, token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("idle: %v", err)
	}

	// Absolute: kept busy, it still ends at SessionMax.
	clock.Advance(time.Minute)
	token = signIn(t, s, clock, "c@cpts.example")
	start := clock.Now()
	for clock.Now().Add(p.SessionIdle / 2).Before(start.Add(p.SessionMax)) {
		clock.Advance(p.SessionIdle / 2)
		if _, err := s.Session(ctx, token); err != nil {
			t.Fatalf("busy session at %s: %v", clock.Now().Sub(start), err)
		}
	}
	clock.AdvanceTo(start.Add(p.SessionMax))
	if _, err := s.Session(ctx, token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("past the absolute limit: %v", err)
	}

	// Disabling ends the sessions; resetting TOTP too.
	clock.Advance(time.Minute)
	token = signIn(t, s, clock, "c@cpts.example")
	if err := s.ResetTOTP(ctx, "cli", "c@cpts.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("after reset-totp: %v", err)
	}
	clock.Advance(time.Minute)
	token = signIn(t, s, clock, "c@cpts.example") // enrols afresh
	if err := s.Disable(ctx, "cli", "c@cpts.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("after disable: %v", err)
	}
	if _, err := s.Login(ctx, "c@cpts.example", pw, ClientInfo{RemoteIP: "192.0.2.1"}); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled login: %v", err)
	}
}
