package console

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/internal/csvout"
)

// actionCallsExported is the journal's action for the call list export.
const actionCallsExported = journal.ActionCallsExported

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
	if err := c.accounts.Audit(r.Context(), accounts.AuditEntry{
		Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: actionCallsExported, Detail: detail,
	}); err != nil {
		c.serverError(w, r, "calls csv: audit", err)
		return
	}
	name := fmt.Sprintf("appels-%s-%s.csv", v.current.Slug, c.clock.Now().In(v.current.Location).Format("2006-01-02"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	buf := bufio.NewWriterSize(w, 64<<10)
	out, err := csvout.New(buf)
	if err != nil {
		c.log.Error("console: calls csv", zap.Error(err))
		return
	}
	_ = out.Header(callsCSVHeader()...)
	loc := v.current.Location
	rows := 0
	T, N := csvout.Text, csvout.Number
	err = c.calls.EachCall(r.Context(), c.callScope(r), sf, func(row calllog.CallRow) error {
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
		return out.Write(
			N(at.Format("02/01/2006")), N(at.Format("15:04:05")), T(row.Reference), T(frPhone(row.Caller)),
			T(row.GPRPPS), T(row.GPName), T(row.Specialty), T(resultLabel(row.Result)),
			T(row.SpecialistRPPS), T(row.SpecialistName), N(tts), N(strconv.Itoa(row.Attempts)),
			T(outcome), N(delay), T(callback),
		)
	})
	if err == nil {
		err = out.Flush()
	}
	if err == nil {
		err = buf.Flush()
	}
	if err != nil {
		// The header is gone: the download ends short and the log says why.
		c.log.Error("console: calls csv", zap.String("territory", v.current.Slug), zap.Int("rows", rows), zap.Error(err))
	}
}
