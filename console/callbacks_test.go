package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
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
	outbox, err := notify.NewOutbox(notify.OutboxOptions{Log: zap.NewNop(), Clock: clock, PublicURL: "https://regul.example",
		Owners: notify.Owners{Calls: calllog.NewStore(env.pool), Roster: roster.NewStore(env.pool)}})
	if err != nil {
		t.Fatal(err)
	}
	at := clock.Now()
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, DID: "+33179000001", Caller: "+33611000014"},
		{Kind: callevent.TerritoryResolved, TerritoryID: fx.coteaux},
		{Kind: callevent.Identified, RPPS: "10003000014"},
		{Kind: callevent.SpecialtyChosen, SpecialtyID: derma},
		{Kind: callevent.CallbackRequested, SpecialtyID: derma, RPPS: "10003000014"},
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
	for _, want := range []string{callRef(t, env, callID), "Marie DUBOIS", "06 11 00 00 14", "dermatologie", "erreur Twilio 21211", "Rappel · généraliste"} {
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
	for _, want := range []string{`href="/t/cpts-coteaux/appels/` + callID + `"`, `href="tel:+33611000014"`, "en attente depuis"} {
		if !strings.Contains(html.UnescapeString(page.body), want) {
			t.Errorf("the open request lacks %s", want)
		}
	}
	csrf := field(t, csrfRe, page.body)
	closed := b.post(action[1], url.Values{"csrf": {csrf}, "note": {"  rappelé par le Dr DURAND à 11 h  "}})
	if closed.status != http.StatusSeeOther || !strings.Contains(closed.header.Get("Location"), "ferme=") {
		t.Fatalf("Fait: %d %s", closed.status, closed.header.Get("Location"))
	}
	page = b.get(closed.header.Get("Location"))
	if strings.Contains(page.body, `id="callbacks"`) || !strings.Contains(page.body, "Aucune demande de rappel") {
		t.Errorf("closed request still listed as open")
	}
	for _, want := range []string{`id="undo"`, "« rappelé par le Dr DURAND à 11 h »", `id="closed-callbacks"`, "coteaux@cpts.example"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("after closing, the page lacks %s", want)
		}
	}
	if a := b.post(action[1], url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "ok=deja") {
		t.Errorf("closing twice: %d %s", a.status, a.header.Get("Location"))
	}
	reopen := strings.Replace(action[1], "/fait", "/rouvrir", 1)
	if a := other.post(strings.Replace(reopen, "cpts-coteaux", "cpts-vallee", 1), url.Values{"csrf": {other.csrf("/t/cpts-vallee/")}}); a.status != http.StatusNotFound {
		t.Errorf("another territory's coordinator reopens it: %d", a.status)
	}
	clock.Advance(9 * time.Minute)
	if a := b.post(reopen, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Fatalf("undo after 9 min: %d", a.status)
	}
	page = b.get("/t/cpts-coteaux/rappels")
	if !strings.Contains(page.body, `id="cb-`) || strings.Contains(page.body, "DURAND") {
		t.Errorf("the reopened request is not open again, or keeps its note")
	}
	// Closed again, then too late to undo.
	if a := b.post(action[1], url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Fatalf("Fait again: %d", a.status)
	}
	clock.Advance(11 * time.Minute)
	if a := b.post(reopen, url.Values{"csrf": {csrf}}); a.status != http.StatusConflict || !strings.Contains(a.body, "Trop tard") {
		t.Errorf("undo after 11 min: %d", a.status)
	}
	j := b.get("/t/cpts-coteaux/journal")
	for _, want := range []string{"Demande de rappel close", "Demande de rappel rouverte", "note : rappelé par le Dr DURAND à 11 h"} {
		if !strings.Contains(j.body, want) {
			t.Errorf("journal lacks %q", want)
		}
	}
}

