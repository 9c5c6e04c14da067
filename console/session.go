package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
)

const sessionCookie = "regul_session"

// visit is what the middleware learned about the request's coordinator.
type visit struct {
	sess        accounts.Session
	territories []accounts.Territory // what they may see
	scope       territoryScope
	current     accounts.Territory // set under /t/{territory}/
}

type visitKey struct{}

func visitOf(r *http.Request) *visit {
	v, _ := r.Context().Value(visitKey{}).(*visit)
	return v
}

func (c *console) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   c.secureCookies || r.TLS != nil,
		// Lax keeps links from an email into the console working; every
		// state-changing request also needs the CSRF token.
		SameSite: http.SameSiteLaxMode,
	})
}

func (c *console) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// loadSession returns the request's session, or ErrSessionExpired.
func (c *console) loadSession(r *http.Request) (accounts.Session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return accounts.Session{}, accounts.ErrSessionExpired
	}
	return c.accounts.Session(r.Context(), ck.Value)
}

// unauthenticated sends a browser to the login page and anything else a 401.
func (c *console) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		target := "/connexion"
		if r.URL.Path != "/" {
			target += "?suite=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Cookie realm="regul"`)
	http.Error(w, "authentification requise", http.StatusUnauthorized)
}

// session loads the request's session; without a live one it has
// answered (login or 401) and returns false.
func (c *console) session(w http.ResponseWriter, r *http.Request) (accounts.Session, bool) {
	sess, err := c.loadSession(r)
	if errors.Is(err, accounts.ErrSessionExpired) {
		c.clearSessionCookie(w, r)
		c.unauthenticated(w, r)
		return sess, false
	}
	if err != nil {
		c.serverError(w, r, "load session", err)
		return sess, false
	}
	return sess, true
}

// signedIn runs h for a session that passed both factors, after the CSRF
// check of state-changing requests.
func (c *console) signedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := c.session(w, r)
		if !ok {
			return
		}
		if !sess.MFADone {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/double-facteur", http.StatusSeeOther)
				return
			}
			c.unauthenticated(w, r)
			return
		}
		if !c.csrfOK(r, sess.CSRFToken) {
			c.forbidden(w, r)
			return
		}
		ts, err := c.accounts.Territories(r.Context(), sess.Account)
		if err != nil {
			c.serverError(w, r, "territories", err)
			return
		}
		v := &visit{sess: sess, territories: ts, scope: newTerritoryScope(ts)}
		h(w, r.WithContext(context.WithValue(r.Context(), visitKey{}, v)))
	})
}

// inTerritory is signedIn plus the territory of the path, which must be in
// the coordinator's scope: any other answers 404, as if it did not exist.
func (c *console) inTerritory(h http.HandlerFunc) http.Handler {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request) {
		v := visitOf(r)
		t, ok := v.scope.bySlug(r.PathValue("territory"))
		if !ok {
			c.notFound(w, r)
			return
		}
		v.current = t
		h(w, r)
	})
}

// pendingOnly runs h for a session between password and second factor.
func (c *console) pendingOnly(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := c.session(w, r)
		if !ok {
			return
		}
		if sess.MFADone {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if !c.csrfOK(r, sess.CSRFToken) {
			c.forbidden(w, r)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), visitKey{}, &visit{sess: sess})))
	})
}

func (c *console) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	c.log.Error("console: "+what, zap.String("path", r.URL.Path), zap.Error(err))
	c.renderError(w, r, http.StatusInternalServerError, "Erreur interne",
		"Le serveur n'a pas pu répondre. Réessayez dans un instant ; si le problème persiste, prévenez l'administrateur.")
}

func (c *console) notFound(w http.ResponseWriter, r *http.Request) {
	c.renderError(w, r, http.StatusNotFound, "Page introuvable",
		"Cette page n'existe pas ou ne fait pas partie de vos territoires.")
}

func (c *console) forbidden(w http.ResponseWriter, r *http.Request) {
	c.renderError(w, r, http.StatusForbidden, "Requête refusée",
		"Le jeton de sécurité du formulaire manque ou a expiré. Rechargez la page et recommencez.")
}
