package ivr

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

const (
	did1        = "+33179000001"
	did2        = "+33179000002"
	mariePhone  = "+33611000014"
	marieRPPS   = "10003000014"
	mariePIN    = "4729"
	martinPhone = "+33612000015"
	bernardPh   = "+33612000023"
	petitPhone  = "+33612000031"
	chuPhone    = "+33247000001"
	durandPhone = "+33612000049"
)

var (
	catalogueOnce sync.Once
	catalogue     *Prompts
	catalogueErr  error
)

// loadCatalogue loads the real prompt file once for every test.
func loadCatalogue(t testing.TB) *Prompts {
	t.Helper()
	catalogueOnce.Do(func() { catalogue, catalogueErr = LoadPrompts("../asterisk-config/prompts.yaml") })
	if catalogueErr != nil {
		t.Fatal(catalogueErr)
	}
	return catalogue
}

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("load Europe/Paris (install tzdata): %v", err)
	}
	return loc
}

// coteaux is the shared fixture territory.
func coteaux(loc *time.Location) oncall.Territory {
	weekday := []oncall.Span{{Start: 8 * 60, End: 20 * 60}}
	var hours oncall.OpeningHours
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Weekly[d] = weekday
	}
	hours.Weekly[time.Saturday] = []oncall.Span{{Start: 8 * 60, End: 12 * 60}}
	return oncall.Territory{
		ID: 7, Slug: "cpts-coteaux", Name: "CPTS des Coteaux", Location: loc, Hours: hours,
		Policy: oncall.PolicyRPPSPIN, RingTimeout: 25 * time.Second, HuntTimeout: 120 * time.Second,
		CoordinatorPhone: "+33179000099", CoordinatorEmail: "coordination@cpts-coteaux.example",
		Numbers: []string{did1, did2}, Communes: []string{"37261", "37018", "37122"}, Departements: []string{"37"},
		Specialties: []oncall.Specialty{
			{ID: 11, Slug: "cardiologie", Label: "cardiologie", Digit: 1, SavoirFaire: []string{"SM04", "SM73"},
				FallbackLabel: "ligne de cardiologie du centre hospitalier", FallbackPhone: chuPhone},
			{ID: 12, Slug: "dermatologie", Label: "dermatologie", Digit: 2, SavoirFaire: []string{"SM15"}},
			{ID: 13, Slug: "pediatrie", Label: "pédiatrie", Digit: 3, SavoirFaire: []string{"SM40"}},
		},
	}
}

func gpEnrolment(id int64, rpps, first, last, phone string) oncall.Enrolment {
	return oncall.Enrolment{ID: id, TerritoryID: 7, Role: oncall.Requerant, HasPIN: true, Phones: []string{phone},
		Practitioner: oncall.Practitioner{RPPS: rpps, FirstName: first, LastName: last, Profession: "10"}}
}

func cand(rank int, rpps, first, last string, phones ...string) oncall.Candidate {
	return oncall.Candidate{Rank: rank, RPPS: rpps, FirstName: first, LastName: last, Phones: phones}
}

// harness is one call against fakes; tests change its fields, then run.
type harness struct {
	t       testing.TB
	clock   *fakeClock
	roster  *fakeRoster
	sw      *fakeSwitch
	rec     *captureRecorder
	metrics *captureMetrics
	gp      *fakeGP
	opts    Options
	logs    *observer.ObservedLogs
	logger  *zap.Logger
	labels  map[string]string
}

