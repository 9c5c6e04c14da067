package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/billing"
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
	q := statsQuery{pool: c.pool, scope: v.scope, territory: v.current.ID, loc: loc}
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
// month and specialty, one "ensemble" line per month, one SQL aggregate.
func (q statsQuery) writeARS(ctx context.Context, start, end time.Time, out io.Writer) (int, error) {
	outcomes := outcomeLabels()
	var outcomeCols []string
	for _, o := range outcomes {
		if o.Key == "pending" {
			outcomeCols = append(outcomeCols, `count(*) FILTER (WHERE o.status = 'pending')`)
			continue
		}
		outcomeCols = append(outcomeCols, fmt.Sprintf(`count(*) FILTER (WHERE o.outcome = '%s')`, o.Key))
	}
	rows, err := q.pool.Query(ctx, `
		SELECT m.month, coalesce(s.label, 'sans spécialité'), GROUPING(s.label, s.menu_digit) > 0,
		       count(*), count(*) FILTER (WHERE c.result = 'bridged'), count(*) FILTER (WHERE `+askedSQL+`),
		       -- Over whole seconds, as the Statistiques page's histograms
		       -- (call_stats_wait) count them: the same median on both.
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY round(c.time_to_specialist_ms / 1000.0) * 1000) FILTER (WHERE c.result = 'bridged'),
		       percentile_cont(0.9) WITHIN GROUP (ORDER BY round(c.time_to_specialist_ms / 1000.0) * 1000) FILTER (WHERE c.result = 'bridged'),
		       count(*) FILTER (WHERE c.result = 'callback'), count(*) FILTER (WHERE c.result = 'refused'),
		       count(*) FILTER (WHERE c.result = 'abandoned'), count(*) FILTER (WHERE c.result = 'out_of_hours'),
		       count(*) FILTER (WHERE c.result = 'failed'), count(*) FILTER (WHERE c.result = 'interrupted'),
		       `+strings.Join(outcomeCols, ", ")+`,
		       count(cb.id), count(cb.done_at)
		  FROM call c
		 CROSS JOIN LATERAL (SELECT to_char(c.started_at AT TIME ZONE $5, 'YYYY-MM') AS month) m
		  LEFT JOIN specialty s ON s.id = c.specialty_id
		  LEFT JOIN outcome o ON o.call_id = c.id
		  LEFT JOIN callback_request cb ON cb.call_id = c.id
		 WHERE `+q.scope.where("c.territory_id", 1)+` AND c.territory_id = $2
		   AND c.started_at >= $3 AND c.started_at < $4
		 GROUP BY GROUPING SETS ((m.month, s.menu_digit, s.label), (m.month))
		 ORDER BY m.month, GROUPING(s.label, s.menu_digit), s.menu_digit NULLS LAST`,
		q.scope.ids(), q.territory, start, end, q.loc.String())
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cw, err := csvout.New(out)
	if err != nil {
		return 0, err
	}
	header := []string{"mois", "specialite", "appels", "mis_en_relation", "demandes_specialite", "taux_reponse_pct",
		"delai_median_s", "delai_p90_s", "rappel_necessaire", "refus_identification", "abandons", "hors_horaires", "echecs_techniques",
		"interrompus"}
	for _, o := range outcomes {
		header = append(header, "issue_"+strings.NewReplacer("consultation_presentiel", "presentiel", "orientation_hopital", "hopital", "pending", "non_saisie").Replace(o.Key))
	}
	header = append(header, "demandes_rappel", "rappels_traites")
	if err := cw.Header(header...); err != nil {
		return 0, err
	}
	lines := 0
	for rows.Next() {
		var (
			month, specialty string
			total            bool
			median, p90      *float64
		)
		counts := make([]int, 3+6+len(outcomes)+2) // calls, bridged, asked; 6 results; outcomes; callbacks
		dest := []any{&month, &specialty, &total, &counts[0], &counts[1], &counts[2], &median, &p90}
		for i := 3; i < len(counts); i++ {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return lines, err
		}
		if total {
			specialty = "ensemble"
		}
		N := csvout.Number
		rec := []csvout.Cell{N(month), csvout.Text(specialty), N(itoa(counts[0])), N(itoa(counts[1])), N(itoa(counts[2])),
			N(ratePercent(counts[1], counts[2])), N(msToSeconds(median)), N(msToSeconds(p90))}
		for _, n := range counts[3:] {
			rec = append(rec, N(itoa(n)))
		}
		if err := cw.Write(rec...); err != nil {
			return lines, err
		}
		lines++
	}
	if err := rows.Err(); err != nil {
		return lines, err
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
