package console

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// testCall is one call to record through the call-record events, as the
// line writes them.
type testCall struct {
	territory  int64
	specialty  string // slug in the territory; "" for none
	start      string // "2006-01-02 15:04", Paris time
	gp         string
	specialist string            // "" when nobody was put through
	result     callevent.Result  // bridged, callback, refused…
	outcome    callevent.Outcome // "" leaves a bridged call's outcome pending
	delay      int
	waitSecs   int // from the first specialist dialled to the bridge
}

var testCallSeq atomic.Int64

// recordCall writes the call's events and returns its id.
func recordCall(t *testing.T, env *consoleEnv, c testCall) string {
	t.Helper()
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	start, err := time.ParseInLocation("2006-01-02 15:04", c.start, paris)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("5a750000-0000-4000-8000-%012d", testCallSeq.Add(1))
	var specialtyID int64
	if c.specialty != "" {
		if err := env.pool.QueryRow(ctx, `SELECT id FROM specialty WHERE territory_id = $1 AND slug = $2`,
			c.territory, c.specialty).Scan(&specialtyID); err != nil {
			t.Fatalf("specialty %s: %v", c.specialty, err)
		}
	}
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, At: at(0), DID: "+33179000001", Caller: "+33611000014"},
		{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: c.territory},
		{Kind: callevent.Answered, At: at(1)},
	}
	if c.gp != "" {
		evs = append(evs, callevent.Event{Kind: callevent.Identified, At: at(10), RPPS: c.gp})
	}
	if specialtyID != 0 {
		evs = append(evs, callevent.Event{Kind: callevent.SpecialtyChosen, At: at(15), SpecialtyID: specialtyID})
	}
	if c.specialist != "" {
		bridge := 20 + c.waitSecs
		evs = append(evs,
			callevent.Event{Kind: callevent.AttemptStarted, At: at(20), Attempt: 1, Rank: 1, RPPS: c.specialist, Phone: "+33612000015"},
			callevent.Event{Kind: callevent.AttemptAnswered, At: at(bridge - 2), Attempt: 1},
			callevent.Event{Kind: callevent.AttemptEnded, At: at(bridge), Attempt: 1, AttemptRes: callevent.AttemptAccepted},
			callevent.Event{Kind: callevent.Bridged, At: at(bridge), Attempt: 1, RPPS: c.specialist},
		)
		if c.outcome == "" {
			evs = append(evs, callevent.Event{Kind: callevent.OutcomePending, At: at(400)})
		} else {
			evs = append(evs, callevent.Event{Kind: callevent.OutcomeKeyed, At: at(400), Outcome: c.outcome, DelayHours: c.delay})
		}
	}
	if c.result == callevent.ResultCallback {
		evs = append(evs, callevent.Event{Kind: callevent.CallbackRequested, At: at(150)})
	}
	evs = append(evs, callevent.Event{Kind: callevent.CallEnded, At: at(401), Result: c.result})
	for i := range evs {
		evs[i].CallID, evs[i].Seq = id, i+1
	}
	if _, err := calllog.NewStore(env.pool).ApplyEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	return id
}

// februaryCalls records a small February 2026 in both territories.
func februaryCalls(t *testing.T, env *consoleEnv, fx fixture) {
	t.Helper()
	for _, c := range []testCall{
		{territory: fx.coteaux, specialty: "cardiologie", start: "2026-02-02 09:15", gp: "10003000014", specialist: "10002000015",
			result: callevent.ResultBridged, outcome: callevent.OutcomeTeleexpertise, delay: 48, waitSecs: 30},
		{territory: fx.coteaux, specialty: "cardiologie", start: "2026-02-03 14:40", gp: "10003000022", specialist: "10002000023",
			result: callevent.ResultBridged, outcome: callevent.OutcomeVisit, delay: 24, waitSecs: 60},
		{territory: fx.coteaux, specialty: "dermatologie", start: "2026-02-03 16:05", gp: "10003000022", specialist: "10002000049",
			result: callevent.ResultBridged, outcome: callevent.OutcomeAdvice, waitSecs: 90},
		{territory: fx.coteaux, specialty: "dermatologie", start: "2026-02-04 10:00", gp: "10003000030",
			result: callevent.ResultCallback},
		{territory: fx.coteaux, start: "2026-02-04 11:00", result: callevent.ResultRefused},
		{territory: fx.vallee, specialty: "cardiologie", start: "2026-02-05 10:00", gp: "10001045367", specialist: "10002000031",
			result: callevent.ResultBridged, outcome: callevent.OutcomeTeleexpertise, delay: 24, waitSecs: 10},
	} {
		recordCall(t, env, c)
	}
}