func newHarness(t testing.TB) *harness {
	loc := paris(t)
	cat := loadCatalogue(t)
	labels := map[string]string{}
	for _, p := range cat.All() {
		labels["sound:"+p.Sound] = p.ID
	}
	// Tuesday 10 March 2026, 10:00 in Paris: the line is open.
	clock := newFakeClock(time.Date(2026, 3, 10, 10, 0, 0, 0, loc))
	t7 := coteaux(loc)
	roster := &fakeRoster{
		territories: map[string]oncall.Territory{did1: t7, did2: t7},
		requerants: map[string]oncall.Enrolment{
			marieRPPS:     gpEnrolment(101, marieRPPS, "Marie", "DUBOIS", mariePhone),
			"10003000022": gpEnrolment(102, "10003000022", "Jean", "LAMBERT", "+33611000022"),
			"10003000030": gpEnrolment(103, "10003000030", "Luc", "ROUSSEAU", "+33611000030"),
			"10003000048": gpEnrolment(104, "10003000048", "Emma", "GIRARD", "+33611000048"),
		},
		pins:      map[int64]string{101: mariePIN, 102: "1111", 103: "2222", 104: "3333"},
		failures:  map[int64]int{},
		lockAfter: 3,
		chains: map[int64][]oncall.Candidate{
			11: {
				cand(1, "10002000015", "Claire", "MARTIN", martinPhone),
				cand(2, "10002000023", "Hugo", "BERNARD", bernardPh),
				cand(3, "10002000031", "Anne", "PETIT", petitPhone),
				{Rank: 0, Fallback: true, Label: "ligne de cardiologie du centre hospitalier", Phones: []string{chuPhone}},
			},
			12: {
				cand(1, "10002000049", "Louis", "DURAND", durandPhone),
				cand(2, "10002000056", "Sophie", "LEROY", "+33612000056"),
			},
			13: {cand(1, "10002000064", "Paul", "MOREAU", "+33612000064")},
		},
		errIn: map[string]error{},
	}
	gp := &fakeGP{fakeLeg: newFakeLeg("gp-leg", clock, labels, map[string]string{}), caller: mariePhone, did: did1}
	core, logs := observer.New(zap.DebugLevel)
	h := &harness{
		t: t, clock: clock, roster: roster, rec: &captureRecorder{}, metrics: &captureMetrics{},
		gp: gp, logs: logs, logger: zap.New(core), labels: labels,
	}
	h.sw = &fakeSwitch{clock: clock, labels: labels, gp: gp, plans: map[string][]dialPlan{}}
	return h
}

// territory edits the fixture territory in place.
func (h *harness) territory(edit func(*oncall.Territory)) {
	for did, t := range h.roster.territories {
		edit(&t)
		h.roster.territories[did] = t
	}
}

// happy scripts Marie DUBOIS calling for cardiology, Claire MARTIN taking
// it and keying a téléexpertise within 24 h once Marie has hung up.
func (h *harness) happy() {
	h.gp.rules["enter_rpps"] = marieRPPS + "#"
	h.gp.rules["enter_pin"] = mariePIN + "#"
	h.gp.rules["menu_intro"] = "1"
	h.sw.plans[martinPhone] = []dialPlan{accepts("gp")}
}

// accepts is a specialist who answers after 5 s, presses 1, and keys a
// téléexpertise within 24 h after the conversation.
func accepts(hangsUpFirst string) dialPlan {
	return dialPlan{ring: 5 * time.Second, afterConnect: hangsUpFirst,
		keys: map[string]string{"accept_keys": "1", "outcome_menu": "2", "delay_menu": "1"}}
}

func noAnswer(ring time.Duration) dialPlan {
	return dialPlan{ring: ring, fail: &DialError{Result: DialNoAnswer, Cause: 19, CauseText: "no answer"}}
}

func (h *harness) run() {
	h.t.Helper()
	s, err := New(h.opts, Deps{
		Roster: h.roster, Switch: h.sw, Recorder: h.rec, Clock: h.clock,
		Logger: h.logger, Prompts: loadCatalogue(h.t), Metrics: h.metrics,
	})
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	h.rec.inProgress = s.CallsInProgress
	s.Serve(context.Background(), h.gp)
	if n := s.CallsInProgress(); n != 0 {
		h.t.Errorf("%d calls in progress once the call is over", n)
	}
	h.checkInvariants()
}

