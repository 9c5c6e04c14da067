package console

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/roster/oncall"
)

// actionTariffSet journals a tariff entered from the console or the
// command line.
const actionTariffSet = journal.ActionTariffSet

// tariffForm is the « Nouveau tarif » form, as typed when refused.
type tariffForm struct {
	CanEdit bool // tariffs are national: only an admin account edits them
	Acts    []actChoice
	Act     string // "CODE/role"
	Amount  string
	From    string // YYYY-MM-DD
	Note    string
}

type actChoice struct{ Value, Label string }

// actChoices are the acts of the billing rules.
func actChoices() []actChoice {
	var out []actChoice
	for _, r := range billing.Rules() {
		out = append(out, actChoice{Value: r.Code + "/" + string(r.Role),
			Label: r.Code + " · " + r.Label + " (" + billing.RoleLabel(r.Role) + ")"})
	}
	return out
}

// tariffSet enters a new amount of an act from a date, for an admin
// account; a refused one sends the page back with the form as typed.
func (c *console) tariffSet(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if !v.sess.Account.Admin {
		c.renderError(w, r, http.StatusForbidden, "Action réservée",
			"Les tarifs sont nationaux : seul un administrateur peut les modifier.")
		return
	}
	in := tariffForm{
		Act:    r.PostFormValue("acte"),
		Amount: strings.TrimSpace(r.PostFormValue("montant")),
		From:   strings.TrimSpace(r.PostFormValue("debut")),
		Note:   strings.TrimSpace(r.PostFormValue("note")),
	}
	ch, problem := tariffChangeOf(in)
	if problem == "" {
		ch.JournalTerritoryID, ch.At = v.current.ID, c.clock.Now()
		res, err := c.billing.WithinTerritories(v.scope.ids()).SetTariff(actorContext(r).Context(), ch)
		if refusal, ok := errors.AsType[*billing.TariffRefusal](err); ok {
			problem = refusal.Reason
		} else if err != nil {
			c.serverError(w, r, "set tariff", err)
			return
		} else {
			ok := "tarif"
			if res.Unchanged {
				ok = "tarif-inchange"
			}
			http.Redirect(w, r, "/t/"+v.current.Slug+"/exports?ok="+ok+"#tariffs", http.StatusSeeOther)
			return
		}
	}
	d, err := c.exportsData(r, billing.MonthOf(c.clock.Now(), v.current.Location).Previous())
	if err != nil {
		c.serverError(w, r, "exports page", err)
		return
	}
	in.CanEdit, in.Acts = true, d.TariffForm.Acts
	d.TariffForm = in
	c.render(w, r, http.StatusUnprocessableEntity, "exports", page{Title: "Exports", Section: "exports", Data: d,
		Error: "Tarif non enregistré. " + sentence(problem)})
}

// tariffChangeOf reads the form; problem, when not empty, says in French
// what to correct.
func tariffChangeOf(in tariffForm) (billing.TariffChange, string) {
	code, role, _ := strings.Cut(in.Act, "/")
	if code == "" || role == "" {
		return billing.TariffChange{}, "choisissez un acte dans la liste"
	}
	cents, err := billing.ParseEuros(in.Amount)
	if err != nil {
		return billing.TariffChange{}, err.Error()
	}
	day, err := time.Parse(time.DateOnly, in.From)
	if err != nil {
		return billing.TariffChange{}, "date de début « " + in.From + " » invalide : choisissez une date"
	}
	return billing.TariffChange{Code: code, Role: oncall.Role(role), AmountCents: cents, ValidFrom: day, Note: in.Note}, ""
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	first, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(first)) + s[size:] + "."
}

func tariffFlash(ok string) string {
	switch ok {
	case "tarif":
		return "Le tarif est enregistré : les relevés l'appliquent aux appels à partir de sa date de début."
	case "tarif-inchange":
		return "Ce tarif était déjà en vigueur à cette date : rien n'a changé."
	}
	return ""
}
