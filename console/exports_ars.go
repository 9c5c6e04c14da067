package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/internal/csvout"
)

// arsCSV sends the ARS statistics: aggregates per month and specialty
// (plus an "ensemble" line per month), never an identifier. du and au are
// months, both included.
func (c *console) arsCSV(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	loc := v.current.Location
	form := r.URL.Query()
	from, err := billing.ParseMonth(form.Get("du"))
	if err != nil {
		c.renderError(w, r, http.StatusBadRequest, "Export impossible",
			fmt.Sprintf("Le mois de début « %s » est invalide : attendu AAAA-MM, par exemple 2026-01.", form.Get("du")))
		return
	}
	to, err := billing.ParseMonth(form.Get("au"))
	if err != nil {
		c.renderError(w, r, http.StatusBadRequest, "Export impossible",
			fmt.Sprintf("Le mois de fin « %s » est invalide : attendu AAAA-MM, par exemple 2026-12.", form.Get("au")))
		return
	}
	start, end := from.Start(loc), to.End(loc)
	if !end.After(start) {
		c.renderError(w, r, http.StatusBadRequest, "Export impossible",
			fmt.Sprintf("Le mois de fin (%s) précède le mois de début (%s).", to, from))
		return
	}
	if end.Sub(start).Hours()/24 > 5*366 {
		c.renderError(w, r, http.StatusBadRequest, "Export impossible", "Au plus cinq ans par export.")
		return
	}
	var buf bytes.Buffer
	q, err := c.statsQuery(r)
	if err != nil {
		c.serverError(w, r, "ars statistics", err)
		return
	}
	lines, err := q.writeARS(r.Context(), start, end, &buf)
	if err != nil {
		c.serverError(w, r, "ars statistics", err)
		return
	}
	name := fmt.Sprintf("regul-statistiques-ars-%s-%s-%s.csv", v.current.Slug, from, to)
	c.sendExport(w, r, name, buf.Bytes(), accounts.AuditEntry{
		Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionExportARS,
		Detail: map[string]any{"du": from.String(), "au": to.String(), "lignes": lines, "fichier": name},
	})
}

// writeARS writes the ARS aggregates of [start, end) as CSV: one line per
// month and specialty (in menu order), one "ensemble" line per month.
func (q statsQuery) writeARS(ctx context.Context, start, end time.Time, out io.Writer) (int, error) {
	rows, err := q.calls.ARSRows(ctx, q.callScope(), start, end, q.loc)
	if err != nil {
		return 0, err
	}
	rank := func(r calllog.ARSRow) int {
		if r.Total {
			return len(q.specialties) + 1
		}
		n, _ := q.specialtyRank(r.SpecialtyID)
		return n
	}
	sort.SliceStable(rows, func(a, b int) bool {
		if rows[a].Month != rows[b].Month {
			return rows[a].Month < rows[b].Month
		}
		return rank(rows[a]) < rank(rows[b])
	})
	cw, err := csvout.New(out)
	if err != nil {
		return 0, err
	}
	header := []string{"mois", "specialite", "appels", "mis_en_relation", "demandes_specialite", "taux_reponse_pct",
		"delai_median_s", "delai_p90_s", "rappel_necessaire", "refus_identification", "abandons", "hors_horaires", "echecs_techniques",
		"interrompus"}
	for _, o := range calllog.ARSOutcomes {
		header = append(header, "issue_"+strings.NewReplacer("consultation_presentiel", "presentiel", "orientation_hopital", "hopital", "pending", "non_saisie").Replace(o))
	}
	header = append(header, "demandes_rappel", "rappels_traites")
	if err := cw.Header(header...); err != nil {
		return 0, err
	}
	lines := 0
	for _, r := range rows {
		_, specialty := q.specialtyRank(r.SpecialtyID)
		if r.Total {
			specialty = "ensemble"
		}
		N := csvout.Number
		rec := []csvout.Cell{N(r.Month), csvout.Text(specialty), N(itoa(r.Calls)), N(itoa(r.Bridged)), N(itoa(r.Asked)),
			N(ratePercent(r.Bridged, r.Asked)), N(msToSeconds(r.MedianMS)), N(msToSeconds(r.P90MS))}
		for _, n := range append(append(append([]int(nil), r.Results...), r.Outcomes...), r.CallbackRequests, r.CallbacksDone) {
			rec = append(rec, N(itoa(n)))
		}
		if err := cw.Write(rec...); err != nil {
			return lines, err
		}
		lines++
	}
	return lines, cw.Flush()
}

func itoa(n int) string { return strconv.Itoa(n) }

// ratePercent is "87,5" (one decimal, French comma), empty without a
// denominator.
func ratePercent(n, of int) string {
	if of == 0 {
		return ""
	}
	return strings.Replace(strconv.FormatFloat(math.Round(1000*float64(n)/float64(of))/10, 'f', 1, 64), ".", ",", 1)
}

// msToSeconds is whole seconds, empty when there is no value.
func msToSeconds(ms *float64) string {
	if ms == nil {
		return ""
	}
	return strconv.Itoa(int(math.Round(*ms / 1000)))
}
