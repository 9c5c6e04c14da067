package console

import (
	"fmt"
	"strings"
	"time"
)

// French date formats, always in the territory's own time zone: a
// coordinator in Tours reads "02/03/2026 14:05", never UTC.

func frMonth(m time.Month) string {
	return [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
		"août", "septembre", "octobre", "novembre", "décembre"}[m-1]
}

func frWeekday(d time.Weekday) string {
	return [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}[d]
}

// frDateTime is "02/01/2006 15:04" in loc.
func frDateTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("02/01/2006 15:04")
}

// frDate is "02/01/2006" in loc.
func frDate(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("02/01/2006")
}

// frTime is "15:04" in loc.
func frTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("15:04")
}

// frLongDate is "lundi 2 mars 2026" in loc (1er for the first of the month).
func frLongDate(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %s %d", frWeekday(t.Weekday()), day, frMonth(t.Month()), t.Year())
}

// frUntil says when a lock ends: "14:32" today, else "03/03/2026 14:32".
func frUntil(t, now time.Time, loc *time.Location) string {
	a, b := t.In(loc), now.In(loc)
	if a.Year() == b.Year() && a.YearDay() == b.YearDay() {
		return a.Format("15:04")
	}
	return a.Format("02/01/2006 15:04")
}

// frPhone shows a French E.164 number the way it is dialled in France
// ("+33612000015" → "06 12 00 00 15"); other numbers stay as they are.
func frPhone(e164 string) string {
	if !strings.HasPrefix(e164, "+33") || len(e164) != 12 {
		return e164
	}
	n := "0" + e164[3:]
	return strings.Join([]string{n[0:2], n[2:4], n[4:6], n[6:8], n[8:10]}, " ")
}

// frCount is "1 généraliste" / "3 généralistes".
func frCount(n int, singular, plural string) string {
	if n == 0 || n == 1 {
		return fmt.Sprintf("%d %s", n, singular)
	}
	return fmt.Sprintf("%d %s", n, plural)
}
