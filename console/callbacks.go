package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/notify"
)

// actionCallbackDone is the journal's action when a coordinator closes a
// callback request.
const actionCallbackDone = journal.ActionCallbackDone

// actionSMSHandled is the journal's action when a coordinator says they
// followed up a refused or uncertain SMS.
const actionSMSHandled = journal.ActionSMSHandled

// actionCallbackReopened is the journal's action when a close is undone.
const actionCallbackReopened = journal.ActionCallbackReopened

// smsProblem is a refused or uncertain SMS, as the Rappels page lists it.
type smsProblem = notify.Problem

type callbacksData struct {
	Open     []callbackView
	Closed   []callbackView // closed in the last callbackClosedShown
	Problems []smsProblem
	Undo     *callbackView // the request just closed, while it can be reopened
	NoteMax  int
	// SMSOff: sending is switched off while messages wait (SMSWaiting,
	// the oldest since SMSSince).
	SMSOff     bool
	SMSWaiting int
	SMSSince   string
}

// callbackClosedShown is how far back the Rappels page lists closed
// requests, with who closed them.
const callbackClosedShown = 7 * 24 * time.Hour

// smsKindLabel is a message kind in French.
func smsKindLabel(k string) string {
	switch notify.Kind(k) {
	case notify.KindCallbackSpecialist:
		return "Rappel · spécialiste"
	case notify.KindCallbackGP:
		return "Rappel · généraliste"
	case notify.KindCallbackCoordinator:
		return "Rappel · coordination"
	case notify.KindOutcomeLink:
		return "Lien d'issue"
	case notify.KindCoverageDigest:
		return "Créneaux non couverts"
	case notify.KindCallbackLink:
		return "Rappel · lien du spécialiste"
	case notify.KindCallbackTaken:
		return "Rappel · déjà pris"
	case notify.KindGPTrace:
		return "Trace pour le généraliste"
	}
	return k
}

// callbacksPage lists the open callback requests (until marked done) and
// the SMS that could not be delivered or whose fate is unknown (until
// marked handled).
func (c *console) callbacksPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	ctx := r.Context()
	now := c.clock.Now()
	store := c.callbackBook
	open, err := store.OpenCallbacks(ctx, c.callScope(r), 200)
	if err != nil {
		c.serverError(w, r, "callbacks", err)
		return
	}
	closed, err := store.ClosedCallbacks(ctx, c.callScope(r), now.Add(-callbackClosedShown), 50)
	if err != nil {
		c.serverError(w, r, "closed callbacks", err)
		return
	}
	d := callbacksData{NoteMax: calllog.CallbackNoteMax}
	for _, cb := range open {
		d.Open = append(d.Open, c.callbackViewOf(r, cb, now))
	}
	justClosed, _ := strconv.ParseInt(r.URL.Query().Get("ferme"), 10, 64)
	for _, cb := range closed {
		cv := c.callbackViewOf(r, cb, now)
		d.Closed = append(d.Closed, cv)
		if cb.ID == justClosed && cv.CanUndo {
			d.Undo = &cv
		}
	}
	problems, err := c.sms.Problems(ctx, c.smsScope(r), 100)
	if err != nil {
		c.serverError(w, r, "sms problems", err)
		return
	}
	for _, p := range problems {
		p.Kind = smsKindLabel(p.Kind)
		d.Problems = append(d.Problems, p)
	}
	if c.smsOff {
		backlog, err := c.sms.Backlog(ctx, v.current.ID)
		if err != nil {
			c.serverError(w, r, "sms backlog", err)
			return
		}
		if backlog.Waiting > 0 {
			d.SMSOff, d.SMSWaiting, d.SMSSince = true, backlog.Waiting, frAge(now.Sub(backlog.Oldest))
		}
	}
	pg := page{Title: "Rappels", Section: "rappels", Data: d}
	switch r.URL.Query().Get("ok") {
	case "fait":
		if d.Undo == nil {
			pg.Flash = "La demande de rappel est close."
		}
	case "rouvert":
		pg.Flash = "La demande de rappel est rouverte."
	case "deja":
		pg.Flash = "Cette demande de rappel était déjà close (par un autre onglet ou un collègue)."
	case "sms":
		pg.Flash = "Le SMS est marqué comme traité."
	}
	c.render(w, r, http.StatusOK, "callbacks", pg)
}

