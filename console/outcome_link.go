package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/notify"
)

//go:embed suite/page.html
var suiteFS embed.FS

// OutcomeLinks are the specialists' one-time links (*notify.Links).
type OutcomeLinks interface {
	// View is what the page may show; notify.ErrLinkUnknown, ErrLinkUsed
	// or ErrLinkExpired when the link may not be used.
	View(ctx context.Context, token string, now time.Time) (notify.LinkView, error)
	// Use keys the outcome and consumes the link in one transaction.
	Use(ctx context.Context, token string, outcome calllog.Outcome, delayHours int, now time.Time) error
}

type choice struct {
	Value, Label string
	Checked      bool
}

type suitePage struct {
	Title, Message, Error string
	Action                string
	View                  *notify.LinkView
	Outcomes, Delays      []choice
}

// outcomeChoices are the five outcomes, as on the keypad.
var outcomeChoices = []struct {
	outcome calllog.Outcome
	label   string
	delay   bool
}{
	{calllog.OutcomeTeleconsultation, "Téléconsultation", false},
	{calllog.OutcomeTeleexpertise, "Téléexpertise", true},
	{calllog.OutcomeVisit, "Consultation en présentiel", true},
	{calllog.OutcomeHospital, "Orientation hôpital / urgences", false},
	{calllog.OutcomeAdvice, "Avis seul", false},
}

var delayChoices = []struct {
	hours int
	label string
}{{24, "Sous 24 h"}, {48, "Sous 48 h"}, {7 * 24, "Sous 7 jours"}}

// outcomePage is the page behind an SMS link: no login, the link itself is
// the credential; it shows nothing but the call's time, the GP's name and
// the specialty.
type outcomePage struct {
	links OutcomeLinks
	clock clock.Clock
	log   *zap.Logger
	tmpl  *template.Template
}

func newOutcomePage(links OutcomeLinks, clk clock.Clock, log *zap.Logger) (*outcomePage, error) {
	t, err := template.New("page.html").Funcs(templateFuncs()).ParseFS(suiteFS, "suite/page.html")
	if err != nil {
		return nil, err
	}
	return &outcomePage{links: links, clock: clk, log: log, tmpl: t}, nil
}

func (p *outcomePage) show(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v, err := p.links.View(r.Context(), token, p.clock.Now())
	if err != nil {
		p.refuse(w, r, err)
		return
	}
	p.form(w, http.StatusOK, r, &v, "", "", 0)
}

func (p *outcomePage) submit(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	now := p.clock.Now()
	v, err := p.links.View(r.Context(), token, now)
	if err != nil {
		p.refuse(w, r, err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(v.FormKey)) != 1 {
		p.write(w, http.StatusForbidden, suitePage{Title: "Formulaire refusé",
			Message: "Ce formulaire n'a pas été envoyé depuis la page du lien. Rouvrez le lien reçu par SMS."})
		return
	}
	outcome := calllog.Outcome(r.PostFormValue("issue"))
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
		p.write(w, http.StatusOK, suitePage{Title: "Issue enregistrée",
			Message: "Merci : l'issue de l'appel est enregistrée. Vous pouvez fermer cette page."})
	case errors.Is(err, calllog.ErrOutcomeKeyed):
		p.write(w, http.StatusConflict, suitePage{Title: "Issue déjà enregistrée",
			Message: "L'issue de cet appel a déjà été enregistrée avec une autre réponse. Pour la corriger, contactez la coordination."})
	default:
		p.refuse(w, r, err)
	}
}

// refuse answers a link that may not be used with a page saying why.
func (p *outcomePage) refuse(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, notify.ErrLinkUsed):
		p.write(w, http.StatusGone, suitePage{Title: "Lien déjà utilisé",
			Message: "Ce lien a déjà servi : l'issue de cet appel est enregistrée. Chaque lien ne sert qu'une fois."})
	case errors.Is(err, notify.ErrLinkExpired):
		p.write(w, http.StatusGone, suitePage{Title: "Lien expiré",
			Message: "Ce lien a expiré : il n'est valable que 72 heures. Pour enregistrer l'issue de l'appel, contactez la coordination."})
	case errors.Is(err, notify.ErrLinkUnknown), errors.Is(err, calllog.ErrNotFound):
		p.write(w, http.StatusNotFound, suitePage{Title: "Lien inconnu",
			Message: "Ce lien n'existe pas. Vérifiez qu'il est complet, tel que reçu par SMS."})
	default:
		p.log.Error("outcome link", zap.Error(err)) // the token is never logged
		p.write(w, http.StatusInternalServerError, suitePage{Title: "Erreur",
			Message: "L'issue n'a pas pu être enregistrée. Réessayez dans un instant."})
	}
}

func (p *outcomePage) form(w http.ResponseWriter, status int, r *http.Request, v *notify.LinkView, problem string, outcome calllog.Outcome, delay int) {
	pg := suitePage{Title: "Issue de l'appel", Error: problem, Action: r.URL.Path, View: v}
	for _, c := range outcomeChoices {
		pg.Outcomes = append(pg.Outcomes, choice{Value: string(c.outcome), Label: c.label, Checked: c.outcome == outcome})
	}
	for _, d := range delayChoices {
		pg.Delays = append(pg.Delays, choice{Value: strconv.Itoa(d.hours), Label: d.label, Checked: d.hours == delay})
	}
	p.write(w, status, pg)
}

func (p *outcomePage) write(w http.ResponseWriter, status int, pg suitePage) {
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, pg); err != nil {
		p.log.Error("outcome page: render", zap.Error(err))
		http.Error(w, "erreur interne", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
