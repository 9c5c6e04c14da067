package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// TestCallbackThroughLineInConsole: a callback under way shows on the
// Rappels page and the request's call page with who calls back and the
// call; once it bridged, the request's page links the resulting call, the
// call links back, and the statistics count it with its delay and outcome.
func TestCallbackThroughLineInConsole(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := context.Background()
	const origin, back = "cb0f0000-0000-4000-8000-000000000011", "cb0f0000-0000-4000-8000-000000000012"
	var derma int64
	if err := env.pool.QueryRow(ctx, `SELECT id FROM specialty WHERE territory_id = $1 AND slug = 'dermatologie'`, fx.coteaux).Scan(&derma); err != nil {
		t.Fatal(err)
	}
	store := calllog.NewStore(env.pool)
	apply := func(id string, at time.Time, evs ...callevent.Event) {
		t.Helper()
		for i := range evs {
			evs[i].CallID, evs[i].Seq, evs[i].At = id, i+1, at
		}
		if _, err := store.ApplyEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	start := clock.Now()
	apply(origin, start,
		callevent.Event{Kind: callevent.CallStarted, DID: "+33179000001", Caller: "+33611000014"},
		callevent.Event{Kind: callevent.TerritoryResolved, TerritoryID: fx.coteaux},
		callevent.Event{Kind: callevent.Identified, RPPS: "10003000014"},
		callevent.Event{Kind: callevent.SpecialtyChosen, SpecialtyID: derma},
		callevent.Event{Kind: callevent.CallbackRequested, SpecialtyID: derma, RPPS: "10003000014"},
		callevent.Event{Kind: callevent.CallEnded, Result: callevent.ResultCallback})
	at := start.Add(40 * time.Minute)
	if err := pgx.BeginFunc(ctx, env.pool, func(tx pgx.Tx) error {
		return calllog.ClaimCallbackTx(ctx, tx, origin, "10002000049", back, at, at.Add(15*time.Minute))
	}); err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	if p := b.get("/t/cpts-coteaux/rappels"); !strings.Contains(p.body, "Rappel en cours</span> par la ligne, Dr Louis DURAND") ||
		!strings.Contains(p.body, "/t/cpts-coteaux/appels/"+back) {
		t.Errorf("Rappels page during the callback:\n%s", p.body)
	}
	if p := b.get("/t/cpts-coteaux/appels/" + origin); !strings.Contains(p.body, `id="callback-under-way"`) ||
		!strings.Contains(p.body, "par le Dr Louis DURAND") {
		t.Errorf("request's call page during the callback:\n%s", p.body)
	}

	apply(back, at,
		callevent.Event{Kind: callevent.CallStarted, DID: "+33179000001"},
		callevent.Event{Kind: callevent.TerritoryResolved, TerritoryID: fx.coteaux},
		callevent.Event{Kind: callevent.Identified, RPPS: "10003000014"},
		callevent.Event{Kind: callevent.SpecialtyChosen, SpecialtyID: derma},
		callevent.Event{Kind: callevent.CallbackStarted, Origin: origin, RPPS: "10002000049"},
		callevent.Event{Kind: callevent.AttemptStarted, Attempt: 1, RPPS: "10002000049", Phone: "+33612000049"},
		callevent.Event{Kind: callevent.AttemptEnded, Attempt: 1, AttemptRes: callevent.AttemptAccepted},
		callevent.Event{Kind: callevent.CallbackGPDialled, Attempt: 2, Phone: "+33611000014"},
		callevent.Event{Kind: callevent.CallbackGPEnded, Attempt: 2, AttemptRes: callevent.AttemptAccepted},
		callevent.Event{Kind: callevent.Bridged, Attempt: 1, RPPS: "10002000049"},
		callevent.Event{Kind: callevent.OutcomeKeyed, Outcome: callevent.OutcomeAdvice},
		callevent.Event{Kind: callevent.CallEnded, Result: callevent.ResultBridged})

	if p := b.get("/t/cpts-coteaux/appels/" + origin); !strings.Contains(p.body, `id="callback-called-back"`) ||
		!strings.Contains(p.body, "/t/cpts-coteaux/appels/"+back) {
		t.Errorf("request's call page after the callback:\n%s", p.body)
	}
	p := b.get("/t/cpts-coteaux/appels/" + back)
	for _, want := range []string{`id="callback-of"`, "/t/cpts-coteaux/appels/" + origin, "Rappel par la ligne", "Appel du généraliste"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("callback call's page lacks %q", want)
		}
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	day := start.In(paris).Format("2006-01-02")
	p = b.get("/t/cpts-coteaux/statistiques?du=" + day + "&au=" + day)
	for _, want := range []string{`id="stats-callbacks"`, "1 sur 1 demandes de rappel", "40 min 00 s", "Avis seul : 1"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("statistics lack %q:\n%s", want, p.body)
		}
	}
}
