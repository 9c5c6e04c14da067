package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/regul-sante/regul/accounts"
)

// loginCookie carries the login form's CSRF token (double submit): there is
// no session yet to hold it.
const loginCookie = "regul_login"

type loginData struct {
	Email string
	CSRF  string
	Next  string
}

func (c *console) loginPage(w http.ResponseWriter, r *http.Request) {
	if sess, err := c.loadSession(r); err == nil && sess.MFADone {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	token := make([]byte, 24)
	if _, err := rand.Read(token); err != nil {
		c.serverError(w, r, "login token", err)
		return
	}
	csrf := base64.RawURLEncoding.EncodeToString(token)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: csrf, Path: "/connexion", MaxAge: 3600,
		HttpOnly: true, Secure: c.secureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode})
	p := page{Title: "Connexion", Data: loginData{CSRF: csrf, Next: safeNext(r.URL.Query().Get("suite"))}}
	if r.URL.Query().Has("sortie") {
		p.Flash = "Vous êtes déconnecté."
	}
	c.render(w, r, http.StatusOK, "login", p)
}

func (c *console) loginSubmit(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(loginCookie)
	field := r.PostFormValue(csrfField)
	if err != nil || field == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(field)) != 1 {
		c.forbidden(w, r)
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := safeNext(r.PostFormValue("suite"))
	again := func(status int, msg string) {
		// The email typed is not shown again: the page is then the same,
		// byte for byte, whichever account was tried.
		c.render(w, r, status, "login", page{Title: "Connexion", Error: msg,
			Data: loginData{CSRF: field, Next: next}})
	}
	token, err := c.accounts.Login(r.Context(), email, r.PostFormValue("password"), c.clientInfo(r))
	if msg, status, ok := c.loginRefusal(err); ok {
		again(status, msg)
		return
	}
	if err != nil {
		c.serverError(w, r, "login", err)
		return
	}
	c.setSessionCookie(w, r, token)
	target := "/double-facteur"
	if next != "/" {
		target += "?suite=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// loginRefusal turns the refusals of a login step into a French message
// and a status; ok is false for other errors (and nil).
func (c *console) loginRefusal(err error) (msg string, status int, ok bool) {
	var locked *accounts.LockedError
	var limited *accounts.RateLimitedError
	switch {
	case err == nil:
		return "", 0, false
	case errors.Is(err, accounts.ErrBadCredentials):
		// The same words for a wrong password, an unknown email and a
		// locked account: the answer must not tell which accounts exist.
		return "Adresse e-mail ou mot de passe incorrect. Après plusieurs échecs, le compte est bloqué 15 minutes.", http.StatusUnauthorized, true
	case errors.Is(err, accounts.ErrWrongCode):
		return "Code incorrect. Saisissez le code à 6 chiffres affiché par votre application (vérifiez que l'heure du téléphone est juste).", http.StatusUnauthorized, true
	case errors.Is(err, accounts.ErrCodeReused):
		return "Ce code a déjà servi. Attendez le code suivant (il change toutes les 30 secondes).", http.StatusUnauthorized, true
	case errors.As(err, &locked):
		return fmt.Sprintf("Compte verrouillé après plusieurs échecs, jusqu'à %s. Réessayez ensuite, ou demandez à un administrateur de vérifier votre compte.",
			frUntil(locked.Until, c.clock.Now(), parisOrUTC())), http.StatusLocked, true
	case errors.As(err, &limited):
		minutes := int(math.Ceil(limited.RetryAfter.Minutes()))
		return fmt.Sprintf("Trop de tentatives de connexion. Réessayez dans %s.", frCount(minutes, "minute", "minutes")),
			http.StatusTooManyRequests, true
	case errors.Is(err, accounts.ErrDisabled):
		return "Ce compte est désactivé. Adressez-vous à l'administrateur de la ligne.", http.StatusForbidden, true
	}
	return "", 0, false
}

// safeNext keeps a post-login target on this site: a path, never
// "//host" or "https://…".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

type secondFactorData struct {
	Secret     string // grouped by four, for typing
	RawSecret  string // as is, for tests and copy-paste
	QR         template.URL
	Email      string
	Next       string
	Enrolment  bool
	SecretFail bool
}

func (c *console) secondFactorPage(w http.ResponseWriter, r *http.Request) {
	c.renderSecondFactor(w, r, http.StatusOK, "")
}

func (c *console) renderSecondFactor(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	v := visitOf(r)
	d := secondFactorData{Email: v.sess.Account.Email, Next: safeNext(r.FormValue("suite"))}
	title := "Code de vérification"
	if !v.sess.Account.TOTPEnrolled {
		title = "Activer la double authentification"
		secret, err := c.accounts.EnrolmentSecret(r.Context(), v.sess)
		if err != nil {
			c.serverError(w, r, "TOTP enrolment", err)
			return
		}
		png, err := qrcode.Encode(accounts.TOTPURI(c.issuer, v.sess.Account.Email, secret), qrcode.Medium, 240)
		if err != nil {
			c.serverError(w, r, "TOTP QR code", err)
			return
		}
		d.Enrolment = true
		d.RawSecret = secret
		d.Secret = accounts.GroupSecret(secret)
		d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	c.render(w, r, status, "second-factor", page{Title: title, Error: errMsg, Data: d})
}

func (c *console) secondFactorSubmit(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	token, err := c.accounts.CompleteLogin(r.Context(), v.sess, r.PostFormValue("code"), c.clientInfo(r))
	if msg, status, ok := c.loginRefusal(err); ok {
		c.renderSecondFactor(w, r, status, msg)
		return
	}
	if err != nil {
		c.serverError(w, r, "second factor", err)
		return
	}
	c.setSessionCookie(w, r, token)
	http.Redirect(w, r, safeNext(r.PostFormValue("suite")), http.StatusSeeOther)
}

func (c *console) logout(w http.ResponseWriter, r *http.Request) {
	if err := c.accounts.Logout(r.Context(), visitOf(r).sess); err != nil {
		c.serverError(w, r, "logout", err)
		return
	}
	c.clearSessionCookie(w, r)
	http.Redirect(w, r, "/connexion?sortie=1", http.StatusSeeOther)
}

// home sends the coordinator to their first territory.
func (c *console) home(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if len(v.territories) == 0 {
		c.renderError(w, r, http.StatusOK, "Aucun territoire",
			"Votre compte n'est rattaché à aucun territoire. Demandez à l'administrateur de vous en attribuer un.")
		return
	}
	http.Redirect(w, r, "/t/"+v.territories[0].Slug+"/", http.StatusSeeOther)
}
