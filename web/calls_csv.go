package web

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/coordinator"
	"github.com/regul-sante/regul/notify"
)

// actionCallsExported is the journal's action for the call list export.
const actionCallsExported = "calls.exported"

// callsCSVHeader names the export's columns. The file is UTF-8 with a byte
// order mark and ';' between fields, CRLF line ends: what a French-locale
// Excel opens right with a double click (LibreOffice asks and guesses ';').
// Durations are whole seconds, so no decimal comma is ever at stake.
func callsCSVHeader() []string {
	return []string{"date", "heure", "reference", "appelant", "rpps_generaliste", "generaliste", "specialite", "resultat",
		"rpps_specialiste", "specialiste", "delai_specialiste_s", "tentatives", "issue", "delai_reponse_h", "rappel",
	}
}

// callsCSV exports the calls the list's filter selects (every page), newest
// first. The export is journaled before the first byte goes out: a file
// that left the server always has its trace.
func (c *console) callsCSV(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	specialties, err := c.territorySpecialties(r)
	if err != nil {
		c.serverError(w, r, "calls csv: specialties", err)
		return
	}
	f, sf, err := parseCallsFilter(r.URL.Query(), v.current.Location, specialties)
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "Export impossible : %s.\n", err)
		return
	}
	detail := map[string]any{"export": "appels"}
	for k, vals := range f.query() {
		detail[k] = vals[0]
	}
	if err := c.accounts.Audit(r.Context(), coordinator.AuditEntry{
		Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionCallsExported, Detail: detail,
	}); err != nil {
		c.serverError(w, r, "calls csv: audit", err)
		return
	}
	name := fmt.Sprintf("appels-%s-%s.csv", v.current.Slug, c.now().In(v.current.Location).Format("2006-01-02"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	buf := bufio.NewWriterSize(w, 64<<10)
	_, _ = buf.WriteString("\ufeff")
	out := csv.NewWriter(buf)
	out.Comma, out.UseCRLF = ';', true
	_ = out.Write(callsCSVHeader())
	loc := v.current.Location
	rows := 0
	err = calllog.NewStore(c.pool).EachCall(r.Context(), c.callScope(r), sf, func(row calllog.CallRow) error {
		rows++
		at := row.StartedAt.In(loc)
		tts, delay, outcome := "", "", ""
		if row.TimeToSpecialist > 0 {
			tts = strconv.Itoa(int(row.TimeToSpecialist.Seconds() + 0.5))
		}
		switch row.OutcomeStatus {
		case "keyed":
			outcome = outcomeLabel(row.Outcome)
			if row.DelayHours > 0 {
				delay = strconv.Itoa(row.DelayHours)
			}
		case "pending":
			outcome = "Issue en attente"
		}
		callback := ""
		if row.CallbackID != 0 {
			callback = "fait"
			if row.CallbackOpen {
				callback = "à faire"
			}
		}
		return out.Write([]string{
			at.Format("02/01/2006"), at.Format("15:04:05"), notify.Reference(row.ID), frPhone(row.Caller),
			row.GPRPPS, spreadsheetSafe(row.GPName), spreadsheetSafe(row.Specialty), resultLabel(row.Result),
			row.SpecialistRPPS, spreadsheetSafe(row.SpecialistName), tts, strconv.Itoa(row.Attempts),
			outcome, delay, callback,
		})
	})
	out.Flush()
	if err == nil {
		err = out.Error()
	}
	if err == nil {
		err = buf.Flush()
	}
	if err != nil {
		// The header is gone: the download ends short and the log says why.
		c.log.Error("console: calls csv", zap.String("territory", v.current.Slug), zap.Int("rows", rows), zap.Error(err))
	}
}

// spreadsheetSafe keeps a cell from being read as a formula by a
// spreadsheet (a name starting with "=", "+", "-" or "@").
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
