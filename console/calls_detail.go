package console

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
)

type timelineRow struct {
	At     time.Time
	Clock  string // "15:04:05" in the territory's time
	Step   string
	Who    string
	Result string
	Tone   string // "", ok, warn, danger
}

type attemptView struct {
	calllog.Attempt
	Name        string
	RingTime    string
	ResultLabel string
	Tone        string
	CauseLabel  string
}

type callDetailData struct {
	Rec            calllog.CallRecord
	Reference      string
	GPName         string
	Specialty      string
	SpecialistName string
	ResultLabel    string
	ResultTone     string
	Missed         bool
	TimeToSpecial  string
	Duration       string
	Timeline       []timelineRow
	Attempts       []attemptView
	OutcomeLabel   string
	DelayLabel     string
	DoneAction     string // POST target of "Marquer comme fait"
	Callback       *callbackView
	Billing        callBilling
	// CallsPath prefixes a call id into its page (the callback's links).
	CallsPath string
	// ClaimBy is who is calling the GP back through the line right now.
	ClaimBy string
}

// callDetail shows one call of the current territory: who, what, the
// timeline of its events, each attempt, the outcome, its candidate acts and
// the callback request. Another territory's id reads nothing in SQL and answers 404.
func (c *console) callDetail(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, ok := callIDOf(r)
	if !ok {
		c.notFound(w, r)
		return
	}
	rec, err := calllog.NewStore(c.pool).CallIn(r.Context(), c.callScope(r), id)
	if errors.Is(err, calllog.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "call detail", err)
		return
	}
	names, err := c.practitionerNames(r, rec)
	if err != nil {
		c.serverError(w, r, "call detail: names", err)
		return
	}
	d := callDetailData{
		Rec: rec, Reference: rec.Reference, GPName: names[rec.GPRPPS],
		SpecialistName: names[rec.SpecialistRPPS], ResultLabel: resultLabel(rec.Result),
		ResultTone: resultTone(rec.Result), Missed: missed(rec.Result),
		DoneAction: "/t/" + v.current.Slug + "/appels/" + rec.ID + "/rappel-fait",
		CallsPath:  "/t/" + v.current.Slug + "/appels/",
	}
	if cb := rec.Callback; cb != nil && cb.ClaimRPPS != "" {
		d.ClaimBy = "Dr " + firstNonEmpty(names[cb.ClaimRPPS], cb.ClaimRPPS)
	}
	if rec.SpecialtyID != 0 {
		err := c.pool.QueryRow(r.Context(), `SELECT label FROM specialty s WHERE s.id = $3 AND `+
			v.scope.where("s.territory_id", 1)+` AND s.territory_id = $2`, v.scope.ids(), v.current.ID, rec.SpecialtyID).Scan(&d.Specialty)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			c.serverError(w, r, "call detail: specialty", err)
			return
		}
	}
	if !rec.BridgedAt.IsZero() {
		d.TimeToSpecial = frDuration(rec.TimeToSpecialist)
	}
	if !rec.EndedAt.IsZero() {
		d.Duration = frDuration(rec.EndedAt.Sub(rec.StartedAt))
	}
	if o := rec.Outcome; o != nil && o.Status == "keyed" {
		d.OutcomeLabel, d.DelayLabel = outcomeLabel(o.Outcome), delayLabel(o.DelayHours)
	}
	if rec.Callback != nil {
		cb, err := calllog.NewStore(c.pool).WithNames(roster.NewStore(c.pool)).CallbackOf(r.Context(), c.callScope(r), rec.ID)
		if err != nil {
			c.serverError(w, r, "call detail: callback", err)
			return
		}
		cv := c.callbackViewOf(r, cb, c.now())
		d.Callback = &cv
	}
	if d.Billing, err = c.callActs(r, rec); err != nil {
		c.serverError(w, r, "call detail: acts", err)
		return
	}
	byAttempt := map[int]string{}
	for _, a := range rec.Attempts {
		byAttempt[a.Attempt] = a.RPPS
		d.Attempts = append(d.Attempts, newAttemptView(a, names))
	}
	for _, ev := range rec.Events {
		row := describeEvent(ev, names, byAttempt, d.Specialty)
		row.Clock = ev.At.In(v.current.Location).Format("15:04:05")
		d.Timeline = append(d.Timeline, row)
	}
	pg := page{Title: "Appel " + d.Reference, Section: "appels", Data: d}
	switch r.URL.Query().Get("ok") {
	case "rappel":
		pg.Flash = "La demande de rappel est close."
	case "rouvert":
		pg.Flash = "La demande de rappel est rouverte."
	}
	c.render(w, r, http.StatusOK, "call", pg)
}

