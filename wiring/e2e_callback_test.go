package wiring

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/twiliotest"
)

const (
	bernardMobile = "+33612000023"
	gpPhone       = "PJSIP/" + gpNumber + "@trunk" // the GP's phone, rung by a callback
)

// nobodyInCardiology: the GP asks for a cardiologist and MARTIN, BERNARD
// and the hospital line are all busy: a callback is registered.
func (l *line) nobodyInCardiology(t *testing.T) calllog.CallRecord {
	t.Helper()
	l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did, Steps: l.gpAsksCardiology(arisim.Silent())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: arisim.IsBusy()},
			{Name: "bernard", Dial: bernard, Steps: arisim.IsBusy()}, {Name: "hospital", Dial: hospital, Steps: arisim.IsBusy()}},
	})
	rec := l.record()
	wantResult(t, rec, callevent.ResultCallback)
	return rec
}

var callbackLinkRe = regexp.MustCompile(`https?://[^ ]+(/r/[A-Za-z0-9_-]{16}) ou 01 79 00 00 01 code ([0-9]{8})\.`)

// callbackLinks waits for the callback SMS and returns each specialist's
// link path and code, by mobile.
func callbackLinks(t *testing.T, fake *twiliotest.Server) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, m := range waitSMS(t, fake, 4) {
		if l := callbackLinkRe.FindStringSubmatch(m.Body); l != nil {
			out[m.To] = [2]string{l[1], l[2]}
		}
		if n := notify.Segments(m.Body); n != 1 {
			t.Errorf("SMS to %s takes %d segments: %q", m.To, n, m.Body)
		}
	}
	if len(out) != 2 {
		t.Fatalf("callback links to %d specialists, want MARTIN and BERNARD:\n%s", len(out), fake)
	}
	return out
}

