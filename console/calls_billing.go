package console

import (
	"fmt"
	"net/http"

	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
)

// callBilling is the "Actes facturables" part of a call's page: the acts
// the month's statement lists for this call, or why there are none.
type callBilling struct {
	Acts       []callAct
	None       string // one French sentence when Acts is empty
	Month      string // YYYY-MM of the statement holding the call
	MonthLabel string
	TotalCents int
}

func (b callBilling) Total() string { return billing.Euros(b.TotalCents) + " €" }

type callAct struct {
	billing.Line
	Name string // "Prénom NOM", empty when not in the directory
}

func (a callAct) RoleText() string { return billing.RoleLabel(a.Role) }

// Amount is empty when no tariff of the act is valid on the call's date,
// as in the statement's CSV.
func (a callAct) Amount() string {
	if !a.Priced {
		return ""
	}
	return billing.Euros(a.AmountCents) + " €"
}

// callActs reads the call's candidate acts through the billing store
// scoped to the coordinator's territories, so the page and the statement
// apply the same rules, tariffs and weekly caps.
func (c *console) callActs(r *http.Request, rec calllog.CallRecord) (callBilling, error) {
	v := visitOf(r)
	month := billing.MonthOf(rec.StartedAt, v.current.Location)
	b := callBilling{Month: month.String(), MonthLabel: frMonth(month.Month) + " " + fmt.Sprint(month.Year)}
	if b.None = noActReason(rec); b.None != "" {
		return b, nil
	}
	lines, err := c.billingStore(v.scope.ids()).CallActs(r.Context(), rec)
	if err != nil {
		return b, err
	}
	for _, l := range lines {
		a := callAct{Line: l}
		if l.LastName != "" {
			a.Name = l.FirstName + " " + l.LastName
		}
		b.Acts = append(b.Acts, a)
		b.TotalCents += l.AmountCents
	}
	if len(b.Acts) == 0 {
		b.None = "Aucun acte candidat pour cet appel."
	}
	return b, nil
}

// noActReason says, in one sentence, why a call leads to no act; "" when
// the rules give it some.
func noActReason(rec calllog.CallRecord) string {
	switch {
	case rec.Result == "":
		return "Appel en cours : les actes seront connus une fois l'issue saisie."
	case rec.Result != calllog.ResultBridged:
		return "Aucun acte : appel non mis en relation."
	case rec.Outcome == nil || rec.Outcome.Status != "keyed":
		return "Issue non saisie : les actes seront connus une fois l'issue saisie."
	case len(billing.ActsForCall(rec, nil)) == 0:
		return fmt.Sprintf("Aucun acte : l'issue « %s » n'ouvre pas d'acte facturable.", outcomeLabel(rec.Outcome.Outcome))
	}
	return ""
}
