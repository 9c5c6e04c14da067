package console

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
)

var callActRe = regexp.MustCompile(`(?s)<tr data-rpps="(\d+)" data-code="(\w+)">.*?<td class="num nowrap">(.*?)</td>`)

// shownActs is the acts table of a call's page as "RPPS CODE amount", sorted.
func shownActs(body string) []string {
	var out []string
	for _, m := range callActRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2]+" "+m[3])
	}
	sort.Strings(out)
	return out
}

// keyedAs is a bridged call whose specialist keyed this outcome.
func keyedAs(evs []callevent.Event, outcome callevent.Outcome, delay int) []callevent.Event {
	for i := range evs {
		if evs[i].Kind == callevent.OutcomeKeyed {
			evs[i].Outcome, evs[i].DelayHours = outcome, delay
		}
	}
	return evs
}

// A call's page lists the acts the month's statement gives that call, with
// the same amounts; a call with none says why.
func TestCallDetailBillingActs(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	c := seedCalls(t, env)
	cardio := specialtyID(t, env, fx.coteaux, "cardiologie")
	morning := func(h int) time.Time { return time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC) }
	const (
		teleconsultation = "a1000000-0000-4000-8000-000000000011"
		visit            = "a1000000-0000-4000-8000-000000000012"
		advice           = "a1000000-0000-4000-8000-000000000013"
	)
	recordEvents(t, env, teleconsultation, keyedAs(bridgedEvents(morning(6), fx.coteaux, cardio, "10003000022", true), callevent.OutcomeTeleconsultation, 0))
	recordEvents(t, env, visit, keyedAs(bridgedEvents(morning(7), fx.coteaux, cardio, "10003000022", true), callevent.OutcomeVisit, 48))
	recordEvents(t, env, advice, keyedAs(bridgedEvents(morning(5), fx.coteaux, cardio, "10003000022", true), callevent.OutcomeAdvice, 0))

	st, err := billing.NewStore(env.pool, billing.Sources{Calls: calllog.NewStore(env.pool), Directory: roster.NewStore(env.pool)}).Statement(context.Background(), fx.coteaux, billing.Month{Year: 2026, Month: time.March})
	if err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")
	for _, tc := range []struct {
		name, id string
		want     []string
	}{
		// Téléexpertise: the specialist's TE2 at the 2026 tariff, the GP's RQD.
		{"téléexpertise", c.bridged, []string{"10002000023 TE2 23,00 €", "10003000014 RQD 10,00 €"}},
		{"téléconsultation", teleconsultation, []string{"10002000023 TC 0,00 €"}},
		{"visit within 48 h", visit, []string{"10002000023 APC 60,00 €", "10002000023 SNP 15,00 €"}},
	} {
		page := b.get("/t/cpts-coteaux/appels/" + tc.id)
		if page.status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", tc.name, page.status, page.body)
		}
		got := shownActs(page.body)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s: acts shown %q, want %q", tc.name, got, tc.want)
		}
		var fromStatement []string
		for _, l := range st.Lines {
			if l.CallID == tc.id {
				fromStatement = append(fromStatement, fmt.Sprintf("%s %s %s €", l.RPPS, l.Code, billing.Euros(l.AmountCents)))
			}
		}
		sort.Strings(fromStatement)
		if strings.Join(got, "\n") != strings.Join(fromStatement, "\n") {
			t.Errorf("%s: page shows %q, the statement %q", tc.name, got, fromStatement)
		}
	}
	te := b.get("/t/cpts-coteaux/appels/" + c.bridged).body
	for _, s := range []string{"Dr Hugo BERNARD", "requis", "Dr Marie DUBOIS", "requérant", "33,00 €",
		`href="/t/cpts-coteaux/exports?mois=2026-03"`, "relevé de mars 2026"} {
		if !strings.Contains(te, s) {
			t.Errorf("téléexpertise acts lack %q", s)
		}
	}

	for _, tc := range []struct{ name, id, why string }{
		{"callback", c.callback, "Aucun acte : appel non mis en relation."},
		{"refused", c.refused, "Aucun acte : appel non mis en relation."},
		{"pending outcome", c.pending, "Issue non saisie : les actes seront connus une fois l&#39;issue saisie."},
		{"advice only", advice, "Aucun acte : l&#39;issue « Avis seul » n&#39;ouvre pas d&#39;acte facturable."},
	} {
		page := b.get("/t/cpts-coteaux/appels/" + tc.id)
		if page.status != http.StatusOK {
			t.Fatalf("%s: %d", tc.name, page.status)
		}
		if !strings.Contains(page.body, `<p class="muted" id="call-no-acts">`+tc.why+`</p>`) {
			t.Errorf("%s: the page does not say %q", tc.name, tc.why)
		}
		if acts := shownActs(page.body); len(acts) != 0 {
			t.Errorf("%s: acts shown %q", tc.name, acts)
		}
	}
}
