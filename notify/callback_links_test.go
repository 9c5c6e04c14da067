package notify

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
)

const callBack1 = "3f2a9d00-0000-4000-8000-000000000001"

// links returns each specialist's callback token and code, by phone.
func (e *env) links() map[string][2]string {
	e.t.Helper()
	out := map[string][2]string{}
	for _, r := range e.rows() {
		if r.Kind == string(KindCallbackSpecialist) {
			m := callbackSMS.FindStringSubmatch(r.Body)
			if m == nil {
				e.t.Fatalf("callback SMS %q", r.Body)
			}
			out[r.To] = [2]string{m[1], m[2]}
		}
	}
	return out
}

// callbackThroughLine applies the events of callback call id answering
// origin's request, placed by MARTIN; bridged or not.
func (e *env) callbackThroughLine(id, origin string, bridged bool) {
	at := e.clock.Now()
	sp := e.specialty("cardiologie")
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, At: at, DID: "+33179000001", Reference: "CB2XYZ"},
		{Kind: callevent.TerritoryResolved, At: at, TerritoryID: e.terr.ID, Reference: "CB2XYZ"},
		{Kind: callevent.Identified, At: at, RPPS: "10003000014", Name: "Marie DUBOIS"},
		{Kind: callevent.SpecialtyChosen, At: at, SpecialtyID: sp.ID, Specialty: sp.Slug},
		{Kind: callevent.CallbackStarted, At: at, Origin: origin, RPPS: "10002000015"},
		{Kind: callevent.AttemptStarted, At: at, Attempt: 1, RPPS: "10002000015", Phone: "+33612000015"},
		{Kind: callevent.AttemptEnded, At: at, Attempt: 1, AttemptRes: callevent.AttemptAccepted},
	}
	if bridged {
		evs = append(evs, callevent.Event{Kind: callevent.Bridged, At: at, Attempt: 1, RPPS: "10002000015"})
	} else {
		evs = append(evs, callevent.Event{Kind: callevent.CallEnded, At: at, Result: callevent.ResultCallback})
	}
	e.apply(number(id, evs)...)
}

func number(id string, evs []callevent.Event) []callevent.Event {
	for i := range evs {
		evs[i].CallID, evs[i].Seq = id, i+1
	}
	return evs
}