// checkInvariants holds for every call whatever its path.
func (h *harness) checkInvariants() {
	t := h.t
	t.Helper()
	evs := h.rec.all()
	if len(evs) == 0 {
		t.Fatal("no event recorded")
	}
	for i, ev := range evs {
		if ev.Seq != i+1 || ev.CallID != evs[0].CallID || ev.CallID == "" {
			t.Fatalf("event %d: call %q seq %d, want call %q seq %d", i, ev.CallID, ev.Seq, evs[0].CallID, i+1)
		}
		if ev.Kind == callevent.CallEnded && i != len(evs)-1 {
			t.Fatalf("call_ended at seq %d is not the last event", ev.Seq)
		}
	}
	if evs[0].Kind != callevent.CallStarted {
		t.Errorf("first event %s, want call_started", evs[0].Kind)
	}
	if last := evs[len(evs)-1]; last.Kind != callevent.CallEnded || last.Result == "" {
		t.Fatalf("last event %+v, want call_ended with a result", last)
	}
	if !h.gp.gone() {
		t.Error("GP leg left up")
	}
	for _, l := range h.sw.legs {
		if !l.gone() {
			t.Errorf("specialist leg %s left up", l.id)
		}
	}
	for i, n := range h.rec.inProgressAt {
		if n != 1 {
			t.Errorf("%d calls in progress at %s, want this one", n, evs[i].Kind)
		}
	}
	if len(h.metrics.results) != 1 || h.metrics.results[0] != h.result() {
		t.Errorf("metrics: results %v", h.metrics.results)
	}
	for _, e := range h.logs.All() {
		// The call id is random hex: leave it out of the search for a PIN.
		line := strings.ReplaceAll(e.Message+" "+contextString(e.ContextMap()), evs[0].CallID, "<call>")
		if strings.Contains(line, mariePIN) || strings.Contains(line, mariePhone) {
			t.Errorf("log line leaks a PIN or a full caller number: %s", line)
		}
		if _, ok := e.ContextMap()["call_id"]; !ok {
			t.Errorf("log line without call_id: %s", line)
		}
	}
}

func contextString(m map[string]any) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(k + "=")
		if s, ok := v.(string); ok {
			b.WriteString(s)
		} else if e, ok := v.(error); ok {
			b.WriteString(e.Error())
		}
		b.WriteString(" ")
	}
	return b.String()
}

func (h *harness) result() callevent.Result {
	evs := h.rec.all()
	return evs[len(evs)-1].Result
}

func (h *harness) kinds() []callevent.Kind {
	var ks []callevent.Kind
	for _, ev := range h.rec.all() {
		ks = append(ks, ev.Kind)
	}
	return ks
}

func (h *harness) events(kind callevent.Kind) []callevent.Event {
	var out []callevent.Event
	for _, ev := range h.rec.all() {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (h *harness) attemptResults() []callevent.AttemptResult {
	var out []callevent.AttemptResult
	for _, ev := range h.events(callevent.AttemptEnded) {
		out = append(out, ev.AttemptRes)
	}
	return out
}

func (h *harness) dialled() []string {
	var out []string
	for _, d := range h.sw.dials {
		out = append(out, d.Phone)
	}
	return out
}

// leg returns the n-th specialist leg dialled (1-based).
func (h *harness) leg(n int) *fakeLeg {
	h.t.Helper()
	if n > len(h.sw.legs) {
		h.t.Fatalf("only %d specialist legs, want leg %d", len(h.sw.legs), n)
	}
	return h.sw.legs[n-1]
}

func expectSeq[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// What parties hear, as prompt ids and dynamic sounds.
var (
	welcomed    = []string{"welcome", "regul/territoires/cpts-coteaux", "emergency_15"}
	coordinator = []string{"coordinator_contact", "digits:0179000099", "goodbye"}
	menuItems   = []string{
		"menu_for", "regul/specialites/cpts-coteaux/cardiologie", "menu_press", "digits:1",
		"menu_for", "regul/specialites/cpts-coteaux/dermatologie", "menu_press", "digits:2",
		"menu_for", "regul/specialites/cpts-coteaux/pediatrie", "menu_press", "digits:3",
	}
)

// whisperTo is what a specialist hears on answering a call from Marie.
func whisperTo(specialty string, fallback bool) []string {
	w := []string{"whisper_line", "regul/territoires/cpts-coteaux", "whisper_doctor", "regul/noms/" + marieRPPS,
		"whisper_asks", "regul/specialites/cpts-coteaux/" + specialty}
	if fallback {
		w = append(w, "whisper_fallback")
	}
	return append(w, "accept_keys")
}

func cat(parts ...[]string) []string { return slices.Concat(parts...) }

func ids(s ...string) []string { return s }
