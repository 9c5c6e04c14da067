package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/coordinator"
	"github.com/regul-sante/regul/notify"
)

// actionCallbackDone is the journal's action when a coordinator closes a
// callback request.
const actionCallbackDone = "callback.done"

// actionSMSHandled is the journal's action when a coordinator says they
// followed up a refused or uncertain SMS.
const actionSMSHandled = "sms.handled"

type callbackRow struct {
	ID        int64
	At        time.Time
	Reference string
	GP        string
	Phone     string
	Specialty string
	// A callback through the line under way: by whom, since, its call.
	UnderWayBy    string
	UnderWaySince time.Time
	UnderWayCall  string
	Tries         int // callbacks through the line that did not reach the GP
}

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
	Open     []callbackRow
	Problems []smsProblem
}

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
		return "Trous du planning"
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
	rows, err := c.pool.Query(ctx, `
		SELECT cb.id, cb.created_at, coalesce(cl.reference, ''), coalesce(p.first_name || ' ' || p.last_name, cb.gp_rpps, ''),
		       coalesce(nullif(cl.caller, ''), ''), coalesce(s.label, ''),
		       coalesce(cp.first_name || ' ' || cp.last_name, cb.claim_rpps, ''), cb.claimed_at, coalesce(cb.claim_call_id::text, ''),
		       cb.tries
		  FROM callback_request cb
		  JOIN call cl ON cl.id = cb.call_id
		  LEFT JOIN practitioner p ON p.rpps = cb.gp_rpps
		  LEFT JOIN practitioner cp ON cp.rpps = cb.claim_rpps
		  LEFT JOIN specialty s ON s.id = cb.specialty_id
		 WHERE `+v.scope.where("cb.territory_id", 1)+` AND cb.territory_id = $2 AND cb.done_at IS NULL
		 ORDER BY cb.created_at LIMIT 200`, v.scope.ids(), v.current.ID)
	if err != nil {
		c.serverError(w, r, "callbacks", err)
		return
	}
	var d callbacksData
	d.Open, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (callbackRow, error) {
		var cb callbackRow
		var since *time.Time
		err := row.Scan(&cb.ID, &cb.At, &cb.Reference, &cb.GP, &cb.Phone, &cb.Specialty,
			&cb.UnderWayBy, &since, &cb.UnderWayCall, &cb.Tries)
		if since != nil {
			cb.UnderWaySince = *since
		}
		return cb, err
	})
	if err != nil {
		c.serverError(w, r, "callbacks", err)
		return
	}
	rows, err = c.pool.Query(ctx, `SELECT id, created_at, kind, recipient, status, coalesce(error_code, 0), coalesce(error_message, '')
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
	pg := page{Title: "Rappels", Section: "rappels", Data: d}
	switch r.URL.Query().Get("ok") {
	case "fait":
		pg.Flash = "La demande de rappel est close."
	case "sms":
		pg.Flash = "Le SMS est marqué comme traité."
	}
	c.render(w, r, http.StatusOK, "callbacks", pg)
}

// callbackDone closes a callback request of the current territory.
func (c *console) callbackDone(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, err := strconv.ParseInt(r.PathValue("callback"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	err = pgx.BeginFunc(r.Context(), c.pool, func(tx pgx.Tx) error {
		var ref string
		err := tx.QueryRow(r.Context(), `UPDATE callback_request cb SET done_at = $4, done_by = $5
			WHERE id = $3 AND done_at IS NULL AND `+v.scope.where("territory_id", 1)+` AND territory_id = $2
			RETURNING (SELECT coalesce(reference, '') FROM call WHERE id = cb.call_id)`,
			v.scope.ids(), v.current.ID, id, c.now(), v.sess.Account.Email).Scan(&ref)
		if err != nil {
			return err
		}
		return c.accounts.AuditTx(r.Context(), tx, coordinator.AuditEntry{
			Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionCallbackDone,
			Detail: map[string]any{"reference": ref},
		})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "close callback", err)
		return
	}
	http.Redirect(w, r, "/t/"+v.current.Slug+"/rappels?ok=fait", http.StatusSeeOther)
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
		return c.accounts.AuditTx(r.Context(), tx, coordinator.AuditEntry{
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
