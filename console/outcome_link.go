package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/notify"
)

// OutcomeLinks are the specialists' one-time links (*notify.Links).
type OutcomeLinks interface {
	// View is what the page may show; notify.ErrLinkUnknown, ErrLinkUsed
	// or ErrLinkExpired when the link may not be used.
	View(ctx context.Context, token string, now time.Time) (notify.LinkView, error)
	// Use keys the outcome and consumes the link in one transaction.
	Use(ctx context.Context, token string, outcome callevent.Outcome, delayHours int, now time.Time) error
}

type choice struct {
	Value, Label string
	Checked      bool
}

// suitePage is the outcome link's card.
type suitePage struct {
	Title, Error     string
	Action           string
	View             *notify.LinkView
	Outcomes, Delays []choice
}

// outcomeChoices are the five outcomes, as on the keypad.
var outcomeChoices = []struct {
	outcome callevent.Outcome
	label   string
	delay   bool
}{
	{callevent.OutcomeTeleconsultation, "Téléconsultation", false},
	{callevent.OutcomeTeleexpertise, "Téléexpertise", true},
	{callevent.OutcomeVisit, "Consultation en présentiel", true},
	{callevent.OutcomeHospital, "Orientation hôpital / urgences", false},
	{callevent.OutcomeAdvice, "Avis seul", false},
}

var delayChoices = []struct {
	hours int
	label string
}{{24, "Sous 24 h"}, {48, "Sous 48 h"}, {7 * 24, "Sous 7 jours"}}

// outcomePage is the page behind an SMS link: no login, the link itself is
// the credential; it shows nothing but the call's time, the GP's name and
// the specialty.
type outcomePage struct {
	linkPage
	links OutcomeLinks
	clock clock.Clock
}

func newOutcomePage(links OutcomeLinks, clk clock.Clock, log *zap.Logger) (*outcomePage, error) {
	page, err := newLinkPage("outcome link", "suite/page.html", log)
	if err != nil {
		return nil, err
	}
	return &outcomePage{linkPage: page, links: links, clock: clk}, nil
}

func (p *outcomePage) show(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v, err := p.links.View(r.Context(), token, p.clock.Now())
	if err != nil {
		p.refuseOutcome(w, err)
		return
	}
	p.form(w, http.StatusOK, r, &v, "", "", 0)
}

func (p *outcomePage) submit(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	now := p.clock.Now()
	v, err := p.links.View(r.Context(), token, now)
	if err != nil {
		p.refuseOutcome(w, err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(v.FormKey)) != 1 {
		p.refuseForm(w)
		return
	}
	outcome := callevent.Outcome(r.PostFormValue("issue"))
	delay, _ := strconv.Atoi(r.PostFormValue("delai"))
	needsDelay, known := false, false
	for _, c := range outcomeChoices {
		if c.outcome == outcome {
			known, needsDelay = true, c.delay
		}
	}
	validDelay := false
	for _, d := range delayChoices {
		validDelay = validDelay || d.hours == delay
	}
	switch {
	case !known:
		p.form(w, http.StatusUnprocessableEntity, r, &v, "Choisissez l'issue de l'appel.", outcome, delay)
		return
	case needsDelay && !validDelay:
		p.form(w, http.StatusUnprocessableEntity, r, &v, "Pour une téléexpertise ou une consultation, choisissez le délai promis.", outcome, delay)
		return
	case !needsDelay:
		delay = 0
	}
	err = p.links.Use(r.Context(), token, outcome, delay, now)
	switch {
	case err == nil:
		p.write(w, http.StatusOK, linkNote{Title: "Issue enregistrée",
			Message: "Merci : l'issue de l'appel est enregistrée. Vous pouvez fermer cette page."})
	case errors.Is(err, calllog.ErrOutcomeKeyed):
		p.write(w, http.StatusConflict, linkNote{Title: "Issue déjà enregistrée",
			Message: "L'issue de cet appel a déjà été enregistrée avec une autre réponse. Pour la corriger, contactez la coordination."})
	default:
		p.refuseOutcome(w, err)
	}
}

// refuseOutcome answers a link that may not be used; a link whose call is
// gone is as unknown as a link that never was.
func (p *outcomePage) refuseOutcome(w http.ResponseWriter, err error) {
	if errors.Is(err, calllog.ErrNotFound) {
		err = errors.Join(err, notify.ErrLinkUnknown)
	}
	p.refuse(w, err, outcomeRefusals)
}

// outcomeRefusals are the outcome page's words for a link that may not be
// used.
var outcomeRefusals = linkRefusals{
	Used: linkNote{Title: "Lien déjà utilisé",
		Message: "Ce lien a déjà servi : l'issue de cet appel est enregistrée. Chaque lien ne sert qu'une fois."},
	Expired: linkNote{Title: "Lien expiré",
		Message: "Ce lien a expiré : il n'est valable que 72 heures. Pour enregistrer l'issue de l'appel, contactez la coordination."},
	Failed: "L'issue n'a pas pu être enregistrée. Réessayez dans un instant.",
}

func (p *outcomePage) form(w http.ResponseWriter, status int, r *http.Request, v *notify.LinkView, problem string, outcome callevent.Outcome, delay int) {
	pg := suitePage{Title: "Issue de l'appel", Error: problem, Action: r.URL.Path, View: v}
	for _, c := range outcomeChoices {
		pg.Outcomes = append(pg.Outcomes, choice{Value: string(c.outcome), Label: c.label, Checked: c.outcome == outcome})
	}
	for _, d := range delayChoices {
		pg.Delays = append(pg.Delays, choice{Value: strconv.Itoa(d.hours), Label: d.label, Checked: d.hours == delay})
	}
	p.write(w, status, pg)
}