// page fetches a link's page: its status and body.
func page(t *testing.T, method, u string, form url.Values) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequestWithContext(ctx, method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var formKeyRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// tap opens a link's page (which starts nothing) and presses its button.
func (l *line) tap(t *testing.T, path string) (int, string) {
	t.Helper()
	base := strings.TrimSuffix(l.svc.ConsoleURL(), "/")
	status, body := page(t, http.MethodGet, base+path, nil)
	key := formKeyRe.FindStringSubmatch(body)
	if status != http.StatusOK || key == nil || !strings.Contains(body, "Rappeler le Dr Marie DUBOIS maintenant") {
		t.Fatalf("callback page: %d\n%s", status, body)
	}
	return page(t, http.MethodPost, base+path, url.Values{"csrf": {key[1]}})
}

// calls counts the recorded calls.
func (l *line) calls(t *testing.T) int {
	t.Helper()
	var n int
	if err := l.pool.QueryRow(context.Background(), `SELECT count(*) FROM call`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// specialistCallsBack answers the line's call, confirms with 1, talks,
// then keys « avis seul » once the GP has hung up.
func specialistCallsBack() []arisim.Step {
	return []arisim.Step{arisim.Ring(ringBriefly), arisim.Answer(),
		arisim.WaitForSound("rappel-taper-1"), arisim.Press("1", digitGap),
		arisim.WaitBridged(), arisim.WaitForSound("suite-menu"), arisim.Press("5", digitGap), arisim.Silent()}
}

// gpTakesCallback answers, hears who calls back, presses 1, talks, hangs up.
func gpTakesCallback() []arisim.Step {
	return []arisim.Step{arisim.Ring(ringBriefly), arisim.Answer(),
		arisim.WaitForSound("rappel-generaliste-taper-1"), arisim.Press("1", digitGap),
		arisim.WaitBridged(), arisim.Wait(30 * time.Second), arisim.Hangup()}
}

func firstEntry(p *arisim.PhoneReport, k arisim.EntryKind) time.Time {
	for _, e := range p.Snapshot().Entries {
		if e.Kind == k {
			return e.At
		}
	}
	return time.Time{}
}

// Nobody reachable → SMS with links → MARTIN taps his → his phone rings,
// then the GP's → bridged → outcome keyed → the request is closed and
// linked to that call, BERNARD is told and his link refused, the GP gets
// the written trace.
func TestCallbackThroughTheLine(t *testing.T) {
	l, fake := smsLine(t)
	origin := l.nobodyInCardiology(t)
	links := callbackLinks(t, fake)

	rep := l.sim.Play(&arisim.Scenario{DefaultSound: arisim.Duration(2 * time.Second), Outbound: []arisim.Endpoint{
		{Name: "martin", Dial: martin, Steps: specialistCallsBack()},
		{Name: "gp", Dial: gpPhone, Steps: gpTakesCallback()},
	}})
	base := strings.TrimSuffix(l.svc.ConsoleURL(), "/")
	// Opening the link (as an SMS previewer does) places no call.
	if status, _ := page(t, http.MethodGet, base+links[martinMobile][0], nil); status != http.StatusOK || l.calls(t) != 1 {
		t.Fatalf("GET of the link: %d, %d calls", status, l.calls(t))
	}
	if status, body := l.tap(t, links[martinMobile][0]); status != http.StatusOK || !strings.Contains(body, "Appel en cours") {
		t.Fatalf("tapping the link: %d\n%s", status, body)
	}
	cb := l.record()
	l.waitScenario(rep)

	sp, gp := rep.Phone("martin"), rep.Phone("gp")
	if a, b := firstEntry(sp, arisim.EntryRinging), firstEntry(gp, arisim.EntryRinging); a.IsZero() || b.IsZero() || !a.Before(b) {
		t.Errorf("MARTIN's phone rang at %s, the GP's at %s: want MARTIN's first", a, b)
	}
	heardInOrder(t, "MARTIN", sp.Heard(), "chuchotement-ligne", "territoires/cpts-coteaux", "rappel-pour", "noms/"+gpRPPS,
		"chuchotement-demande", "cardiologie", "rappel-taper-1", "rappel-appel-en-cours", "suite-menu", "suite-enregistree")
	heardInOrder(t, "GP", gp.Heard(), "chuchotement-ligne", "territoires/cpts-coteaux", "chuchotement-docteur",
		"noms/10002000015", "rappel-vous-rappelle", "cardiologie", "rappel-generaliste-taper-1")
	if cb.ID == origin.ID || cb.CallbackOf != origin.ID || cb.Result != callevent.ResultBridged || cb.GPRPPS != gpRPPS ||
		cb.SpecialistRPPS != "10002000015" || cb.TerritoryID != l.terr.ID || cb.SpecialtyID == 0 ||
		cb.Outcome == nil || cb.Outcome.Outcome != callevent.OutcomeAdvice || !callevent.ValidReference(cb.Reference) {
		t.Fatalf("callback call: %+v (events %v)", cb, kinds(cb))
	}
	o, err := l.svc.Calls().Call(context.Background(), origin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Callback == nil || o.Callback.DoneBy != "rappel" || o.Callback.CallbackCallID != cb.ID || o.Callback.DoneAt.IsZero() {
		t.Fatalf("callback request after the callback: %+v", o.Callback)
	}

	msgs := waitSMS(t, fake, 6)
	want := map[string]string{
		bernardMobile: "CPTS des Coteaux : le Dr Marie DUBOIS (cardiologie) a été rappelé par le Dr Claire MARTIN. Votre lien ne sert plus. Merci. Réf. " + origin.Reference,
		gpNumber:      "CPTS des Coteaux : Dr Claire MARTIN (cardiologie) - avis donné par téléphone. Réf. " + cb.Reference,
	}
	for _, m := range msgs[4:] {
		if want[m.To] != m.Body || notify.Segments(m.Body) != 1 {
			t.Errorf("SMS to %s: %q\nwant %q", m.To, m.Body, want[m.To])
		}
	}
	for _, mobile := range []string{bernardMobile, martinMobile} {
		if status, _ := page(t, http.MethodGet, base+links[mobile][0], nil); status != http.StatusGone {
			t.Errorf("link of %s after the callback: %d, want 410", mobile, status)
		}
	}
	if status, _ := page(t, http.MethodPost, base+links[bernardMobile][0],
		url.Values{"csrf": {notify.FormKey(strings.TrimPrefix(links[bernardMobile][0], "/r/"))}}); status != http.StatusGone {
		t.Errorf("BERNARD tapping after the callback: %d, want 410", status)
	}
	if n := l.calls(t); n != 2 {
		t.Errorf("%d calls recorded, want 2", n)
	}
}

// The GP does not answer, twice: MARTIN is told, tries again, then gives
// up; the request stays open and his link works again.
func TestCallbackGPDoesNotAnswer(t *testing.T) {
	l, fake := smsLine(t)
	origin := l.nobodyInCardiology(t)
	links := callbackLinks(t, fake)
	rep := l.sim.Play(&arisim.Scenario{DefaultSound: arisim.Duration(2 * time.Second), Outbound: []arisim.Endpoint{
		{Name: "martin", Dial: martin, Steps: []arisim.Step{arisim.Ring(ringBriefly), arisim.Answer(),
			arisim.WaitForSound("rappel-taper-1"), arisim.Press("1", digitGap),
			arisim.WaitForSound("rappel-reessayer"), arisim.Press("1", digitGap),
			arisim.WaitForSound("rappel-reessayer"), arisim.WaitForSound("rappel-reste-ouvert"), arisim.Silent()}},
		{Name: "gp", Dial: gpPhone, Steps: []arisim.Step{arisim.Ring(time.Hour)}},
	}})
	if status, _ := l.tap(t, links[martinMobile][0]); status != http.StatusOK {
		t.Fatalf("tapping the link: %d", status)
	}
	cb := l.record()
	l.waitScenario(rep)
	wantResult(t, cb, callevent.ResultCallback)
	if n := rep.Phone("gp").Snapshot().Calls; n != 2 {
		t.Errorf("the GP was rung %d times, want 2", n)
	}
	var tries []callevent.AttemptResult
	for _, e := range cb.Events {
		if e.Kind == callevent.CallbackGPEnded {
			tries = append(tries, e.AttemptRes)
		}
	}
	if len(tries) != 2 || tries[0] != callevent.AttemptNoAnswer || tries[1] != callevent.AttemptNoAnswer {
		t.Errorf("GP tries %v, want two no_answer", tries)
	}
	o, err := l.svc.Calls().Call(context.Background(), origin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Callback == nil || !o.Callback.DoneAt.IsZero() || o.Callback.ClaimCallID != "" || o.Callback.Tries != 1 {
		t.Fatalf("request after an unanswered callback: %+v", o.Callback)
	}
	base := strings.TrimSuffix(l.svc.ConsoleURL(), "/")
	if status, body := page(t, http.MethodGet, base+links[martinMobile][0], nil); status != http.StatusOK || strings.Contains(body, `id="busy"`) {
		t.Errorf("MARTIN's link after the GP did not answer: %d\n%s", status, body)
	}
	if status, _ := page(t, http.MethodGet, base+links[bernardMobile][0], nil); status != http.StatusOK {
		t.Errorf("BERNARD's link after the GP did not answer: %d", status)
	}
}

// MARTIN and BERNARD tap at once: one call only.
func TestCallbackTwoSpecialistsAtOnce(t *testing.T) {
	l, fake := smsLine(t)
	l.nobodyInCardiology(t)
	links := callbackLinks(t, fake)
	rep := l.sim.Play(&arisim.Scenario{DefaultSound: arisim.Duration(2 * time.Second), Outbound: []arisim.Endpoint{
		{Name: "martin", Dial: martin, Steps: specialistCallsBack()},
		{Name: "bernard", Dial: bernard, Steps: specialistCallsBack()},
		{Name: "gp", Dial: gpPhone, Steps: gpTakesCallback()},
	}})
	base := strings.TrimSuffix(l.svc.ConsoleURL(), "/")
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, mobile := range []string{martinMobile, bernardMobile} {
		tok := strings.TrimPrefix(links[mobile][0], "/r/")
		wg.Go(func() {
			statuses[i], _ = page(t, http.MethodPost, base+links[mobile][0], url.Values{"csrf": {notify.FormKey(tok)}})
		})
	}
	wg.Wait()
	if !(statuses[0] == http.StatusOK && statuses[1] == http.StatusConflict) && !(statuses[1] == http.StatusOK && statuses[0] == http.StatusConflict) {
		t.Fatalf("two taps at once: %v, want one 200 and one 409", statuses)
	}
	cb := l.record()
	l.waitScenario(rep)
	wantResult(t, cb, callevent.ResultBridged)
	m, b := rep.Phone("martin").Snapshot().Calls, rep.Phone("bernard").Snapshot().Calls
	if m+b != 1 || rep.Phone("gp").Snapshot().Calls != 1 {
		t.Errorf("MARTIN rung %d times, BERNARD %d, the GP %d: want one specialist and the GP once", m, b, rep.Phone("gp").Snapshot().Calls)
	}
	if n := l.calls(t); n != 2 {
		t.Errorf("%d calls recorded, want 2", n)
	}
}

// MARTIN has no data: he calls the line and types his code at the RPPS
// prompt; the line rings the GP and bridges them.
func TestCallbackByCode(t *testing.T) {
	l, fake := smsLine(t)
	origin := l.nobodyInCardiology(t)
	links := callbackLinks(t, fake)
	rep := l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "martin", From: martinMobile, DID: did, Steps: []arisim.Step{
			arisim.WaitForSound("saisir-rpps"), arisim.Press(links[martinMobile][1]+"#", digitGap),
			arisim.WaitForSound("rappel-taper-1"), arisim.Press("1", digitGap),
			arisim.WaitBridged(), arisim.WaitForSound("suite-menu"), arisim.Press("2", digitGap),
			arisim.WaitForSound("delai-menu"), arisim.Press("2", digitGap), arisim.Silent()}}},
		Outbound: []arisim.Endpoint{{Name: "gp", Dial: gpPhone, Steps: gpTakesCallback()}},
	})
	cb := l.record()
	wantResult(t, cb, callevent.ResultBridged)
	heardInOrder(t, "GP", rep.Phone("gp").Heard(), "noms/10002000015", "rappel-vous-rappelle", "cardiologie")
	if cb.CallbackOf != origin.ID || cb.Outcome == nil || cb.Outcome.Outcome != callevent.OutcomeTeleexpertise || cb.SpecialistRPPS != "10002000015" {
		t.Fatalf("callback call: %+v (events %v)", cb, kinds(cb))
	}
	// The callback is a call like any: its acts are on the month's statement.
	st, err := BillingStore(l.pool).Statement(context.Background(), l.terr.ID, billing.Month{Year: 2026, Month: time.November})
	if err != nil {
		t.Fatal(err)
	}
	acts := map[string]string{}
	for _, line := range st.Lines {
		if line.CallID == cb.ID {
			acts[line.Code] = line.RPPS
		}
	}
	if acts["TE2"] != "10002000015" || acts["RQD"] != gpRPPS {
		t.Errorf("acts of the callback on the statement: %v, want TE2 for MARTIN and RQD for the GP", acts)
	}
	o, err := l.svc.Calls().Call(context.Background(), origin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Callback == nil || o.Callback.CallbackCallID != cb.ID {
		t.Fatalf("request: %+v", o.Callback)
	}
}

// traceRows are the GP-trace SMS queued.
func (l *line) traceRows(t *testing.T) []string {
	t.Helper()
	rows, err := l.pool.Query(context.Background(), `SELECT body FROM sms_outbox WHERE kind = 'gp_trace' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := pgxCollectStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	return bodies
}

// The GP's written trace after an outcome keyed on the phone, and none
// when the territory turns it off.
func TestGPTraceAfterOutcome(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			fake := twiliotest.New()
			t.Cleanup(fake.Close)
			l := newLine(t, withTerritory(func(s *roster.TerritorySpec) { s.NoGPTrace = !on }), withConfig(smsConfig(fake)))
			l.play(&arisim.Scenario{
				Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
					Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Wait(20*time.Second), arisim.Hangup())}},
				Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
					arisim.WaitBridged(), arisim.WaitForSound("suite-menu"), arisim.Press("2", digitGap),
					arisim.WaitForSound("delai-menu"), arisim.Press("2", digitGap), arisim.Silent())}},
			})
			rec := l.record()
			if rec.Outcome == nil || rec.Outcome.Outcome != callevent.OutcomeTeleexpertise {
				t.Fatalf("outcome %+v", rec.Outcome)
			}
			traces := l.traceRows(t) // queued with the outcome: final once the record is
			if !on {
				if len(traces) != 0 {
					t.Errorf("trace SMS in a territory that turned them off: %q", traces)
				}
				return
			}
			want := "CPTS des Coteaux : Dr Claire MARTIN (cardiologie) - téléexpertise, réponse sous 48 h. Réf. " + rec.Reference
			msgs := waitSMS(t, fake, 1)
			if len(traces) != 1 || traces[0] != want || msgs[0].To != gpNumber || msgs[0].Body != want || notify.Segments(want) != 1 {
				t.Errorf("trace SMS %q, sent %+v\nwant %q", traces, msgs, want)
			}
		})
	}
}

func pgxCollectStrings(rows pgx.Rows) ([]string, error) {
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// A controller killed while the specialist and the GP of a callback talk:
// the new one adopts the call, the conversation goes on, the specialist
// keys the outcome, and the request is closed and linked as usual.
func TestCrashWhileCallbackBridged(t *testing.T) {
	l, fake := smsLine(t)
	origin := l.nobodyInCardiology(t)
	links := callbackLinks(t, fake)
	gpSteps := []arisim.Step{arisim.Ring(ringBriefly), arisim.Answer(),
		arisim.WaitForSound("rappel-generaliste-taper-1"), arisim.Press("1", digitGap),
		arisim.WaitBridged(), arisim.Mark("crash"), arisim.Wait(30 * time.Second), arisim.Hangup()}
	rep := l.sim.Play(&arisim.Scenario{DefaultSound: arisim.Duration(2 * time.Second), Outbound: []arisim.Endpoint{
		{Name: "martin", Dial: martin, Steps: specialistCallsBack()},
		{Name: "gp", Dial: gpPhone, Steps: gpSteps},
	}})
	if status, _ := l.tap(t, links[martinMobile][0]); status != http.StatusOK {
		t.Fatalf("tapping the link: %d", status)
	}
	select {
	case <-l.sim.Marks():
	case <-time.After(60 * time.Second):
		t.Fatal("the callback never reached the bridge")
	}
	l.crashAndRestart()
	l.waitScenario(rep)
	cb := l.record()
	if gp := rep.Phone("gp"); gp.Ended == nil || gp.Ended.By != "phone" {
		t.Errorf("the GP's call ended %+v, want by the GP", gp.Ended)
	}
	heardInOrder(t, "MARTIN", rep.Phone("martin").Heard(), "rappel-taper-1", "suite-menu", "suite-enregistree")
	if cb.CallbackOf != origin.ID || cb.Result != callevent.ResultBridged || cb.Outcome == nil ||
		cb.Outcome.Outcome != callevent.OutcomeAdvice || eventCount(cb, callevent.CallAdopted) != 1 || eventCount(cb, callevent.CallEnded) != 1 {
		t.Fatalf("callback call after the crash: result %s outcome %+v events %v", cb.Result, cb.Outcome, kinds(cb))
	}
	o, err := l.svc.Calls().Call(context.Background(), origin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Callback == nil || o.Callback.CallbackCallID != cb.ID {
		t.Errorf("request: %+v", o.Callback)
	}
}
