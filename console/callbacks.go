package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// actionCallbackDone is the journal's action when a coordinator closes a
// callback request.
const actionCallbackDone = journal.ActionCallbackDone

// actionSMSHandled is the journal's action when a coordinator says they
// followed up a refused or uncertain SMS.
const actionSMSHandled = journal.ActionSMSHandled

// actionCallbackReopened is the journal's action when a close is undone.
const actionCallbackReopened = journal.ActionCallbackReopened

type smsProblem struct {
	ID      int64
	At      time.Time
	Kind    string
	To      string
	Status  string // failed | unknown
	Code    int
	Message string
}

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
	now := c.now()
	store := calllog.NewStore(c.pool).WithNames(roster.NewStore(c.pool))
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
	rows, err := c.pool.Query(ctx, `SELECT id, created_at, kind, recipient, status, coalesce(error_code, 0), coalesce(error_message, '')
		FROM sms_outbox WHERE `+v.scope.where("territory_id", 1)+` AND territory_id = $2
		 AND status IN ('failed', 'unknown') AND handled_at IS NULL
		ORDER BY created_at DESC LIMIT 100`, v.scope.ids(), v.current.ID)
	if err != nil {
		c.serverError(w, r, "sms problems", err)
		return
	}
	d.Problems, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (smsProblem, error) {
		var p smsProblem
		err := row.Scan(&p.ID, &p.At, &p.Kind, &p.To, &p.Status, &p.Code, &p.Message)
		p.Kind = smsKindLabel(p.Kind)
		return p, err
	})
	if err != nil {
		c.serverError(w, r, "sms problems", err)
		return
	}
	if c.smsOff {
		backlog, err := notify.Waiting(ctx, c.pool, v.current.ID)
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
	cb, err := c.closeCallback(r, calllog.CallbackRef{ID: id})
	switch {
	case errors.Is(err, calllog.ErrNotFound):
		c.notFound(w, r)
	case errors.Is(err, calllog.ErrCallbackClosed):
		http.Redirect(w, r, "/t/"+v.current.Slug+"/rappels?ok=deja", http.StatusSeeOther)
	case err != nil:
		c.serverError(w, r, "close callback", err)
	default:
		http.Redirect(w, r, "/t/"+v.current.Slug+"/rappels?ok=fait&ferme="+strconv.FormatInt(cb.ID, 10)+"#undo", http.StatusSeeOther)
	}
}

// closeCallback closes a request with the form's note and journals it.
func (c *console) closeCallback(r *http.Request, ref calllog.CallbackRef) (calllog.Callback, error) {
	v := visitOf(r)
	note := r.PostFormValue("note")
	return calllog.NewStore(c.pool).CloseCallback(r.Context(), c.callScope(r), ref, v.sess.Account.Email, note, c.now(),
		func(ctx context.Context, tx pgx.Tx, ref string) error {
			detail := map[string]any{"reference": ref}
			if n := strings.TrimSpace(note); n != "" {
				detail["note"] = n
			}
			return c.accounts.AuditTx(ctx, tx, accounts.AuditEntry{
				Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionCallbackDone, Detail: detail,
			})
		})
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
	_, err = calllog.NewStore(c.pool).ReopenCallback(r.Context(), c.callScope(r), calllog.CallbackRef{ID: id}, c.now(),
		func(ctx context.Context, tx pgx.Tx, ref string) error {
			return c.accounts.AuditTx(ctx, tx, accounts.AuditEntry{
				Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionCallbackReopened,
				Detail: map[string]any{"reference": ref},
			})
		})
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
	err = pgx.BeginFunc(r.Context(), c.pool, func(tx pgx.Tx) error {
		// FOR UPDATE: of two concurrent marks, the second reads the first's
		// handled_at once it commits, so only one journal row is written.
		var kind, ref string
		var handled bool
		err := tx.QueryRow(r.Context(), `SELECT kind, coalesce((SELECT reference FROM call WHERE id = o.call_id), ''),
				handled_at IS NOT NULL FROM sms_outbox o
			WHERE id = $3 AND status IN ('failed', 'unknown') AND `+v.scope.where("territory_id", 1)+` AND territory_id = $2
			FOR UPDATE OF o`, v.scope.ids(), v.current.ID, id).Scan(&kind, &ref, &handled)
		if err != nil || handled {
			return err
		}
		if _, err := tx.Exec(r.Context(), `UPDATE sms_outbox SET handled_at = $2, handled_by = $3 WHERE id = $1`,
			id, c.now(), v.sess.Account.Email); err != nil {
			return err
		}
		// The row id and the kind say which message; neither its text nor
		// its recipient goes to the journal.
		detail := map[string]any{"sms": id, "kind": kind}
		if ref != "" {
			detail["reference"] = ref
		}
		return c.accounts.AuditTx(r.Context(), tx, accounts.AuditEntry{
			Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionSMSHandled, Detail: detail,
		})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "mark SMS handled", err)
		return
	}
	http.Redirect(w, r, "/t/"+v.current.Slug+"/rappels?ok=sms", http.StatusSeeOther)
}
