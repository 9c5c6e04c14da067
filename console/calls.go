package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/roster"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// callsPageSize is the number of calls per page of the list.
const callsPageSize = 50

// callsFilter is the list's filter as the query string carries it: local
// dates (AAAA-MM-JJ, both inclusive), a specialty slug, a result and an
// outcome code. The same parameters drive the page and the CSV export.
type callsFilter struct {
	From, To  string
	Specialty string
	Result    string
	Outcome   string
	Page      int
}

// query is the filter as a query string, without the page.
func (f callsFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"du": f.From, "au": f.To, "specialite": f.Specialty, "resultat": f.Result, "issue": f.Outcome} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// Active says whether any filter is set (the page offers to clear them).
func (f callsFilter) Active() bool { return len(f.query()) > 0 }

type specialtyOption = roster.SpecialtyChoice

// parseCallsFilter reads the filter of a request and turns it into the
// store's: dates are days of the territory's calendar, so "du 2026-03-29"
// starts at local midnight whatever the daylight-saving time. The error
// says, in French, which field is wrong.
func parseCallsFilter(q url.Values, loc *time.Location, specialties []specialtyOption) (callsFilter, calllog.CallFilter, error) {
	f := callsFilter{
		From: strings.TrimSpace(q.Get("du")), To: strings.TrimSpace(q.Get("au")),
		Specialty: q.Get("specialite"), Result: q.Get("resultat"), Outcome: q.Get("issue"), Page: 1,
	}
	var sf calllog.CallFilter
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return f, sf, fmt.Errorf("numéro de page invalide : « %s »", p)
		}
		f.Page = n
	}
	day := func(field, value string) (time.Time, error) {
		d, err := time.ParseInLocation("2006-01-02", value, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s invalide : « %s » (format attendu AAAA-MM-JJ)", field, value)
		}
		return d, nil
	}
	var err error
	if f.From != "" {
		if sf.From, err = day("date de début", f.From); err != nil {
			return f, sf, err
		}
	}
	if f.To != "" {
		to, err := day("date de fin", f.To)
		if err != nil {
			return f, sf, err
		}
		// The whole last day: up to the next local midnight.
		sf.To = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
		if !sf.From.IsZero() && !sf.To.After(sf.From) {
			return f, sf, fmt.Errorf("la date de fin (%s) précède la date de début (%s)", f.To, f.From)
		}
	}
	if f.Specialty != "" {
		found := false
		for _, s := range specialties {
			if s.Slug == f.Specialty {
				sf.SpecialtyID, found = s.ID, true
			}
		}
		if !found {
			return f, sf, fmt.Errorf("spécialité inconnue sur ce territoire : « %s »", f.Specialty)
		}
	}
	if f.Result != "" {
		if labelOf(callResultChoices(), f.Result) == f.Result {
			return f, sf, fmt.Errorf("résultat inconnu : « %s »", f.Result)
		}
		sf.Result = callevent.Result(f.Result)
	}
	if f.Outcome != "" {
		if labelOf(callOutcomeChoices(), f.Outcome) == f.Outcome {
			return f, sf, fmt.Errorf("issue inconnue : « %s »", f.Outcome)
		}
		sf.Outcome = f.Outcome
	}
	return f, sf, nil
}

// territorySpecialties lists the current territory's specialties in menu
// order, scoped like every console read.
func (c *console) territorySpecialties(r *http.Request) ([]specialtyOption, error) {
	return c.names.SpecialtyChoices(r.Context(), c.rosterScope(r))
}

func (c *console) callScope(r *http.Request) calllog.Scope {
	v := visitOf(r)
	return calllog.Scope{Allowed: v.scope.ids(), Territory: v.current.ID}
}

type callsData struct {
	Filter      callsFilter
	Specialties []specialtyOption
	Results     []callChoice
	Outcomes    []callChoice
	Rows        []callRowView
	CountText   string // "4 appels", "Plus de 1 000 appels"
	FirstRow    int    // 1-based index of the page's first row
	LastRow     int
	PrevHref    string
	NextHref    string
	CSVHref     string
	ClearHref   string
}

// callRowView is a call list row with its French labels.
type callRowView struct {
	calllog.CallRow
	Href          string
	ResultLabel   string
	ResultTone    string
	Missed        bool
	OutcomeLabel  string
	DelayLabel    string
	TimeToSpecial string
}

func newCallRowView(slug string, r calllog.CallRow) callRowView {
	v := callRowView{
		CallRow: r, Href: "/t/" + slug + "/appels/" + r.ID,
		ResultLabel: resultLabel(r.Result), ResultTone: resultTone(r.Result), Missed: missed(r.Result),
	}
	switch r.OutcomeStatus {
	case "keyed":
		v.OutcomeLabel, v.DelayLabel = outcomeLabel(r.Outcome), delayLabel(r.DelayHours)
	case "pending":
		v.OutcomeLabel = "Issue en attente"
	}
	if r.TimeToSpecialist > 0 {
		v.TimeToSpecial = frDuration(r.TimeToSpecialist)
	}
	return v
}

// callsPage lists the territory's calls, newest first, filtered and paged.
func (c *console) callsPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	specialties, err := c.territorySpecialties(r)
	if err != nil {
		c.serverError(w, r, "calls: specialties", err)
		return
	}
	d := callsData{Specialties: specialties, Results: callResultChoices(), Outcomes: callOutcomeChoices(),
		ClearHref: "/t/" + v.current.Slug + "/appels"}
	f, sf, err := parseCallsFilter(r.URL.Query(), v.current.Location, specialties)
	d.Filter = f
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "calls", page{Title: "Appels", Section: "appels", Error: err.Error(), Data: d})
		return
	}
	res, err := c.calls.ListCalls(r.Context(), c.callScope(r), sf, f.Page, callsPageSize)
	if err != nil {
		c.serverError(w, r, "calls: list", err)
		return
	}
	for _, row := range res.Rows {
		d.Rows = append(d.Rows, newCallRowView(v.current.Slug, row))
	}
	d.FirstRow = (f.Page-1)*callsPageSize + 1
	d.LastRow = d.FirstRow + len(d.Rows) - 1
	d.CountText = callsCountText(res, d.LastRow)
	q := f.query()
	pageHref := func(n int) string {
		q := f.query()
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		return "/t/" + v.current.Slug + "/appels" + encodeQuery(q)
	}
	if f.Page > 1 {
		d.PrevHref = pageHref(f.Page - 1)
	}
	if res.More {
		d.NextHref = pageHref(f.Page + 1)
	}
	d.CSVHref = "/t/" + v.current.Slug + "/appels.csv" + encodeQuery(q)
	c.render(w, r, http.StatusOK, "calls", page{Title: "Appels", Section: "appels", Data: d})
}

// callsCountText says how many calls match: exact when counted (or when
// this is the last page), "plus de" past the count's cap or budget.
func callsCountText(res calllog.CallPage, lastRow int) string {
	switch {
	case !res.More:
		return frCount(lastRow, "appel", "appels")
	case res.Counted && !res.Capped:
		return frCount(res.Matching, "appel", "appels")
	case res.Counted:
		return "Plus de " + frThousands(res.Matching) + " appels"
	}
	return "Plus de " + frThousands(lastRow) + " appels"
}

func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
