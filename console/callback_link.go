package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/notify"
)

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

// rappelPage is the callback link's card.
type rappelPage struct {
	Title, Error    string
	Action, FormKey string
	View            *notify.CallbackView
}

// callbackPage is the page behind a callback link: no login, the link is
// the credential; it shows who asked, for what, and one button.
type callbackPage struct {
	linkPage
	links CallbackLinks
	clock clock.Clock
}

func newCallbackPage(links CallbackLinks, clk clock.Clock, log *zap.Logger) (*callbackPage, error) {
	page, err := newLinkPage("callback link", "rappel/page.html", log)
	if err != nil {
		return nil, err
	}
	return &callbackPage{linkPage: page, links: links, clock: clk}, nil
}

// callbackRefusals are the callback page's words for a link that may not
// be used.
var callbackRefusals = linkRefusals{
	Used: linkNote{Title: "Demande déjà traitée",
		Message: "Le généraliste a déjà été rappelé, ou la demande a été close par la coordination. Ce lien ne sert plus."},
	Expired: linkNote{Title: "Lien expiré",
		Message: "Ce lien a expiré. Pour rappeler le généraliste, contactez la coordination."},
	Failed: "Le rappel n'a pas pu être lancé. Réessayez dans un instant.",
}

func (p *callbackPage) show(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v, err := p.links.View(r.Context(), token, p.clock.Now())
	if err != nil {
		p.refuse(w, err, callbackRefusals)
		return
	}
	p.write(w, http.StatusOK, rappelPage{Title: "Rappel par la ligne", View: &v, Action: r.URL.Path, FormKey: notify.FormKey(token)})
}

func (p *callbackPage) submit(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(notify.FormKey(token))) != 1 {
		p.refuseForm(w)
		return
	}
	err := p.links.Start(r.Context(), token, p.clock.Now())
	switch {
	case err == nil:
		p.write(w, http.StatusOK, linkNote{Title: "Appel en cours",
			Message: "La ligne appelle votre téléphone : décrochez, écoutez, puis tapez 1 pour appeler le généraliste."})
	case errors.Is(err, notify.ErrLinkTaken):
		p.write(w, http.StatusConflict, linkNote{Title: "Rappel déjà en cours",
			Message: "Un rappel de cette demande est en cours. Si le généraliste n'est pas joint, la demande reste ouverte et vous pourrez réessayer."})
	case errors.Is(err, ErrLineUnavailable):
		p.write(w, http.StatusServiceUnavailable, linkNote{Title: "Ligne indisponible",
			Message: "La ligne ne peut pas appeler pour l'instant. Réessayez dans un instant : votre lien reste valable."})
	default:
		p.refuse(w, err, callbackRefusals)
	}
}
