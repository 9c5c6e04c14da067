package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/notify"
)

// TestCallbacksPage: an open callback request shows until a coordinator of
// its territory marks it done; an SMS Twilio refused shows with its code.
func TestCallbacksPage(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := context.Background()
	const callID = "cb0f0000-0000-4000-8000-000000000001"
	var derma int64
	if err := env.pool.QueryRow(ctx, `SELECT id FROM specialty WHERE territory_id = $1 AND slug = 'dermatologie'`, fx.coteaux).Scan(&derma); err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.NewOutbox(notify.OutboxOptions{Log: zap.NewNop(), Now: clock.Now, PublicURL: "https://regul.example"})
	if err != nil {
		t.Fatal(err)
	}
	at := clock.Now()
	evs := []calllog.Event{
		{Kind: calllog.CallStarted, DID: "+33179000001", Caller: "+33611000014"},
		{Kind: calllog.TerritoryResolved, TerritoryID: fx.coteaux},
		{Kind: calllog.Identified, RPPS: "10003000014"},
		{Kind: calllog.SpecialtyChosen, SpecialtyID: derma},
		{Kind: calllog.CallbackRequested, SpecialtyID: derma, RPPS: "10003000014"},
	}
	for i := range evs {
		evs[i].CallID, evs[i].Seq, evs[i].At = callID, i+1, at
	}
	if _, err := calllog.NewStore(env.pool).ApplyEventsWith(ctx, evs, outbox.Hook); err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(ctx, `UPDATE sms_outbox SET status = 'failed', error_code = 21211,
		error_message = 'not a valid phone number' WHERE kind = 'callback_gp'`); err != nil {
		t.Fatal(err)
	}

	other := env.browser(t)
	other.signIn("vallee@cpts.example")
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	page := b.get("/t/cpts-coteaux/rappels")
	for _, want := range []string{"CB0F00", "Marie DUBOIS", "06 11 00 00 14", "dermatologie", "erreur Twilio 21211", "Rappel · généraliste"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	action := regexp.MustCompile(`action="(/t/cpts-coteaux/rappels/\d+/fait)"`).FindStringSubmatch(page.body)
	if action == nil {
		t.Fatalf("no Fait button:\n%s", page.body)
	}
	otherPath := strings.Replace(action[1], "cpts-coteaux", "cpts-vallee", 1)
	if a := other.post(otherPath, url.Values{"csrf": {other.csrf("/t/cpts-vallee/")}}); a.status != http.StatusNotFound {
		t.Errorf("another territory's coordinator closes it: %d", a.status)
	}
	if a := b.post(action[1], url.Values{"csrf": {field(t, csrfRe, page.body)}}); a.status != http.StatusSeeOther {
		t.Fatalf("Fait: %d", a.status)
	}
	page = b.get("/t/cpts-coteaux/rappels")
	if strings.Contains(page.body, "CB0F00") || !strings.Contains(page.body, "Aucune demande de rappel") {
		t.Errorf("closed request still shown")
	}
	if j := b.get("/t/cpts-coteaux/journal"); !strings.Contains(j.body, "Demande de rappel close") {
		t.Errorf("journal lacks the closing")
	}
}
