package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// The console's home: first what needs the coordinator now (a gap in the
// roster nobody noticed is the fear the product names), then the counts,
// then what changed lately.

// Time windows of the home page's « À traiter » list.
const (
	homeGapDays       = 7
	homePendingAfter  = 24 * time.Hour
	homeRecentJournal = 8
)

type dashboardData struct {
	GPs, Specialists, Locked, Specialties int
	ShiftsNextWeek                        int
	Todo                                  []todoItem
	Recent                                []auditRow
	Duty                                  []dutyView
}

// dutyView is one specialty on the home page: who answers now, in calling
// order, and the next handover.
type dutyView struct {
	Label    string
	Href     string // the specialty's week on Planning
	Now      []dutyLine
	Nobody   bool   // no specialist holds a rank now
	Handover string // "mardi 24/11 08:00", "" when none within 8 days
	Next     []dutyLine
}

type dutyLine struct {
	Rank  string // "Rang 1", "Secours"
	Who   string
	Phone string
	Tel   template.URL
}

// todoItem is one line of « À traiter »: what is wrong, and a link to the
// page that fixes it.
type todoItem struct {
	Text string
	Href string // relative to the territory's home
	Tone string // danger | warn
}

// homeCounts are the home page's figures, each from its owner.
type homeCounts struct {
	callbacks      int
	oldestCallback *time.Time
	pending        int
	smsProblems    int
	gpsWithoutPIN  int
	smsWaiting     notify.Backlog
	smsOff         bool
}

func (c *console) dashboard(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	now := c.clock.Now()
	var d dashboardData
	var n homeCounts
	// v.current comes from the coordinator's scope (inTerritory), and each
	// owner filters on the scope and that id, as on the Planning page.
	rc, err := c.board.Counts(r.Context(), c.rosterScope(r), now, now.Add(homeGapDays*24*time.Hour))
	if err != nil {
		c.serverError(w, r, "dashboard", err)
		return
	}
	d.GPs, d.Specialists, d.Locked, d.Specialties, d.ShiftsNextWeek = rc.GPs, rc.Specialists, rc.Locked, rc.Specialties, rc.Shifts
	// An outcome is pending from the end of the call.
	follow, err := c.calls.FollowUps(r.Context(), c.callScope(r), now.Add(-homePendingAfter))
	if err != nil {
		c.serverError(w, r, "dashboard", err)
		return
	}
	n.callbacks, n.pending = follow.OpenCallbacks, follow.PendingOutcome
	if !follow.OldestCallback.IsZero() {
		n.oldestCallback = &follow.OldestCallback
	}
	// An SMS problem counts until a coordinator marks it handled, however old.
	if n.smsProblems, err = c.sms.ProblemCount(r.Context(), c.smsScope(r)); err != nil {
		c.serverError(w, r, "dashboard", err)
		return
	}
	if n.gpsWithoutPIN, err = c.board.GPsWithoutPIN(r.Context(), v.current.ID); err != nil {
		c.serverError(w, r, "dashboard PINs", err)
		return
	}
	if c.smsOff {
		n.smsOff = true
		if n.smsWaiting, err = c.sms.Backlog(r.Context(), v.current.ID); err != nil {
			c.serverError(w, r, "dashboard SMS", err)
			return
		}
	}
	board, err := c.board.DutyBoard(r.Context(), v.current.ID, now)
	if err != nil {
		c.serverError(w, r, "dashboard on duty", err)
		return
	}
	d.Duty = dutyViews(board, now, v.current.Location, "/t/"+v.current.Slug+"/planning")
	gaps, err := c.board.Gaps(r.Context(), v.current.ID, now, homeGapDays)
	if err != nil {
		c.serverError(w, r, "dashboard gaps", err)
		return
	}
	d.Todo = homeTodo(gaps, n, d.Locked, now, v.current.Location)
	if item, ok := c.spoolTodo(); ok {
		d.Todo = append([]todoItem{item}, d.Todo...)
	}
	if d.Recent, err = c.auditRows(r, 0, homeRecentJournal); err != nil {
		c.serverError(w, r, "dashboard journal", err)
		return
	}
	c.render(w, r, http.StatusOK, "dashboard", page{Title: "Tableau de bord", Section: "", Data: d})
}

