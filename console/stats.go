package console

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"time"
)

// period is a range of whole days in the territory's time zone: From at
// midnight of the first day, To at midnight after the last one.
type period struct {
	From, To time.Time
	Bucket   string // day, week or month: the charts' step
}

// Days is the number of calendar days in the period.
func (p period) Days() int {
	// Counted on the calendar, not as a time.Duration, which saturates
	// after 292 years (an absurd period then read « 106752 jours »).
	a := time.Date(p.From.Year(), p.From.Month(), p.From.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(p.To.Year(), p.To.Month(), p.To.Day(), 0, 0, 0, 0, time.UTC)
	if b.Year()-a.Year() > 100 {
		return (b.Year() - a.Year()) * 365
	}
	return int(math.Round(b.Sub(a).Hours() / 24))
}

// Last is the period's last day (To is exclusive).
func (p period) Last() time.Time { return p.To.AddDate(0, 0, -1) }

// maxPeriodDays bounds a statistics period: two years of calls.
const maxPeriodDays = 731

// parsePeriod reads du and au (YYYY-MM-DD, both included) in loc; empty
// means the 30 days up to today. A wrong value is an error saying which.
func parsePeriod(du, au string, now time.Time, loc *time.Location) (period, error) {
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	p := period{From: today.AddDate(0, 0, -29), To: today.AddDate(0, 0, 1)}
	if du != "" {
		t, err := time.ParseInLocation("2006-01-02", du, loc)
		if err != nil {
			return p, fmt.Errorf("date de début « %s » invalide (attendu AAAA-MM-JJ)", du)
		}
		p.From = t
	}
	if au != "" {
		t, err := time.ParseInLocation("2006-01-02", au, loc)
		if err != nil {
			return p, fmt.Errorf("date de fin « %s » invalide (attendu AAAA-MM-JJ)", au)
		}
		p.To = t.AddDate(0, 0, 1)
	}
	if !p.To.After(p.From) {
		return p, fmt.Errorf("la date de fin (%s) précède la date de début (%s)", au, du)
	}
	if p.Days() > maxPeriodDays {
		return p, fmt.Errorf("la période du %s au %s est trop longue : choisissez-en une de 2 ans au plus",
			p.From.Format("02/01/2006"), p.Last().Format("02/01/2006"))
	}
	switch {
	case p.Days() <= 62:
		p.Bucket = "day"
	case p.Days() <= 400:
		p.Bucket = "week"
	default:
		p.Bucket = "month"
	}
	return p, nil
}

// buckets lists the starts of the period's chart steps, in loc.
func (p period) buckets() []time.Time {
	var out []time.Time
	t := p.From
	if p.Bucket == "week" {
		t = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	}
	if p.Bucket == "month" {
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
	}
	for ; t.Before(p.To); t = p.next(t) {
		out = append(out, t)
	}
	return out
}

func (p period) next(t time.Time) time.Time {
	switch p.Bucket {
	case "week":
		return t.AddDate(0, 0, 7)
	case "month":
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// bucketLabel names a step under the chart.
func (p period) bucketLabel(t time.Time) string {
	switch p.Bucket {
	case "week":
		return "sem. " + t.Format("02/01")
	case "month":
		return frMonth(t.Month())[:3] + " " + t.Format("06")
	}
	return t.Format("02/01")
}

// StepLabel says in French what one bar is.
func (p period) StepLabel() string {
	switch p.Bucket {
	case "week":
		return "par semaine"
	case "month":
		return "par mois"
	}
	return "par jour"
}

type statsTotals struct {
	Calls, Bridged, Asked, Callbacks int
	AnswerRate                       float64 // NaN without any call asking a specialty
	Median, P90                      float64 // seconds; NaN without any bridged call
}

func (t statsTotals) RateText() string   { return frPercent(t.AnswerRate) }
func (t statsTotals) MedianText() string { return frSeconds(t.Median) }
func (t statsTotals) P90Text() string    { return frSeconds(t.P90) }
func (t statsTotals) CallsText() string  { return frNumber(float64(t.Calls)) }

type quickPeriod struct{ Label, Du, Au string }

type statsData struct {
	Period                            period
	Du, Au                            string
	Quick                             []quickPeriod
	Totals                            statsTotals
	CallsChart, RateChart, DelayChart template.HTML
	OutcomesChart, HoursChart         template.HTML
	HasOutcomes                       bool
	Callbacks                         statsCallbacks
}

// statsPage draws the period's charts; each chart is one SQL aggregate
// filtered on the coordinator's territories.
func (c *console) statsPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	loc := v.current.Location
	q := r.URL.Query()
	pg := page{Title: "Statistiques", Section: "statistiques"}
	p, err := parsePeriod(q.Get("du"), q.Get("au"), c.clock.Now(), loc)
	if err != nil {
		pg.Error = err.Error()
		p, _ = parsePeriod("", "", c.clock.Now(), loc)
	}
	d := statsData{Period: p, Du: p.From.Format("2006-01-02"), Au: p.Last().Format("2006-01-02"), Quick: quickPeriods(c.clock.Now(), loc)}
	sq, err := c.statsQuery(r)
	if err != nil {
		c.serverError(w, r, "statistics", err)
		return
	}
	series, outcomes, hours, err := sq.all(r.Context(), p)
	if err != nil {
		c.serverError(w, r, "statistics", err)
		return
	}
	d.Totals = series.totals
	if d.Callbacks, err = sq.callbacks(r.Context(), p); err != nil {
		c.serverError(w, r, "statistics: callbacks", err)
		return
	}
	d.CallsChart = stackedBars("chart-calls", "Appels "+p.StepLabel()+" : mis en relation et autres", series.labels, []chartSeries{
		{Name: "Mis en relation", Color: "#1e7a46", Values: series.bridged},
		{Name: "Autres (rappel, abandon, refus, hors horaires, incident)", Color: "#e0a526", Values: series.others},
	}, frNumber)
	d.RateChart = lineChart("chart-rate", "Taux de réponse "+p.StepLabel(), series.labels, []chartSeries{
		{Name: "Taux de réponse", Color: "#0b5563", Values: series.rate},
	}, 1, frPercent)
	d.DelayChart = lineChart("chart-delay", "Délai jusqu'au spécialiste "+p.StepLabel(), series.labels, []chartSeries{
		{Name: "Médiane", Color: "#0b5563", Values: series.median},
		{Name: "90e centile", Color: "#b42318", Values: series.p90},
	}, 0, frSeconds)
	d.HasOutcomes = len(outcomes.rows) > 0
	d.OutcomesChart = horizontalStacked("chart-outcomes", "Issues par spécialité", outcomes.rows, outcomes.series)
	d.HoursChart = heatmap("chart-hours", "Appels par jour de la semaine et heure", hours.days, hours.hours, hours.counts,
		func(v float64) string { return frCount(int(v), "appel", "appels") })
	pg.Data = d
	c.render(w, r, http.StatusOK, "stats", pg)
}

// quickPeriods are the usual choices, as links.
func quickPeriods(now time.Time, loc *time.Location) []quickPeriod {
	t := now.In(loc)
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	monthStart := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	f := func(t time.Time) string { return t.Format("2006-01-02") }
	return []quickPeriod{
		{"7 derniers jours", f(today.AddDate(0, 0, -6)), f(today)},
		{"30 derniers jours", f(today.AddDate(0, 0, -29)), f(today)},
		{"Ce mois-ci", f(monthStart), f(today)},
		{"Mois dernier", f(monthStart.AddDate(0, -1, 0)), f(monthStart.AddDate(0, 0, -1))},
		{"12 derniers mois", f(today.AddDate(-1, 0, 1)), f(today)},
		{"Cette année", f(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)), f(today)},
	}
}