// callbackDone closes a callback request of the current territory, with
// the coordinator's optional note; the page then offers to undo it.
func (c *console) callbackDone(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, err := strconv.ParseInt(r.PathValue("callback"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	back := "/t/" + v.current.Slug + "/rappels"
	c.closeCallback(w, r, callbackClose{ref: calllog.CallbackRef{ID: id}, already: back + "?ok=deja",
		done: func(cb calllog.Callback) string {
			return back + "?ok=fait&ferme=" + strconv.FormatInt(cb.ID, 10) + "#undo"
		}})
}

// callbackClose is a close asked from one page: the request, and where
// the coordinator lands after it.
type callbackClose struct {
	ref     calllog.CallbackRef
	done    func(calllog.Callback) string // once closed
	already string                        // when it was closed already
}

// closeCallback closes a request with the form's note and journals it, for
// the Rappels page and a call's page alike.
func (c *console) closeCallback(w http.ResponseWriter, r *http.Request, cl callbackClose) {
	v := visitOf(r)
	by := v.sess.Account.Email
	cb, err := c.callbackBook.CloseCallbackJournaled(r.Context(), c.callScope(r), cl.ref, by, r.PostFormValue("note"), c.clock.Now(),
		c.accounts.JournalRow(by, v.current.ID, actionCallbackDone))
	switch {
	case errors.Is(err, calllog.ErrNotFound):
		c.notFound(w, r)
	case errors.Is(err, calllog.ErrCallbackClosed):
		http.Redirect(w, r, cl.already, http.StatusSeeOther)
	case err != nil:
		c.serverError(w, r, "close callback", err)
	default:
		http.Redirect(w, r, cl.done(cb), http.StatusSeeOther)
	}
}

// callbackReopen undoes a close of the last few minutes.
func (c *console) callbackReopen(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, err := strconv.ParseInt(r.PathValue("callback"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	back := "/t/" + v.current.Slug + "/rappels"
	if call := r.PostFormValue("appel"); call != "" {
		back = "/t/" + v.current.Slug + "/appels/" + url.PathEscape(call)
	}
	_, err = c.callbackBook.ReopenCallbackJournaled(r.Context(), c.callScope(r), calllog.CallbackRef{ID: id}, c.clock.Now(),
		c.accounts.JournalRow(v.sess.Account.Email, v.current.ID, actionCallbackReopened))
	switch {
	case errors.Is(err, calllog.ErrNotFound):
		c.notFound(w, r)
	case errors.Is(err, calllog.ErrUndoTooLate):
		c.renderError(w, r, http.StatusConflict, "Trop tard pour annuler",
			fmt.Sprintf("Cette demande a été close il y a plus de %d minutes : elle ne peut plus être rouverte d'ici.", int(calllog.CallbackUndo/time.Minute)))
	case err != nil:
		c.serverError(w, r, "reopen callback", err)
	default:
		http.Redirect(w, r, back+"?ok=rouvert", http.StatusSeeOther)
	}
}

// callbackView is a request as the Rappels page and a call's page show it.
type callbackView struct {
	calllog.Callback
	Reference string
	CallHref  string
	Age       string // "2 h 10"
	GPTel     template.URL
	Chain     []chainView
	CanUndo   bool
	UndoLeft  string // "8 min"
}

type chainView struct {
	calllog.ChainLink
	Who    string
	Tel    template.URL
	Result string
}

func (c *console) callbackViewOf(r *http.Request, cb calllog.Callback, now time.Time) callbackView {
	v := visitOf(r)
	cv := callbackView{Callback: cb, Reference: cb.Reference,
		CallHref: "/t/" + v.current.Slug + "/appels/" + cb.CallID, GPTel: telURL(cb.Caller)}
	end := now
	if !cb.DoneAt.IsZero() {
		end = cb.DoneAt
		if left := calllog.CallbackUndo - now.Sub(cb.DoneAt); left > 0 {
			cv.CanUndo = true
			cv.UndoLeft = frAge(left + time.Minute - time.Nanosecond)
		}
	}
	cv.Age = frAge(end.Sub(cb.CreatedAt))
	for _, l := range cb.Chain {
		who := l.Name
		switch {
		case who == "" && l.Rank == 0:
			who = "ligne de secours"
		case who == "":
			who = l.RPPS
		}
		if l.Rank > 0 {
			who = fmt.Sprintf("rang %d · %s", l.Rank, who)
		}
		cv.Chain = append(cv.Chain, chainView{ChainLink: l, Who: who, Tel: telURL(l.Phone), Result: attemptResultLabel(l.Result)})
	}
	return cv
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{5,14}$`)

// telURL is a tel: link for an E.164 number, empty for anything else
// (html/template refuses the tel: scheme unless told it is safe: the
// number is checked here).
func telURL(number string) template.URL {
	if !e164.MatchString(number) {
		return ""
	}
	return template.URL("tel:" + number)
}

// smsScope is the visit's scope as the outbox filters on it.
func (c *console) smsScope(r *http.Request) notify.Scope {
	v := visitOf(r)
	return notify.Scope{Allowed: v.scope.ids(), Territory: v.current.ID}
}

// smsHandled marks a refused or uncertain SMS of the current territory as
// followed up. Marking it again (a second tab, a double click) changes
// nothing and writes no second journal row.
func (c *console) smsHandled(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, err := strconv.ParseInt(r.PathValue("sms"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	by := v.sess.Account.Email
	err = c.sms.MarkHandled(r.Context(), c.smsScope(r), id, by, c.clock.Now(), c.accounts.JournalRow(by, v.current.ID, actionSMSHandled))
	if errors.Is(err, notify.ErrNoSuchProblem) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "mark SMS handled", err)
		return
	}
	http.Redirect(w, r, "/t/"+v.current.Slug+"/rappels?ok=sms", http.StatusSeeOther)
}
