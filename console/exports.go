package console

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/roster/oncall"
)

// Journal actions of the exports: every download is traced, who and when.
const (
	actionExportBilling = journal.ActionExportBilling
	actionExportARS     = journal.ActionExportARS
)

type monthChoice struct {
	Value, Label string
}

// practitionerTotal is one practitioner's line of the statement preview.
type practitionerTotal struct {
	RPPS, Name string
	Role       string
	Acts       int
	Codes      string // "APC ×3, SNP ×2"
	Cents      int
	Unpriced   int
}

func (p practitionerTotal) Amount() string { return billing.Euros(p.Cents) + " €" }

type exportsData struct {
	Month      string // YYYY-MM of the statement shown
	MonthLabel string
	Months     []monthChoice
	Totals     []practitionerTotal
	TotalCents int
	Acts       int
	ARSFrom    string
	ARSTo      string
	Tariffs    []tariffRow
	TariffForm tariffForm
}

// tariffRow is a tariff as the page shows it.
type tariffRow struct{ billing.Tariff }

func (t tariffRow) Amount() string   { return billing.Euros(t.AmountCents) + " €" }
func (t tariffRow) RoleText() string { return billing.RoleLabel(t.Role) }

// ToEnter marks an amount still to enter: 0 € on a version in force (the
// seed's TC), which would otherwise read as "free".
func (t tariffRow) ToEnter() bool { return t.AmountCents == 0 && t.ValidTo.IsZero() }

func (d exportsData) Total() string { return billing.Euros(d.TotalCents) + " €" }

// exportsPage offers the month's billing statement (with a preview per
// practitioner), the ARS statistics and the call list, and shows the
// tariffs the statement uses.
func (c *console) exportsPage(w http.ResponseWriter, r *http.Request) {
	pg := page{Title: "Exports", Section: "exports", Flash: tariffFlash(r.URL.Query().Get("ok"))}
	month := billing.MonthOf(c.clock.Now(), visitOf(r).current.Location).Previous()
	if s := r.URL.Query().Get("mois"); s != "" {
		m, err := billing.ParseMonth(s)
		if err != nil {
			pg.Error = fmt.Sprintf("Mois « %s » invalide : choisissez un mois dans la liste.", s)
		} else {
			month = m
		}
	}
	d, err := c.exportsData(r, month)
	if errors.Is(err, billing.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "exports page", err)
		return
	}
	pg.Data = d
	c.render(w, r, http.StatusOK, "exports", pg)
}

// exportsData reads what the exports page shows for a month.
func (c *console) exportsData(r *http.Request, month billing.Month) (exportsData, error) {
	v := visitOf(r)
	loc := v.current.Location
	now := c.clock.Now()
	store := c.billing.WithinTerritories(v.scope.ids())
	st, err := store.Statement(r.Context(), v.current.ID, month)
	if err != nil {
		return exportsData{}, fmt.Errorf("billing statement preview: %w", err)
	}
	tariffs, err := store.Tariffs(r.Context())
	if err != nil {
		return exportsData{}, err
	}
	thisYear := time.Date(now.In(loc).Year(), 1, 1, 0, 0, 0, 0, loc)
	d := exportsData{
		Month: month.String(), MonthLabel: frMonth(month.Month) + " " + fmt.Sprint(month.Year),
		Months:  monthChoices(billing.MonthOf(now, loc), month),
		ARSFrom: billing.MonthOf(thisYear, loc).String(), ARSTo: billing.MonthOf(now, loc).String(),
		TotalCents: st.TotalCents(), Acts: len(st.Lines),
		TariffForm: tariffForm{CanEdit: v.sess.Account.Admin, Acts: actChoices()},
	}
	d.Totals = statementTotals(st)
	for _, t := range tariffs {
		d.Tariffs = append(d.Tariffs, tariffRow{t})
	}
	return d, nil
}

// monthChoices are the last 24 months, newest first, with the chosen one
// kept even when older.
func monthChoices(current, chosen billing.Month) []monthChoice {
	var out []monthChoice
	seen := false
	m := current
	for range 24 {
		out = append(out, monthChoice{Value: m.String(), Label: frMonth(m.Month) + " " + fmt.Sprint(m.Year)})
		seen = seen || m == chosen
		m = m.Previous()
	}
	if !seen {
		out = append(out, monthChoice{Value: chosen.String(), Label: frMonth(chosen.Month) + " " + fmt.Sprint(chosen.Year)})
	}
	return out
}

// statementTotals sums a statement per practitioner and role.
func statementTotals(st billing.Statement) []practitionerTotal {
	var out []practitionerTotal
	index := map[string]int{}
	codes := map[string]map[string]int{}
	for _, l := range st.Lines {
		key := l.RPPS + "/" + string(l.Role)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			name := l.LastName + " " + l.FirstName
			if l.LastName == "" {
				name = "(absent de l'annuaire)"
			}
			out = append(out, practitionerTotal{RPPS: l.RPPS, Name: name, Role: roleLabel(l.Role)})
			codes[key] = map[string]int{}
		}
		out[i].Acts++
		out[i].Cents += l.AmountCents
		if !l.Priced {
			out[i].Unpriced++
		}
		codes[key][l.Code]++
	}
	for key, i := range index {
		var names []string
		for code := range codes[key] {
			names = append(names, code)
		}
		sort.Strings(names)
		for k, code := range names {
			if k > 0 {
				out[i].Codes += ", "
			}
			out[i].Codes += fmt.Sprintf("%s ×%d", code, codes[key][code])
		}
	}
	return out
}

func roleLabel(r oncall.Role) string {
	if r == oncall.Requerant {
		return "Généraliste (requérant)"
	}
	return "Spécialiste (requis)"
}

// billingCSV sends the month's statement as CSV and journals the export.
func (c *console) billingCSV(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	month, err := billing.ParseMonth(r.URL.Query().Get("mois"))
	if err != nil {
		c.renderError(w, r, http.StatusBadRequest, "Export impossible",
			fmt.Sprintf("Le mois « %s » est invalide : attendu AAAA-MM, par exemple 2026-03.", r.URL.Query().Get("mois")))
		return
	}
	st, err := c.billing.WithinTerritories(v.scope.ids()).Statement(r.Context(), v.current.ID, month)
	if errors.Is(err, billing.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "billing statement", err)
		return
	}
	var buf bytes.Buffer
	if err := st.WriteCSV(&buf); err != nil {
		c.serverError(w, r, "billing statement csv", err)
		return
	}
	name := fmt.Sprintf("regul-facturation-%s-%s.csv", v.current.Slug, month)
	c.sendExport(w, r, name, buf.Bytes(), accounts.AuditEntry{
		Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionExportBilling,
		Detail: map[string]any{"mois": month.String(), "actes": len(st.Lines), "fichier": name},
	})
}

// sendExport journals the export, then sends the file: a download that
// could not be journaled is not sent.
func (c *console) sendExport(w http.ResponseWriter, r *http.Request, name string, body []byte, entry accounts.AuditEntry) {
	if err := c.accounts.Audit(r.Context(), entry); err != nil {
		c.serverError(w, r, "journal export", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	_, _ = w.Write(body)
}