// TestCallbackLinks: a link shows who asked without claiming anything;
// of two specialists claiming at once one wins; once the callback reached
// the GP the other is told by SMS and every link and code is refused.
func TestCallbackLinks(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "cardiologie")
	links := e.links()
	martin, bernard := links["+33612000015"], links["+33612000023"]
	cl := NewCallbackLinks(e.pool, e.owners)
	ctx := context.Background()

	v, err := cl.View(ctx, martin[0], e.clock.Now())
	if err != nil || v.GPName != "Dr Marie DUBOIS" || v.Specialty != "cardiologie" || v.Specialist != "Dr Claire MARTIN" || v.Busy {
		t.Fatalf("view: %+v, %v", v, err)
	}
	if _, err := cl.View(ctx, "nope", e.clock.Now()); !errors.Is(err, ErrLinkUnknown) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := cl.ClaimByCode(ctx, e.terr.ID, "00000000", callBack1, e.clock.Now()); !errors.Is(err, ErrLinkUnknown) && martin[1] != "00000000" {
		t.Errorf("unknown code: %v", err)
	}

	var wg sync.WaitGroup
	var targets [2]CallbackTarget
	var errs [2]error
	ids := [2]string{callBack1, "3f2a9d00-0000-4000-8000-000000000002"}
	for i, tok := range []string{martin[0], bernard[0]} {
		wg.Go(func() { targets[i], errs[i] = cl.Claim(ctx, tok, ids[i], e.clock.Now()) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || !(errors.Is(errs[0], ErrLinkTaken) || errors.Is(errs[1], ErrLinkTaken)) {
		t.Fatalf("two claims at once: %v, %v", errs[0], errs[1])
	}
	if errs[0] != nil { // make MARTIN the winner for the rest of the test
		if err := cl.Release(ctx, ids[1]); err != nil {
			t.Fatal(err)
		}
		if targets[0], err = cl.Claim(ctx, martin[0], callBack1, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	tg := targets[0]
	if tg.RequestCallID != callA || tg.DID != "+33179000001" || tg.GPPhone != "+33611000014" || tg.GPRPPS != "10003000014" ||
		tg.SpecialistRPPS != "10002000015" || tg.SpecialistPhn != "+33612000015" || tg.SpecialistName != "Dr Claire MARTIN" {
		t.Errorf("target: %+v", tg)
	}
	if v, err := cl.View(ctx, bernard[0], e.clock.Now()); err != nil || !v.Busy {
		t.Errorf("view while a callback is under way: %+v, %v", v, err)
	}
	if _, err := cl.ClaimByCode(ctx, e.terr.ID, bernard[1], "3f2a9d00-0000-4000-8000-000000000003", e.clock.Now()); !errors.Is(err, ErrLinkTaken) {
		t.Errorf("code while a callback is under way: %v", err)
	}

	e.clock.Advance(time.Minute)
	e.callbackThroughLine(callBack1, callA, true)
	var taken []row
	for _, r := range e.rows() {
		if r.Kind == string(KindCallbackTaken) {
			taken = append(taken, r)
		}
	}
	if len(taken) != 1 || taken[0].To != "+33612000023" ||
		taken[0].Body != "CPTS des Coteaux : le Dr Marie DUBOIS (cardiologie) a été rappelé par le Dr Claire MARTIN. Votre lien ne sert plus. Merci. Réf. 3F2A9C" {
		t.Fatalf("taken SMS: %+v", taken)
	}
	if Segments(taken[0].Body) != 1 {
		t.Errorf("taken SMS takes %d segments", Segments(taken[0].Body))
	}
	for _, tok := range []string{martin[0], bernard[0]} {
		if _, err := cl.View(ctx, tok, e.clock.Now()); !errors.Is(err, ErrLinkUsed) {
			t.Errorf("view after the callback: %v", err)
		}
		if _, err := cl.Claim(ctx, tok, "3f2a9d00-0000-4000-8000-000000000004", e.clock.Now()); !errors.Is(err, ErrLinkUsed) {
			t.Errorf("claim after the callback: %v", err)
		}
	}
	if _, err := cl.ClaimByCode(ctx, e.terr.ID, bernard[1], "3f2a9d00-0000-4000-8000-000000000005", e.clock.Now()); !errors.Is(err, ErrLinkUsed) {
		t.Errorf("code after the callback: %v", err)
	}
}

// A link expires.
func TestCallbackLinkExpires(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "cardiologie")
	tok := e.links()["+33612000015"][0]
	e.clock.Advance(24 * time.Hour)
	if _, err := NewCallbackLinks(e.pool, e.owners).Claim(context.Background(), tok, callBack1, e.clock.Now()); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("claim after 24 h: %v", err)
	}
}

func (e *env) keyed(id string, o callevent.Outcome, hours int) {
	e.pending(id)
	e.apply(callevent.Event{CallID: id, Seq: 9, At: e.clock.Now(), Kind: callevent.OutcomeKeyed, Outcome: o, DelayHours: hours, RPPS: "10002000015"})
}

func (e *env) traces() []row {
	var out []row
	for _, r := range e.rows() {
		if r.Kind == string(KindGPTrace) {
			out = append(out, r)
		}
	}
	return out
}

// TestGPTrace: one SMS to the GP per keyed outcome; none when the
// territory turned it off; a téléconsultation's video room to both.
func TestGPTrace(t *testing.T) {
	e := newEnv(t)
	e.keyed(callA, callevent.OutcomeTeleexpertise, 48)
	e.apply(callevent.Event{CallID: callA, Seq: 9, At: e.clock.Now(), Kind: callevent.OutcomeKeyed, Outcome: callevent.OutcomeTeleexpertise, DelayHours: 48})
	tr := e.traces()
	want := "CPTS des Coteaux : Dr Claire MARTIN (cardiologie) - téléexpertise, réponse sous 48 h. Réf. 3F2A9C"
	if len(tr) != 1 || tr[0].To != "+33611000014" || tr[0].Body != want {
		t.Fatalf("traces: %+v\nwant %q", tr, want)
	}
	for _, c := range []struct {
		o     callevent.Outcome
		hours int
		words string
	}{
		{callevent.OutcomeVisit, 168, "consultation en présentiel sous 7 jours"},
		{callevent.OutcomeHospital, 0, "orientation hospitalière ou urgences"},
		{callevent.OutcomeAdvice, 0, "avis donné par téléphone"},
		{callevent.OutcomeTeleexpertise, 24, "téléexpertise, réponse sous 24 h"},
	} {
		body := gpTraceBody("CPTS des Coteaux", "Claire", "MARTIN", "cardiologie", string(c.o), c.hours, "", "3F2A9C")
		if n, ok := GSM7(body); !ok || n > SegmentLength || body != "CPTS des Coteaux : Dr Claire MARTIN (cardiologie) - "+c.words+". Réf. 3F2A9C" {
			t.Errorf("%s: %q (%d septets, GSM-7 %v)", c.o, body, n, ok)
		}
	}

	if _, err := e.pool.Exec(context.Background(), `UPDATE territory SET video_url_template = 'https://visio.example.org/{ref}'`); err != nil {
		t.Fatal(err)
	}
	callB := "4a2a9c10-0000-4000-8000-000000000001"
	e.keyed(callB, callevent.OutcomeTeleconsultation, 0)
	tr = e.traces()[1:]
	if len(tr) != 2 || tr[0].Body != "CPTS des Coteaux : Dr Claire MARTIN (cardiologie) - téléconsultation. Visio : https://visio.example.org/4A2A9C Réf. 4A2A9C" ||
		tr[1].To != "+33612000015" || tr[1].Body != "CPTS des Coteaux : téléconsultation avec le Dr Marie DUBOIS, visio : https://visio.example.org/4A2A9C Réf. 4A2A9C" {
		t.Fatalf("téléconsultation traces: %+v", tr)
	}

	if _, err := e.pool.Exec(context.Background(), `UPDATE territory SET gp_trace = false`); err != nil {
		t.Fatal(err)
	}
	e.keyed("5a2a9c10-0000-4000-8000-000000000001", callevent.OutcomeAdvice, 0)
	if n := len(e.traces()); n != 3 {
		t.Errorf("%d traces after a call in a territory without them, want still 3", n)
	}
}