// callIDOf reads the call id of the path; anything but a UUID is a page
// that does not exist (and never reaches SQL as a malformed uuid).
func callIDOf(r *http.Request) (string, bool) {
	id, err := uuid.Parse(r.PathValue("call"))
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// practitionerNames maps the RPPS numbers of a call (GP, specialists rung)
// to "Prénom NOM". Names are public professional data, not the territory's.
func (c *console) practitionerNames(r *http.Request, rec calllog.CallRecord) (map[string]string, error) {
	rpps := []string{rec.GPRPPS, rec.SpecialistRPPS}
	if rec.Callback != nil && rec.Callback.ClaimRPPS != "" {
		rpps = append(rpps, rec.Callback.ClaimRPPS)
	}
	for _, a := range rec.Attempts {
		rpps = append(rpps, a.RPPS)
	}
	rows, err := c.pool.Query(r.Context(), `SELECT rpps, first_name || ' ' || last_name FROM practitioner WHERE rpps = ANY($1)`, rpps)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for rows.Next() {
		var k, n string
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		names[k] = n
	}
	return names, rows.Err()
}

func newAttemptView(a calllog.Attempt, names map[string]string) attemptView {
	v := attemptView{Attempt: a, Name: names[a.RPPS], ResultLabel: attemptResultLabel(a.Result),
		Tone: attemptTone(a.Result), CauseLabel: attemptCause(a.Result, a.Cause)}
	from, to := a.RingingAt, a.AnsweredAt
	if from.IsZero() {
		from = a.StartedAt
	}
	if to.IsZero() {
		to = a.EndedAt
	}
	if !from.IsZero() && !to.IsZero() && !to.Before(from) {
		v.RingTime = frDuration(to.Sub(from))
	}
	return v
}

// describeEvent is one line of the timeline: the step in French, who it
// concerns and what came of it.
func describeEvent(ev calllog.Event, names map[string]string, byAttempt map[int]string, specialty string) timelineRow {
	row := timelineRow{At: ev.At}
	who := func(rpps string) string {
		if n := names[rpps]; n != "" {
			return "Dr " + n
		}
		return rpps
	}
	switch ev.Kind {
	case calllog.CallStarted:
		row.Step, row.Who, row.Result = "Appel reçu", frPhone(ev.Caller), "sur le "+frPhone(ev.DID)
	case calllog.TerritoryUnknown:
		row.Step, row.Result, row.Tone = "Numéro composé inconnu", frPhone(ev.DID), "danger"
	case calllog.TerritoryResolved:
		row.Step = "Territoire reconnu"
	case calllog.ClosedHours:
		row.Step, row.Result, row.Tone = "Ligne fermée", "message des horaires, fin de l'appel", "warn"
	case calllog.Answered:
		row.Step = "Décroché par la ligne"
	case calllog.IdentFailed:
		row.Step, row.Who, row.Result, row.Tone = "Identification échouée", ev.RPPS, identReasonLabel(ev.Reason), "warn"
	case calllog.Identified:
		row.Step, row.Who, row.Result, row.Tone = "Généraliste identifié", who(ev.RPPS), "RPPS "+ev.RPPS, "ok"
	case calllog.Refused:
		row.Step, row.Result, row.Tone = "Appel refusé", identReasonLabel(ev.Reason), "danger"
	case calllog.SpecialtyChosen:
		row.Step, row.Result = "Spécialité choisie", firstNonEmpty(specialty, ev.Specialty)
	case calllog.NobodyOnDuty:
		row.Step, row.Result, row.Tone = "Personne de garde", "aucun spécialiste au planning", "danger"
	case calllog.AttemptStarted:
		row.Step = fmt.Sprintf("Appel du spécialiste · tentative %d, rang %d", ev.Attempt, ev.Rank)
		row.Who, row.Result = who(ev.RPPS), frPhone(ev.Phone)
	case calllog.AttemptRinging:
		row.Step, row.Who = fmt.Sprintf("Sonnerie · tentative %d", ev.Attempt), who(byAttempt[ev.Attempt])
	case calllog.AttemptAnswered:
		row.Step, row.Who = fmt.Sprintf("Décroché · tentative %d", ev.Attempt), who(byAttempt[ev.Attempt])
	case calllog.AttemptEnded:
		row.Step, row.Who = fmt.Sprintf("Fin de la tentative %d", ev.Attempt), who(byAttempt[ev.Attempt])
		row.Result, row.Tone = attemptResultLabel(ev.AttemptRes), attemptTone(ev.AttemptRes)
		if cl := attemptCause(ev.AttemptRes, ev.Cause); cl != "" {
			row.Result += " · " + cl
		}
	case calllog.Bridged:
		row.Step, row.Who, row.Result, row.Tone = "Mise en relation", who(firstNonEmpty(ev.RPPS, byAttempt[ev.Attempt])), "généraliste et spécialiste en ligne", "ok"
	case calllog.OutcomeKeyed:
		row.Step, row.Result, row.Tone = "Issue saisie", joinNonEmpty(outcomeLabel(ev.Outcome), delayLabel(ev.DelayHours)), "ok"
	case calllog.OutcomePending:
		row.Step, row.Result, row.Tone = "Issue en attente", "le spécialiste a raccroché avant de la saisir", "warn"
	case calllog.CallbackRequested:
		row.Step, row.Result, row.Tone = "Demande de rappel enregistrée", "SMS aux spécialistes de garde, au généraliste et à la coordination", "danger"
	case calllog.CallbackStarted:
		row.Step, row.Who, row.Result = "Rappel par la ligne", who(ev.RPPS), "rappel d'une demande sans réponse"
	case calllog.CallbackGPDialled:
		row.Step, row.Who, row.Result = "Appel du généraliste", "généraliste", frPhone(ev.Phone)
	case calllog.CallbackGPEnded:
		row.Step, row.Who = "Fin de l'appel du généraliste", "généraliste"
		row.Result, row.Tone = attemptResultLabel(ev.AttemptRes), attemptTone(ev.AttemptRes)
		if cl := causeLabel(ev.Cause); cl != "" && ev.AttemptRes != calllog.AttemptAccepted {
			row.Result += " · " + cl
		}
	case calllog.LegHungUp:
		row.Step = "Raccroché"
		switch ev.Party {
		case "gp":
			row.Who = "généraliste"
		case "specialist":
			row.Who = "spécialiste"
		default:
			row.Who = ev.Party
		}
		row.Result = causeLabel(ev.Cause)
	case calllog.CallEnded:
		row.Step, row.Result, row.Tone = "Fin de l'appel", resultLabel(ev.Result), resultTone(ev.Result)
		if row.Tone == "neutral" {
			row.Tone = ""
		}
	default:
		row.Step = string(ev.Kind)
	}
	return row
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func joinNonEmpty(a, b string) string {
	if b == "" {
		return a
	}
	return a + " · " + b
}

// callCallbackDone closes the call's callback request from the detail page
// (the Rappels page has its own button), with the same note and journal
// entry, then back to the call, where it can be undone.
func (c *console) callCallbackDone(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, ok := callIDOf(r)
	if !ok {
		c.notFound(w, r)
		return
	}
	_, err := c.closeCallback(r, calllog.CallbackRef{CallID: id})
	switch {
	case errors.Is(err, calllog.ErrNotFound):
		c.notFound(w, r)
	case err != nil && !errors.Is(err, calllog.ErrCallbackClosed):
		c.serverError(w, r, "close callback from call", err)
	default:
		http.Redirect(w, r, "/t/"+v.current.Slug+"/appels/"+id+"?ok=rappel", http.StatusSeeOther)
	}
}
