// Package billing turns the outcomes of calls into candidate billing acts
// and lists them per practitioner and month.
//
// A phone call is not itself a billable act: it leads to one. The statement
// lists the acts each practitioner may bill for the calls of a month, with
// the tariff valid on the call's date, for the practice software to bill; it
// never claims to bill, and cannot check what the line does not know (the
// patient, whether a téléconsultation was really held in video, whether the
// patient was seen in the last months).
//
// The rules are one table (Rules) read by both ActsForCall, for one call in
// Go, and Statement, for a month in SQL, so the two cannot drift apart.
// Amounts are data: the act_tariff table, versioned by date.
package billing

import (
	"fmt"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
)

// Rule says which act an outcome leads to, for whom, and under which
// conditions.
type Rule struct {
	Outcome callevent.Outcome
	Role    oncall.Role // requis: the specialist who answered; requerant: the GP
	Code    string      // act code in the nomenclature, e.g. TE2
	// MaxDelayHours, when not 0, requires the delay the specialist
	// committed to when keying the outcome to be at most this.
	MaxDelayHours int
	// WeeklyCap, when not 0, is how many of this act one practitioner may
	// bill in a week (Monday to Sunday, territory time); the calls beyond it,
	// in call order, get none.
	WeeklyCap int
	// Label names the act when no tariff is known for the call's date.
	Label string
}

// Rules is the table of candidate acts, from DESIGN.md:
//   - téléexpertise: TE2 for the specialist, RQD for the GP;
//   - téléconsultation: TC for the specialist (video only: the practice
//     software bills it only if a video consultation took place);
//   - consultation en présentiel: APC for the specialist, plus the SNP
//     majoration when the committed delay is at most 48 h, at most 20 a
//     week per specialist;
//   - orientation hôpital / urgences and avis seul: nothing.
func Rules() []Rule {
	return []Rule{
		{Outcome: callevent.OutcomeTeleexpertise, Role: oncall.Requis, Code: "TE2", Label: "Téléexpertise (médecin requis)"},
		{Outcome: callevent.OutcomeTeleexpertise, Role: oncall.Requerant, Code: "RQD", Label: "Demande de téléexpertise (médecin requérant)"},
		{Outcome: callevent.OutcomeTeleconsultation, Role: oncall.Requis, Code: "TC", Label: "Téléconsultation vidéo"},
		{Outcome: callevent.OutcomeVisit, Role: oncall.Requis, Code: "APC", Label: "Avis ponctuel de consultant"},
		{Outcome: callevent.OutcomeVisit, Role: oncall.Requis, Code: "SNP", MaxDelayHours: 48, WeeklyCap: 20,
			Label: "Majoration soins non programmés"},
	}
}

// Act is one candidate act of one practitioner for one call.
type Act struct {
	CallID string
	At     time.Time // when the call started
	Role   oncall.Role
	RPPS   string
	Code   string
	Label  string
}

// ActsForCall returns the candidate acts a call leads to: none unless the
// GP and a specialist were put through and the specialist keyed the
// outcome. usedThisWeek tells how many of a capped act (WeeklyCap) the
// practitioner already has earlier in the call's week; it may be nil when
// no rule is capped.
func ActsForCall(rec calllog.CallRecord, usedThisWeek func(rpps, code string) int) []Act {
	if rec.Result != callevent.ResultBridged || rec.Outcome == nil || rec.Outcome.Status != "keyed" {
		return nil
	}
	var acts []Act
	for _, r := range Rules() {
		if r.Outcome != rec.Outcome.Outcome {
			continue
		}
		if r.MaxDelayHours > 0 && (rec.Outcome.DelayHours <= 0 || rec.Outcome.DelayHours > r.MaxDelayHours) {
			continue
		}
		rpps := rec.SpecialistRPPS
		if r.Role == oncall.Requerant {
			rpps = rec.GPRPPS
		}
		if rpps == "" {
			continue
		}
		if r.WeeklyCap > 0 && usedThisWeek != nil && usedThisWeek(rpps, r.Code) >= r.WeeklyCap {
			continue
		}
		acts = append(acts, Act{CallID: rec.ID, At: rec.StartedAt, Role: r.Role, RPPS: rpps, Code: r.Code, Label: r.Label})
	}
	return acts
}

// WeekStart is the Monday 00:00 (in loc) of the week holding t: the week
// a WeeklyCap counts in.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	back := (int(t.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
}

// Month is a calendar month of a territory.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads "2026-03".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM, e.g. 2026-03", s)
	}
	return Month{Year: t.Year(), Month: t.Month()}, nil
}

// MonthOf is the month holding t in loc.
func MonthOf(t time.Time, loc *time.Location) Month {
	t = t.In(loc)
	return Month{Year: t.Year(), Month: t.Month()}
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Start is the first instant of the month in loc.
func (m Month) Start(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

// End is the first instant of the next month in loc.
func (m Month) End(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, loc)
}

// Previous is the month before.
func (m Month) Previous() Month {
	t := time.Date(m.Year, m.Month-1, 1, 0, 0, 0, 0, time.UTC)
	return Month{Year: t.Year(), Month: t.Month()}
}