// TestSMSHandled: « Traité » takes a refused or uncertain SMS off the
// Rappels page and the home page's count, with one journal row that names
// the message but neither its text nor its recipient; marking it again
// changes nothing; another territory's message is not found; the notify
// worker leaves a handled message alone.
func TestSMSHandled(t *testing.T) {
	env, clock, fx := newConsoleEnv(t)
	ctx := context.Background()
	now := clock.Now()
	const callID = "b2000000-0000-4000-8000-000000000001"
	insert := func(territory int64, callID any, kind, status string, at time.Time) int64 {
		t.Helper()
		var id int64
		err := env.pool.QueryRow(ctx, `INSERT INTO sms_outbox (dedupe_key, territory_id, call_id, kind, recipient, body, status,
			next_try_at, created_at, updated_at) VALUES ($1, $2, $3, $4, '+33611000022', 'texte du message', $5, $6, $6, $6)
			RETURNING id`, fmt.Sprintf("test:%d:%s:%s", territory, kind, status), territory, callID, kind, status, at).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	const ref = "K7M2QX" // the call's reference, as stored: the journal quotes it
	if _, err := env.pool.Exec(ctx, `INSERT INTO call (id, territory_id, started_at, reference) VALUES ($1, $2, $3, $4)`,
		callID, fx.coteaux, now.Add(-time.Hour), ref); err != nil {
		t.Fatal(err)
	}
	refused := insert(fx.coteaux, callID, "callback_gp", "failed", now.Add(-time.Hour))
	uncertain := insert(fx.coteaux, nil, "coverage_digest", "unknown", now.Add(-20*24*time.Hour))
	sent := insert(fx.coteaux, callID, "callback_specialist", "sent", now.Add(-time.Hour))
	valleeSMS := insert(fx.vallee, nil, "coverage_digest", "failed", now.Add(-time.Hour))
	path := func(territory string, id int64) string {
		return fmt.Sprintf("/t/%s/rappels/sms/%d/traite", territory, id)
	}
	journalRows := func() int {
		t.Helper()
		var n int
		if err := env.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms.handled'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	if todo := todoSection(t, b, "/t/cpts-coteaux/"); !strings.Contains(todo, "2 SMS refusés ou incertains") {
		t.Errorf("home does not count both problems:\n%s", todo)
	}
	page := b.get("/t/cpts-coteaux/rappels")
	for _, id := range []int64{refused, uncertain} {
		if !strings.Contains(page.body, `action="`+path("cpts-coteaux", id)+`"`) {
			t.Errorf("no « Traité » for SMS %d:\n%s", id, page.body)
		}
	}
	token := field(t, csrfRe, page.body)

	if a := b.post(path("cpts-coteaux", refused), url.Values{}); a.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", a.status)
	}
	for _, p := range []string{path("cpts-coteaux", valleeSMS), path("cpts-vallee", valleeSMS), path("cpts-coteaux", sent)} {
		if a := b.post(p, url.Values{"csrf": {token}}); a.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, a.status)
		}
	}
	vallee := env.browser(t)
	vallee.signIn("vallee@cpts.example")
	if a := vallee.post(path("cpts-vallee", refused), url.Values{"csrf": {vallee.csrf("/t/cpts-vallee/")}}); a.status != http.StatusNotFound {
		t.Errorf("the vallée's coordinator marks the coteaux's SMS: %d, want 404", a.status)
	}
	if n := journalRows(); n != 0 {
		t.Fatalf("refused marks wrote %d journal rows", n)
	}

	a := b.post(path("cpts-coteaux", refused), url.Values{"csrf": {token}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/t/cpts-coteaux/rappels?ok=sms" {
		t.Fatalf("Traité: %d %s", a.status, a.header.Get("Location"))
	}
	page = b.get("/t/cpts-coteaux/rappels?ok=sms")
	if strings.Contains(page.body, path("cpts-coteaux", refused)) || !strings.Contains(page.body, path("cpts-coteaux", uncertain)) {
		t.Errorf("the handled SMS is still listed, or the other one is gone:\n%s", page.body)
	}
	if !strings.Contains(page.body, "Le SMS est marqué comme traité.") {
		t.Errorf("no flash")
	}
	if todo := todoSection(t, b, "/t/cpts-coteaux/"); !strings.Contains(todo, "1 SMS refusé ou incertain<") {
		t.Errorf("home count did not drop:\n%s", todo)
	}
	var by string
	var at time.Time
	var detail []byte
	if err := env.pool.QueryRow(ctx, `SELECT o.handled_by, o.handled_at, a.detail::text FROM sms_outbox o, audit_log a
		WHERE o.id = $1 AND a.action = 'sms.handled' AND a.actor = 'coteaux@cpts.example' AND a.territory_id = $2`,
		refused, fx.coteaux).Scan(&by, &at, &detail); err != nil {
		t.Fatal(err)
	}
	if by != "coteaux@cpts.example" || !at.Equal(now) {
		t.Errorf("handled by %q at %s", by, at)
	}
	if d := string(detail); !strings.Contains(d, `"reference": "`+ref+`"`) || !strings.Contains(d, "callback_gp") ||
		strings.Contains(d, "texte") || strings.Contains(d, "611000022") {
		t.Errorf("journal detail %s: want the reference and kind, never the text or the number", d)
	}
	if j := b.get("/t/cpts-coteaux/journal"); !strings.Contains(j.body, "SMS refusé ou incertain marqué traité") ||
		!strings.Contains(j.body, "référence : "+ref+" · message : Rappel · généraliste") {
		t.Errorf("journal lacks the mark in French:\n%s", j.body)
	}

	// A second tab sends the form again later: nothing changes.
	clock.Advance(time.Minute)
	if a := b.post(path("cpts-coteaux", refused), url.Values{"csrf": {token}}); a.status != http.StatusSeeOther {
		t.Errorf("marked again: %d, want the same redirect", a.status)
	}
	if n := journalRows(); n != 1 {
		t.Errorf("%d journal rows after marking twice, want 1", n)
	}
	if err := env.pool.QueryRow(ctx, `SELECT handled_at FROM sms_outbox WHERE id = $1`, refused).Scan(&at); err != nil || !at.Equal(now) {
		t.Errorf("marked again moved handled_at to %s (%v)", at, err)
	}

	// The worker sends what is queued and never takes a handled problem back.
	queued := insert(fx.coteaux, callID, "callback_coordinator", "queued", clock.Now())
	sender := &recordingSender{}
	worker, err := notify.NewWorker(notify.WorkerOptions{Pool: env.pool, Log: zap.NewNop(), Sender: sender, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := worker.RunOnce(ctx); err != nil || n != 1 || sender.sent != 1 {
		t.Fatalf("worker handled %d rows and sent %d (%v), want the queued one", n, sender.sent, err)
	}
	var status string
	if err := env.pool.QueryRow(ctx, `SELECT status FROM sms_outbox WHERE id = $1`, queued).Scan(&status); err != nil || status != "sent" {
		t.Errorf("queued SMS is %q (%v), want sent", status, err)
	}
	if err := env.pool.QueryRow(ctx, `SELECT status, handled_by, handled_at FROM sms_outbox WHERE id = $1`, refused).
		Scan(&status, &by, &at); err != nil || status != "failed" || by != "coteaux@cpts.example" || !at.Equal(now) {
		t.Errorf("after the worker: %s by %q at %s (%v)", status, by, at, err)
	}

	if a := b.post(path("cpts-coteaux", uncertain), url.Values{"csrf": {token}}); a.status != http.StatusSeeOther {
		t.Fatalf("Traité: %d", a.status)
	}
	if page := b.get("/t/cpts-coteaux/rappels"); strings.Contains(page.body, `id="sms-problems"`) ||
		!strings.Contains(page.body, "Aucun SMS refusé ou incertain à traiter.") {
		t.Errorf("problems still listed:\n%s", page.body)
	}
	if todo := todoSection(t, b, "/t/cpts-coteaux/"); strings.Contains(todo, "SMS") {
		t.Errorf("home still counts SMS:\n%s", todo)
	}
}

// recordingSender accepts every message.
type recordingSender struct{ sent int }

func (s *recordingSender) Send(context.Context, string, string) (string, error) {
	s.sent++
	return fmt.Sprintf("SM%032d", s.sent), nil
}

func (s *recordingSender) Find(context.Context, string, string, time.Time) (string, bool, error) {
	return "", false, nil
}