func TestStatsPage(t *testing.T) {
	env, _, fx := newConsoleEnv(t)
	februaryCalls(t, env, fx)
	b := env.browser(t)
	b.signIn("coteaux@cpts.example")

	a := b.get("/t/cpts-coteaux/statistiques?du=2026-02-01&au=2026-02-28")
	if a.status != http.StatusOK {
		t.Fatalf("statistics: %d\n%s", a.status, a.body)
	}
	for _, want := range []string{
		`id="chart-calls"`, `id="chart-rate"`, `id="chart-delay"`, `id="chart-outcomes"`, `id="chart-hours"`,
		// 5 calls; 3 bridged of 4 that asked a specialty; waits 30, 60, 90 s.
		"<strong>5</strong><span>appels reçus", "75\u202f%", "3 mis en relation sur 4 demandes",
		"<strong>1\u202fmin\u202f00</strong>", "Téléexpertise", "dermatologie",
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("statistics page lacks %q", want)
		}
	}
	for _, want := range []string{"mardi 14h : 1 appel", "mercredi 10h : 1 appel", "lundi 09h : 1 appel", "jeudi 10h : 0 appel"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("heat map lacks %q (the vallée call must not count either)", want)
		}
	}
	if strings.Contains(a.body, "<strong>6</strong>") {
		t.Error("the vallée call is counted")
	}

	// A wrong date says what is wrong and shows the default period.
	a = b.get("/t/cpts-coteaux/statistiques?du=2026-02-30")
	if a.status != http.StatusOK || !strings.Contains(a.body, "date de début « 2026-02-30 » invalide") {
		t.Errorf("bad date: %d, message shown %v", a.status, strings.Contains(a.body, "invalide"))
	}
	a = b.get("/t/cpts-coteaux/statistiques?du=2026-03-01&au=2026-02-01")
	if !strings.Contains(a.body, "précède") {
		t.Error("reversed period not explained")
	}
	// A year draws weekly steps.
	if a = b.get("/t/cpts-coteaux/statistiques?du=2025-03-01&au=2026-02-28"); a.status != http.StatusOK || !strings.Contains(a.body, "par semaine") {
		t.Errorf("a year: %d, weekly %v", a.status, strings.Contains(a.body, "par semaine"))
	}
	// Another territory's statistics answer 404.
	if a = b.get("/t/cpts-vallee/statistiques"); a.status != http.StatusNotFound {
		t.Errorf("vallée statistics: %d, want 404", a.status)
	}
}

func TestParsePeriod(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Date(2026, 3, 29, 12, 0, 0, 0, paris) // the day the clocks go forward
	p, err := parsePeriod("", "", now, paris)
	if err != nil || p.Days() != 30 || p.Bucket != "day" || p.From.Format("2006-01-02") != "2026-02-28" {
		t.Errorf("default: %+v %v", p, err)
	}
	if n := len(p.buckets()); n != 30 {
		t.Errorf("default has %d daily steps", n)
	}
	p, err = parsePeriod("2025-01-01", "2025-12-31", now, paris)
	if err != nil || p.Bucket != "week" || p.Days() != 365 {
		t.Errorf("a year: %+v %v", p, err)
	}
	if _, err := parsePeriod("2020-01-01", "2026-01-01", now, paris); err == nil {
		t.Error("six years accepted")
	}
}

// TestWaitPercentile: the histogram's percentiles are percentile_cont's.
func TestWaitPercentile(t *testing.T) {
	var h waitHistogram
	h.add(30, 1)
	h.add(60, 1)
	h.add(90, 1)
	if m, p := h.percentile(0.5), h.percentile(0.9); m != 60 || p != 84 {
		t.Errorf("median %v, p90 %v; want 60 and 84", m, p)
	}
	h.add(60, 2) // 30 60 60 60 90
	if m, p := h.percentile(0.5), h.percentile(0.9); m != 60 || p != 78 {
		t.Errorf("median %v, p90 %v; want 60 and 78", m, p)
	}
	var empty waitHistogram
	if !math.IsNaN(empty.percentile(0.5)) {
		t.Error("an empty histogram has a median")
	}
}
