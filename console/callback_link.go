package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/notify"
)

//go:embed rappel/page.html
var rappelFS embed.FS

// CallbackLinks are the specialists' links to call a GP back through the
// line. Reading a link never starts anything (SMS previewers fetch links):
// only the page's POST does.
type CallbackLinks interface {
	// View is what the page may show; notify.ErrLinkUnknown, ErrLinkUsed
	// or ErrLinkExpired when the link may not be used.
	View(ctx context.Context, token string, now time.Time) (notify.CallbackView, error)
	// Start claims the link's request and has the line ring the specialist
	// then the GP. notify.ErrLinkTaken when another callback of it is
	// under way; ErrLineUnavailable when the line cannot place calls now.
	Start(ctx context.Context, token string, now time.Time) error
}

// ErrLineUnavailable says the line cannot place a call now (starting,
// standby, draining): the link stays usable.
var ErrLineUnavailable = errors.New("the line cannot place calls now")

type rappelPage struct {
	Title, Message, Error string
	Action, FormKey       string
	View                  *notify.CallbackView
}

// callbackPage is the page behind a callback link: no login, the link is
// the credential; it shows who asked, for what, and one button.
type callbackPage struct {
	links CallbackLinks
	clock clock.Clock
	log   *zap.Logger
	tmpl  *template.Template
}

func newCallbackPage(links CallbackLinks, clk clock.Clock, log *zap.Logger) (*callbackPage, error) {
	t, err := template.New("page.html").Funcs(templateFuncs()).ParseFS(rappelFS, "rappel/page.html")
	if err != nil {
		return nil, err
	}
	return &callbackPage{links: links, clock: clk, log: log, tmpl: t}, nil
}

func (p *callbackPage) show(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v, err := p.links.View(r.Context(), token, p.clock.Now())
	if err != nil {
		p.refuse(w, err)
		return
	}
	p.write(w, http.StatusOK, rappelPage{Title: "Rappel par la ligne", View: &v, Action: r.URL.Path, FormKey: notify.FormKey(token)})
}

func (p *callbackPage) submit(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(notify.FormKey(token))) != 1 {
		p.write(w, http.StatusForbidden, rappelPage{Title: "Formulaire refusé",
			Message: "Ce formulaire n'a pas été envoyé depuis la page du lien. Rouvrez le lien reçu par SMS."})
		return
	}
	err := p.links.Start(r.Context(), token, p.clock.Now())
	switch {
	case err == nil:
		p.write(w, http.StatusOK, rappelPage{Title: "Appel en cours",
			Message: "La ligne appelle votre téléphone : décrochez, écoutez, puis tapez 1 pour appeler le généraliste."})
	case errors.Is(err, notify.ErrLinkTaken):
		p.write(w, http.StatusConflict, rappelPage{Title: "Rappel déjà en cours",
			Message: "Un rappel de cette demande est en cours. Si le généraliste n'est pas joint, la demande reste ouverte et vous pourrez réessayer."})
	case errors.Is(err, ErrLineUnavailable):
		p.write(w, http.StatusServiceUnavailable, rappelPage{Title: "Ligne indisponible",
			Message: "La ligne ne peut pas appeler pour l'instant. Réessayez dans un instant : votre lien reste valable."})
	default:
		p.refuse(w, err)
	}
}

// refuse answers a link that may not be used with a page saying why.
func (p *callbackPage) refuse(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, notify.ErrLinkUsed):
		p.write(w, http.StatusGone, rappelPage{Title: "Demande déjà traitée",
			Message: "Le généraliste a déjà été rappelé, ou la demande a été close par la coordination. Ce lien ne sert plus."})
	case errors.Is(err, notify.ErrLinkExpired):
		p.write(w, http.StatusGone, rappelPage{Title: "Lien expiré",
			Message: "Ce lien a expiré. Pour rappeler le généraliste, contactez la coordination."})
	case errors.Is(err, notify.ErrLinkUnknown):
		p.write(w, http.StatusNotFound, rappelPage{Title: "Lien inconnu",
			Message: "Ce lien n'existe pas. Vérifiez qu'il est complet, tel que reçu par SMS."})
	default:
		p.log.Error("callback link", zap.Error(err)) // the token is never logged
		p.write(w, http.StatusInternalServerError, rappelPage{Title: "Erreur",
			Message: "Le rappel n'a pas pu être lancé. Réessayez dans un instant."})
	}
}

func (p *callbackPage) write(w http.ResponseWriter, status int, pg rappelPage) {
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, pg); err != nil {
		p.log.Error("callback page: render", zap.Error(err))
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
