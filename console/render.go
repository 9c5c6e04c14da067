package console

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
)

// page is what every template receives; Data is the page's own.
type page struct {
	Title   string
	Section string // highlighted in the navigation
	Visit   *visit
	Flash   string
	Error   string
	Now     time.Time
	Loc     *time.Location
	Data    any
}

// Account and helpers the layout uses.
func (p page) Account() accounts.Account {
	if p.Visit == nil {
		return accounts.Account{}
	}
	return p.Visit.sess.Account
}

func (p page) CSRF() string {
	if p.Visit == nil {
		return ""
	}
	return p.Visit.sess.CSRFToken
}

func (p page) SignedIn() bool { return p.Visit != nil && p.Visit.sess.MFADone }

func (p page) Territories() []accounts.Territory {
	if p.Visit == nil {
		return nil
	}
	return p.Visit.territories
}

func (p page) Current() accounts.Territory {
	if p.Visit == nil {
		return accounts.Territory{}
	}
	return p.Visit.current
}

type navItem struct{ Path, Label string }

// Nav is the console's sections, in the order of the issue.
func (p page) Nav() []navItem {
	return []navItem{
		{"appels", "Appels"}, {"rappels", "Rappels"}, {"planning", "Planning"}, {"personnes", "Personnes"},
		{"statistiques", "Statistiques"}, {"exports", "Exports"}, {"journal", "Journal"},
	}
}

// SectionLabel names the current section, for the phone's menu button.
func (p page) SectionLabel() string {
	for _, n := range p.Nav() {
		if n.Path == p.Section {
			return n.Label
		}
	}
	return "Accueil"
}

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"datetime": frDateTime,
		"date":     frDate,
		"clock":    frTime,
		"longdate": frLongDate,
		"until":    frUntil,
		"phone":    frPhone,
		"count":    frCount,
		"join":     strings.Join,
		"lower":    strings.ToLower,
		"zone":     zoneLabel,
	}
}

// parsePages builds one template per page: the layout plus the page's
// "content" block.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(templateFuncs()).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page whole or, if the template fails, a 500: never half
// a page.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := c.pages[name]
	if !ok {
		c.log.Error("console: no such template", zap.String("template", name))
		http.Error(w, "erreur interne", http.StatusInternalServerError)
		return
	}
	if p.Visit == nil {
		p.Visit = visitOf(r)
	}
	p.Now = c.clock.Now()
	if p.Loc == nil {
		p.Loc = p.Current().Location
	}
	if p.Loc == nil {
		p.Loc = parisOrUTC()
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		c.log.Error("console: render", zap.String("template", name), zap.Error(err))
		http.Error(w, "erreur interne", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *console) renderError(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	c.render(w, r, status, "error", page{Title: title, Data: message})
}

// parisOrUTC is the time zone of pages outside any territory (login).
func parisOrUTC() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.UTC
}