// homeTodo lists what needs action, the roster's gaps first; empty when
// nothing does.
func homeTodo(gaps []roster.Gap, n homeCounts, locked int, now time.Time, loc *time.Location) []todoItem {
	var todo []todoItem
	// Gaps come by specialty in menu order, then by start: the first of a
	// specialty is its most urgent.
	for i := 0; i < len(gaps); {
		j := i
		for j < len(gaps) && gaps[j].SpecialtyID == gaps[i].SpecialtyID {
			j++
		}
		first := gaps[i]
		text := fmt.Sprintf("%s : 1 créneau non couvert, %s", first.Label, gapSpan(first.Start, first.End, loc))
		if j-i > 1 {
			text = fmt.Sprintf("%s : %d créneaux non couverts, le premier %s", first.Label, j-i, gapSpan(first.Start, first.End, loc))
		}
		week := mondayOf(civilOf(first.Start, loc)).isoWeek()
		todo = append(todo, todoItem{Text: text, Href: "planning?" + planningQuery(week, first.Specialty), Tone: "danger"})
		i = j
	}
	if n.callbacks > 0 {
		text := frCount(n.callbacks, "demande de rappel ouverte", "demandes de rappel ouvertes")
		if n.oldestCallback != nil {
			oldest := "il y a "
			if n.callbacks > 1 {
				oldest = "la plus ancienne il y a "
			}
			text += " · " + oldest + frAge(now.Sub(*n.oldestCallback))
		}
		todo = append(todo, todoItem{Text: text, Href: "rappels", Tone: "danger"})
	}
	if n.pending > 0 {
		todo = append(todo, todoItem{
			Text: frCount(n.pending, "appel mis en relation", "appels mis en relation") + " sans issue saisie depuis plus de 24 h",
			// The calls page filters whole days: up to the day 24 h ago
			// lists these calls, and few younger ones.
			Href: "appels?" + url.Values{"issue": {"pending"}, "au": {now.Add(-24 * time.Hour).In(loc).Format("2006-01-02")}}.Encode(),
			Tone: "warn",
		})
	}
	if n.smsProblems > 0 {
		todo = append(todo, todoItem{
			Text: frCount(n.smsProblems, "SMS refusé ou incertain", "SMS refusés ou incertains"),
			Href: "rappels#sms-problems", Tone: "warn",
		})
	}
	if n.smsOff && n.smsWaiting.Waiting > 0 {
		todo = append(todo, todoItem{
			Text: "Envoi des SMS désactivé : " + frCount(n.smsWaiting.Waiting, "message attend", "messages attendent") +
				" depuis " + frAge(now.Sub(n.smsWaiting.Oldest)) + " (identifiants Twilio à configurer)",
			Href: "rappels#sms", Tone: "danger",
		})
	}
	if n.gpsWithoutPIN > 0 {
		todo = append(todo, todoItem{
			Text: frCount(n.gpsWithoutPIN, "généraliste inscrit n'a", "généralistes inscrits n'ont") +
				" pas de code PIN : la ligne leur en demande un, ils ne peuvent pas l'utiliser",
			Href: "personnes?role=requerant", Tone: "warn",
		})
	}
	if locked > 0 {
		todo = append(todo, todoItem{
			Text: frCount(locked, "médecin verrouillé", "médecins verrouillés") + " après des codes erronés",
			Href: "personnes", Tone: "warn",
		})
	}
	return todo
}

// gapSpan is "mercredi 04/03 12:00 → 14:00", naming the second day too
// when the gap runs past midnight.
func gapSpan(start, end time.Time, loc *time.Location) string {
	a, b := start.In(loc), end.In(loc)
	day := func(t time.Time) string {
		return fmt.Sprintf("%s %02d/%02d", frWeekday(t.Weekday()), t.Day(), int(t.Month()))
	}
	if a.Year() == b.Year() && a.YearDay() == b.YearDay() {
		return fmt.Sprintf("%s %s → %s", day(a), a.Format("15:04"), b.Format("15:04"))
	}
	return fmt.Sprintf("%s %s → %s %s", day(a), a.Format("15:04"), day(b), b.Format("15:04"))
}

// frAge is how long ago, to the minute: "5 min", "2 h 10", "3 jours 4 h".
func frAge(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return "moins d'une minute"
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m < 24*60:
		return fmt.Sprintf("%d h %02d", m/60, m%60)
	}
	days, hours := m/(24*60), (m%(24*60))/60
	if hours == 0 {
		return frCount(days, "jour", "jours")
	}
	return fmt.Sprintf("%s %d h", frCount(days, "jour", "jours"), hours)
}

// spoolTodo is the « À traiter » line of call events the controller could
// not read back from its spool: calls whose record may miss a step, for the
// operator to look at (the file is named; moving it away ends the line).
func (c *console) spoolTodo() (todoItem, bool) {
	if c.spool == nil {
		return todoItem{}, false
	}
	lines, file, err := c.spool.Quarantine()
	if err != nil {
		c.log.Warn("spool quarantine unreadable", zap.Error(err))
		return todoItem{}, false
	}
	if lines == 0 {
		return todoItem{}, false
	}
	return todoItem{
		Text: frCount(lines, "événement d'appel illisible mis de côté", "événements d'appel illisibles mis de côté") +
			" par le serveur (" + file + ") : des appels peuvent avoir un historique incomplet, prévenir l'exploitant",
		Href: "appels", Tone: "danger",
	}, true
}

// dutyViews turns the roster's board into the home page's lines.
func dutyViews(board []roster.DutyNow, now time.Time, loc *time.Location, planning string) []dutyView {
	lines := func(chain []oncall.Candidate) ([]dutyLine, bool) {
		var out []dutyLine
		nobody := true
		for _, c := range chain {
			l := dutyLine{}
			if c.Fallback {
				l.Rank, l.Who = "Secours", c.Label
			} else {
				nobody = false
				l.Rank, l.Who = fmt.Sprintf("Rang %d", c.Rank), c.FirstName+" "+c.LastName
			}
			if len(c.Phones) > 0 {
				l.Phone, l.Tel = c.Phones[0], telURL(c.Phones[0])
			}
			out = append(out, l)
		}
		return out, nobody
	}
	out := make([]dutyView, 0, len(board))
	for _, b := range board {
		v := dutyView{Label: b.Specialty.Label,
			Href: planning + "?" + planningQuery(mondayOf(civilOf(now, loc)).isoWeek(), b.Specialty.Slug)}
		v.Now, v.Nobody = lines(b.Chain)
		if !b.Handover.IsZero() {
			h := b.Handover.In(loc)
			v.Handover = fmt.Sprintf("%s %02d/%02d %s", frWeekday(h.Weekday()), h.Day(), int(h.Month()), h.Format("15:04"))
			if civilOf(h, loc) == civilOf(now, loc) {
				v.Handover = "aujourd'hui " + h.Format("15:04")
			}
			v.Next, _ = lines(b.Next)
		}
		out = append(out, v)
	}
	return out
}
