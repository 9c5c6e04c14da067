package console

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/notify"
)

//go:embed linkpage/layout.html rappel/page.html suite/page.html
var linkPageFS embed.FS

// linkPage is what the pages behind the specialists' SMS links share: no
// login (the link is the credential), one layout, no cache and no referrer
// (the token is in the URL), and the same answers to a form sent from
// elsewhere or a link that may not be used.
type linkPage struct {
	what string // the link, in logs (never its token)
	log  *zap.Logger
	tmpl *template.Template
}

// newLinkPage parses the layout with the page's "card".
func newLinkPage(what, card string, log *zap.Logger) (linkPage, error) {
	t, err := template.New("layout.html").Funcs(templateFuncs()).ParseFS(linkPageFS, "linkpage/layout.html", card)
	if err != nil {
		return linkPage{}, err
	}
	return linkPage{what: what, log: log, tmpl: t}, nil
}

// linkNote is a link page with nothing but a title and a message.
type linkNote struct {
	Title, Message string
	View           any // always nil: no card
}

// linkRefusals are what a page says when its link may not be used.
type linkRefusals struct {
	Used, Expired linkNote
	Failed        string // the message when something else went wrong
}

// refuse answers a link that may not be used with a page saying why.
func (p linkPage) refuse(w http.ResponseWriter, err error, says linkRefusals) {
	switch {
	case errors.Is(err, notify.ErrLinkUsed):
		p.write(w, http.StatusGone, says.Used)
	case errors.Is(err, notify.ErrLinkExpired):
		p.write(w, http.StatusGone, says.Expired)
	case errors.Is(err, notify.ErrLinkUnknown):
		p.write(w, http.StatusNotFound, linkNote{Title: "Lien inconnu",
			Message: "Ce lien n'existe pas. Vérifiez qu'il est complet, tel que reçu par SMS."})
	default:
		p.log.Error(p.what, zap.Error(err))
		p.write(w, http.StatusInternalServerError, linkNote{Title: "Erreur", Message: says.Failed})
	}
}

// refuseForm answers a form that does not carry the link's form key.
func (p linkPage) refuseForm(w http.ResponseWriter) {
	p.write(w, http.StatusForbidden, linkNote{Title: "Formulaire refusé",
		Message: "Ce formulaire n'a pas été envoyé depuis la page du lien. Rouvrez le lien reçu par SMS."})
}

func (p linkPage) write(w http.ResponseWriter, status int, data any) {
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, data); err != nil {
		p.log.Error(p.what+": render", zap.Error(err))
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
