package console

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/netip"

	"github.com/regul-sante/regul/internal/clock"
	"go.uber.org/zap"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ConsoleOptions configure the coordinators' console.
type ConsoleOptions struct {
	Deps   Deps        // required: every field
	Logger *zap.Logger // required
	// Clock is the pages' clock (lock states, journal times, callbacks' ages);
	// defaults to clock.System(). Sessions and TOTP run on the accounts store's.
	Clock clock.Clock
	// SecureCookies marks cookies Secure even on plain HTTP (TLS ends at a
	// proxy); requests that arrive over TLS always get Secure cookies.
	SecureCookies bool
	// Issuer names the account in authenticator apps; default "regul".
	Issuer string
	// Links, when set, serves the specialists' outcome links at /suite/…
	// (no login: the link is the credential).
	Links OutcomeLinks
	// Callbacks, when set, serves the specialists' callback links at /r/…
	// (no login: the link is the credential).
	Callbacks CallbackLinks
	// Spool, when set, reports the call-event lines the controller could
	// not read back (« À traiter »); nil for a console without one.
	Spool SpoolQuarantine
	// TrustedProxies (console.trusted_proxies): peers whose
	// X-Forwarded-For names the client for the login rate limits and the
	// audit log (see clientInfo).
	TrustedProxies []netip.Prefix
	// PublicURL is where calendar apps reach the console (notify.public_url),
	// for the subscription addresses; empty: the address a request came to.
	PublicURL string
	// SMSOff says SMS sending is switched off (no Twilio credentials): the
	// home page then warns when messages wait in the outbox.
	SMSOff bool
}

// SpoolQuarantine is the controller's call-event spool, as the home page
// sees it: how many unreadable lines it set aside, and where.
type SpoolQuarantine interface {
	Quarantine() (lines int, file string, err error)
}

// console is the handler's state: no package-level mutable globals.
type console struct {
	log           *zap.Logger
	clock         clock.Clock
	accounts      accountsDesk
	people        peopleBook
	planning      planningBook
	board         rosterBoard
	names         rosterNames
	calls         callBook
	callbackBook  callbackBook
	sms           smsDesk
	billing       billingBook
	secureCookies bool
	issuer        string
	pages         map[string]*template.Template
	outcome       *outcomePage  // nil: no /suite/ pages
	callback      *callbackPage // nil: no /r/ pages
	spool         SpoolQuarantine
	// trustedProxies: see clientInfo.
	trustedProxies []netip.Prefix
	feeds          calendarFeeds
	journal        journalReader
	stats          statsSource
	publicURL      string
	smsOff         bool
}

// NewConsole returns the coordinators' console, to be served at the root of
// its own listener (console.listen).
func NewConsole(opts ConsoleOptions) (http.Handler, error) {
	if !opts.Deps.complete() || opts.Logger == nil {
		return nil, errors.New("console: Deps and Logger are required")
	}
	d := opts.Deps
	c := &console{
		accounts:      d.Accounts,
		people:        d.People,
		planning:      d.Planning,
		board:         d.Board,
		names:         d.Names,
		calls:         d.Calls,
		callbackBook:  d.Callbacks,
		sms:           d.SMS,
		billing:       d.Billing,
		log:           opts.Logger,
		clock:         opts.Clock,
		secureCookies: opts.SecureCookies,
		issuer:        opts.Issuer,
		spool:         opts.Spool,

		trustedProxies: opts.TrustedProxies,
		feeds:          d.Feeds,
		journal:        d.Journal,
		stats:          d.Stats,
		publicURL:      opts.PublicURL,
		smsOff:         opts.SMSOff,
	}
	if c.clock == nil {
		c.clock = clock.System()
	}
	if c.issuer == "" {
		c.issuer = "regul"
	}
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	if opts.Links != nil {
		if c.outcome, err = newOutcomePage(opts.Links, c.clock, c.log); err != nil {
			return nil, fmt.Errorf("outcome page template: %w", err)
		}
	}
	if opts.Callbacks != nil {
		if c.callback, err = newCallbackPage(opts.Callbacks, c.clock, c.log); err != nil {
			return nil, fmt.Errorf("callback page template: %w", err)
		}
	}
	return c.routes(), nil
}

func (c *console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))

	mux.HandleFunc("GET /connexion", c.loginPage)
	mux.HandleFunc("POST /connexion", c.loginSubmit)
	mux.Handle("GET /double-facteur", c.pendingOnly(c.secondFactorPage))
	mux.Handle("POST /double-facteur", c.pendingOnly(c.secondFactorSubmit))
	mux.Handle("POST /deconnexion", c.signedIn(c.logout))

	if c.outcome != nil {
		mux.HandleFunc("GET /suite/{token}", c.outcome.show)
		mux.HandleFunc("POST /suite/{token}", c.outcome.submit)
	}
	mux.HandleFunc("GET /agenda/{token}", c.feedFile)
	mux.Handle("POST /t/{territory}/agendas/nouveau", c.inTerritory(c.feedIssue))
	mux.Handle("POST /t/{territory}/agendas/revoquer", c.inTerritory(c.feedRevoke))
	if c.callback != nil {
		mux.HandleFunc("GET /r/{token}", c.callback.show)
		mux.HandleFunc("POST /r/{token}", c.callback.submit)
	}
	mux.Handle("GET /{$}", c.signedIn(c.home))
	mux.Handle("GET /t/{territory}/{$}", c.inTerritory(c.dashboard))
	c.peopleRoutes(mux)
	mux.Handle("GET /t/{territory}/journal", c.inTerritory(c.journalPage))
	mux.Handle("GET /t/{territory}/appels", c.inTerritory(c.callsPage))
	mux.Handle("GET /t/{territory}/appels.csv", c.inTerritory(c.callsCSV))
	mux.Handle("GET /t/{territory}/appels/{call}", c.inTerritory(c.callDetail))
	mux.Handle("POST /t/{territory}/appels/{call}/rappel-fait", c.inTerritory(c.callCallbackDone))
	mux.Handle("GET /t/{territory}/rappels", c.inTerritory(c.callbacksPage))
	mux.Handle("POST /t/{territory}/rappels/{callback}/fait", c.inTerritory(c.callbackDone))
	mux.Handle("POST /t/{territory}/rappels/{callback}/rouvrir", c.inTerritory(c.callbackReopen))
	mux.Handle("POST /t/{territory}/rappels/sms/{sms}/traite", c.inTerritory(c.smsHandled))
	c.planningRoutes(mux)
	mux.Handle("GET /t/{territory}/statistiques", c.inTerritory(c.statsPage))
	mux.Handle("GET /t/{territory}/exports", c.inTerritory(c.exportsPage))
	mux.Handle("GET /t/{territory}/exports/facturation.csv", c.inTerritory(c.billingCSV))
	mux.Handle("GET /t/{territory}/exports/ars.csv", c.inTerritory(c.arsCSV))
	mux.Handle("POST /t/{territory}/exports/tarifs", c.inTerritory(c.tariffSet))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.notFound(w, r)
	})
	return c.protect(mux)
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}
