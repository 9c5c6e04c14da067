package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// TestConsoleUnlockFreesTheGPsPhone: « Déverrouiller » lifts what `regul
// enrol unlock` lifts — the enrolment's lock and the locks of the GP's own
// number, for them and for everybody — so the GP is accepted again from
// their phone, and the journal has one row named as the command line's.
func TestConsoleUnlockFreesTheGPsPhone(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := context.Background()
	store := roster.NewStore(env.pool)
	pin, err := store.SetNewPIN(ctx, fx.coteaux, "10003000014")
	if err != nil {
		t.Fatal(err)
	}
	const own = "+33611000014"
	now := clock.Now()
	until := now.Add(30 * time.Minute)
	if _, err := env.pool.Exec(ctx, `UPDATE enrolment SET failed_pin_attempts = 5, locked_until = $2 WHERE id = $1`, fx.dubois, until); err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(ctx, `INSERT INTO ident_failure (territory_id, caller_number, failures, locks, last_failure_at, locked_until)
		VALUES ($1, $2, 0, 1, $3, $4)`, fx.coteaux, own, now, until); err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(ctx, `INSERT INTO ident_pair_failure (territory_id, rpps, caller_number, failures, locks, last_failure_at, locked_until)
		VALUES ($1, '10003000014', $2, 0, 1, $3, $4)`, fx.coteaux, own, now, until); err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyPIN(ctx, fx.dubois, pin, own, now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("before the unlock, from the GP's phone: %v, want locked", err)
	}

	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	a := b.post(fmt.Sprintf("/t/cpts-coteaux/personnes/%d/deverrouiller", fx.dubois), url.Values{"csrf": {b.csrf("/t/cpts-coteaux/personnes")}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("unlock: %d", a.status)
	}
	if err := store.CheckCaller(ctx, fx.coteaux, own, now); err != nil {
		t.Fatalf("the GP's number is still locked for every RPPS: %v", err)
	}
	if err := store.VerifyPIN(ctx, fx.dubois, pin, own, now); err != nil {
		t.Fatalf("after the unlock, from the GP's phone: %v, want accepted", err)
	}
	var rows int
	if err := env.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1 AND detail->>'rpps' = '10003000014'`,
		journal.ActionEnrolmentUnlocked).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("journal rows of the unlock: %d %v, want 1", rows, err)
	}
}
