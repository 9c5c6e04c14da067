package billing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type world struct {
	pool             *pgxpool.Pool
	coteaux, vallee  int64
	cardio, valCardo int64
	paris            *time.Location
	n                int
}

const (
	martin  = "10002000015"
	bernard = "10002000023"
	dubois  = "10003000014"
	lambert = "10003000022"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{pool: pgtest.New(t)}
	var err error
	if w.paris, err = time.LoadLocation("Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.pool.QueryRow(ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-coteaux', 'CPTS des Coteaux') RETURNING id`).Scan(&w.coteaux))
	must(w.pool.QueryRow(ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-vallee', 'CPTS de la Vallée') RETURNING id`).Scan(&w.vallee))
	must(w.pool.QueryRow(ctx, `INSERT INTO specialty (territory_id, slug, label, menu_digit) VALUES ($1, 'cardiologie', 'cardiologie', 1) RETURNING id`, w.coteaux).Scan(&w.cardio))
	must(w.pool.QueryRow(ctx, `INSERT INTO specialty (territory_id, slug, label, menu_digit) VALUES ($1, 'cardiologie', 'cardiologie', 1) RETURNING id`, w.vallee).Scan(&w.valCardo))
	_, err = w.pool.Exec(ctx, `INSERT INTO practitioner (rpps, last_name, first_name) VALUES
		('10002000015', 'MARTIN', 'Claire'), ('10002000023', 'BERNARD', 'Hugo'),
		('10003000014', 'DUBOIS', 'Marie'), ('10003000022', 'LAMBERT', 'Jean')`)
	must(err)
	return w
}

// call records one call through the call-record events, as the line
// writes them. outcome "" leaves it pending; result other than bridged
// ends the call before any specialist.
func (w *world) call(t *testing.T, territory int64, localStart string, gp, specialist string, outcome callevent.Outcome, delay int) string {
	t.Helper()
	start, err := time.ParseInLocation("2006-01-02 15:04", localStart, w.paris)
	if err != nil {
		t.Fatal(err)
	}
	w.n++
	id := fmt.Sprintf("b1110000-0000-4000-8000-%012d", w.n)
	specialty := w.cardio
	if territory == w.vallee {
		specialty = w.valCardo
	}
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	evs := []callevent.Event{
		{Kind: callevent.CallStarted, At: at(0), DID: "+33179000001", Caller: "+33611000014"},
		{Kind: callevent.TerritoryResolved, At: at(0), TerritoryID: territory},
		{Kind: callevent.Answered, At: at(1)},
		{Kind: callevent.Identified, At: at(15), RPPS: gp},
		{Kind: callevent.SpecialtyChosen, At: at(20), SpecialtyID: specialty},
		{Kind: callevent.AttemptStarted, At: at(21), Attempt: 1, Rank: 1, RPPS: specialist, Phone: "+33612000015"},
		{Kind: callevent.AttemptAnswered, At: at(30), Attempt: 1},
		{Kind: callevent.AttemptEnded, At: at(35), Attempt: 1, AttemptRes: callevent.AttemptAccepted},
		{Kind: callevent.Bridged, At: at(35), Attempt: 1, RPPS: specialist},
	}
	if outcome == "" {
		evs = append(evs, callevent.Event{Kind: callevent.OutcomePending, At: at(300)})
	} else {
		evs = append(evs, callevent.Event{Kind: callevent.OutcomeKeyed, At: at(300), Outcome: outcome, DelayHours: delay})
	}
	evs = append(evs, callevent.Event{Kind: callevent.CallEnded, At: at(301), Result: callevent.ResultBridged})
	for i := range evs {
		evs[i].CallID, evs[i].Seq = id, i+1
	}
	if _, err := calllog.NewStore(w.pool).ApplyEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	return id
}

// summary is a statement as "RPPS CODE amount" lines, sorted.
func summary(st Statement) []string {
	var out []string
	for _, l := range st.Lines {
		amount := "?"
		if l.Priced {
			amount = Euros(l.AmountCents)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", l.At.Format("01-02"), l.RPPS, l.Code, amount))
	}
	sort.Strings(out)
	return out
}

func TestStatementRulesAndTariffs(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	store := newStore(w.pool)

	// The tariff changes on 1 January 2026 at midnight, Paris time: 23:30
	// on 31 December is 20 €, 00:30 on 1 January (still 2025 in UTC) 23 €.
	w.call(t, w.coteaux, "2025-12-31 23:30", dubois, martin, callevent.OutcomeTeleexpertise, 168)
	w.call(t, w.coteaux, "2026-01-01 00:30", lambert, martin, callevent.OutcomeTeleexpertise, 24)
	w.call(t, w.coteaux, "2026-01-05 10:00", dubois, bernard, callevent.OutcomeTeleconsultation, 0)
	w.call(t, w.coteaux, "2026-01-06 10:00", dubois, bernard, callevent.OutcomeVisit, 48)  // APC + SNP
	w.call(t, w.coteaux, "2026-01-07 10:00", dubois, bernard, callevent.OutcomeVisit, 168) // APC only
	w.call(t, w.coteaux, "2026-01-08 10:00", dubois, bernard, callevent.OutcomeHospital, 0)
	w.call(t, w.coteaux, "2026-01-08 11:00", dubois, bernard, callevent.OutcomeAdvice, 0)
	w.call(t, w.coteaux, "2026-01-09 11:00", dubois, bernard, "", 0) // outcome never keyed
	w.call(t, w.vallee, "2026-01-09 12:00", dubois, martin, callevent.OutcomeTeleexpertise, 24)

	dec, err := store.Statement(ctx, w.coteaux, Month{2025, time.December})
	if err != nil {
		t.Fatal(err)
	}
	wantDec := []string{"12-31 10002000015 TE2 20,00", "12-31 10003000014 RQD 10,00"}
	if got := summary(dec); strings.Join(got, "\n") != strings.Join(wantDec, "\n") {
		t.Errorf("December:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantDec, "\n"))
	}
	jan, err := store.Statement(ctx, w.coteaux, Month{2026, time.January})
	if err != nil {
		t.Fatal(err)
	}
	wantJan := []string{
		"01-01 10002000015 TE2 23,00", "01-01 10003000022 RQD 10,00",
		"01-05 10002000023 TC 0,00",
		"01-06 10002000023 APC 60,00", "01-06 10002000023 SNP 15,00",
		"01-07 10002000023 APC 60,00",
	}
	if got := summary(jan); strings.Join(got, "\n") != strings.Join(wantJan, "\n") {
		t.Errorf("January:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantJan, "\n"))
	}
	if jan.TotalCents() != 2300+1000+0+6000+1500+6000 {
		t.Errorf("January total %d", jan.TotalCents())
	}
	if jan.Lines[0].LastName != "BERNARD" || jan.Lines[0].Role != oncall.Requis {
		t.Errorf("statement not ordered by practitioner: first line %+v", jan.Lines[0])
	}

	var buf bytes.Buffer
	if err := jan.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	csv := buf.String()
	if !strings.HasPrefix(csv, "\ufeffrpps;nom;prenom;role;code_acte;libelle;date;heure;reference_appel;id_appel;montant_eur\r\n") {
		t.Errorf("CSV header: %q", csv[:min(len(csv), 120)])
	}
	var ref string // the call's reference as stored: the statement reads it, never makes one
	if err := w.pool.QueryRow(context.Background(), `SELECT reference FROM call WHERE id = 'b1110000-0000-4000-8000-000000000002'`).Scan(&ref); err != nil || !callevent.ValidReference(ref) {
		t.Fatalf("reference %q: %v", ref, err)
	}
	if !strings.Contains(csv, "10002000015;MARTIN;Claire;requis;TE2;Téléexpertise (médecin requis);01/01/2026;00:30;"+ref+";") {
		t.Errorf("CSV lacks the 1 January téléexpertise in Paris time:\n%s", csv)
	}
	if n := strings.Count(csv, "\r\n"); n != 1+len(wantJan) {
		t.Errorf("CSV has %d lines, want %d", n, 1+len(wantJan))
	}

	// Another territory's statement, through a scoped store, is not found.
	if _, err := store.WithinTerritories([]int64{w.coteaux}).Statement(ctx, w.vallee, Month{2026, time.January}); !errors.Is(err, ErrNotFound) {
		t.Errorf("vallée statement through coteaux scope: %v, want ErrNotFound", err)
	}
	val, err := store.WithinTerritories([]int64{w.vallee}).Statement(ctx, w.vallee, Month{2026, time.January})
	if err != nil || len(val.Lines) != 2 {
		t.Errorf("vallée statement: %v, %d lines, want 2", err, len(val.Lines))
	}
}

// TestSNPWeeklyCap: at most 20 SNP a week per specialist, counted over the
// whole week even when it straddles two months; the APC stays.
func TestSNPWeeklyCap(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	store := newStore(w.pool)
	// Week of Monday 26 January 2026: 5 visits in January, 17 on Sunday 1
	// February; Martin has one in the same week, uncapped by Bernard's.
	for i := range 5 {
		w.call(t, w.coteaux, fmt.Sprintf("2026-01-%02d 10:00", 26+i), dubois, bernard, callevent.OutcomeVisit, 24)
	}
	for i := range 17 {
		w.call(t, w.coteaux, fmt.Sprintf("2026-02-01 %02d:00", 6+i), dubois, bernard, callevent.OutcomeVisit, 48)
	}
	w.call(t, w.coteaux, "2026-02-01 23:00", dubois, martin, callevent.OutcomeVisit, 24)
	// Monday 2 February: a new week.
	w.call(t, w.coteaux, "2026-02-02 08:00", dubois, bernard, callevent.OutcomeVisit, 24)

	count := func(st Statement, rpps, code string) int {
		n := 0
		for _, l := range st.Lines {
			if l.RPPS == rpps && l.Code == code {
				n++
			}
		}
		return n
	}
	jan, err := store.Statement(ctx, w.coteaux, Month{2026, time.January})
	if err != nil {
		t.Fatal(err)
	}
	feb, err := store.Statement(ctx, w.coteaux, Month{2026, time.February})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		st         Statement
		rpps, code string
		want       int
	}{
		{jan, bernard, "APC", 5}, {jan, bernard, "SNP", 5},
		{feb, bernard, "APC", 18}, {feb, bernard, "SNP", 15 + 1},
		{feb, martin, "APC", 1}, {feb, martin, "SNP", 1},
	} {
		if got := count(c.st, c.rpps, c.code); got != c.want {
			t.Errorf("%s %s %s: %d, want %d", c.st.Month, c.rpps, c.code, got, c.want)
		}
	}

	// ActsForCall, fed call by call in order, agrees with the SQL.
	calls := calllog.NewStore(w.pool)
	used := map[string]int{}
	var fromGo []string
	for i := 1; i <= w.n; i++ {
		rec, err := calls.Call(ctx, fmt.Sprintf("b1110000-0000-4000-8000-%012d", i))
		if err != nil {
			t.Fatal(err)
		}
		week := WeekStart(rec.StartedAt, w.paris).Format("2006-01-02")
		for _, a := range ActsForCall(rec, func(rpps, code string) int { return used[week+rpps+code] }) {
			used[week+a.RPPS+a.Code]++
			if MonthOf(a.At, w.paris) == (Month{2026, time.February}) {
				fromGo = append(fromGo, a.At.In(w.paris).Format("01-02 15:04")+" "+a.RPPS+" "+a.Code)
			}
		}
	}
	var fromSQL []string
	for _, l := range feb.Lines {
		fromSQL = append(fromSQL, l.At.Format("01-02 15:04")+" "+l.RPPS+" "+l.Code)
	}
	sort.Strings(fromGo)
	sort.Strings(fromSQL)
	if strings.Join(fromGo, "\n") != strings.Join(fromSQL, "\n") {
		t.Errorf("ActsForCall and Statement disagree:\nGo:\n%s\nSQL:\n%s", strings.Join(fromGo, "\n"), strings.Join(fromSQL, "\n"))
	}
}

func TestParseMonth(t *testing.T) {
	if m, err := ParseMonth("2026-03"); err != nil || m != (Month{2026, time.March}) {
		t.Errorf("2026-03: %v %v", m, err)
	}
	for _, bad := range []string{"", "2026-13", "03/2026", "2026-3"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := (Month{2026, time.January}).Previous(); got != (Month{2025, time.December}) {
		t.Errorf("previous of January: %v", got)
	}
}

func TestTariffsSeeded(t *testing.T) {
	w := newWorld(t)
	tariffs, err := newStore(w.pool).Tariffs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		code  string
		role  oncall.Role
		day   string
		cents int
	}{
		{"TE2", oncall.Requis, "2025-12-31", 2000}, {"TE2", oncall.Requis, "2026-01-01", 2300},
		{"RQD", oncall.Requerant, "2026-06-01", 1000}, {"APC", oncall.Requis, "2026-06-01", 6000},
		{"SNP", oncall.Requis, "2026-06-01", 1500}, {"TC", oncall.Requis, "2026-06-01", 0},
	} {
		day, _ := time.ParseInLocation("2006-01-02 15:04", c.day+" 12:00", w.paris)
		got, ok := AmountOn(tariffs, c.code, c.role, day, w.paris)
		if !ok || got != c.cents {
			t.Errorf("%s %s on %s: %d (%v), want %d", c.code, c.role, c.day, got, ok, c.cents)
		}
	}
	// Overlapping versions of one act are refused by the database.
	_, err = w.pool.Exec(context.Background(), `INSERT INTO act_tariff (code, role, amount_cents, label, valid_from)
		VALUES ('TE2', 'requis', 2500, 'x', '2026-06-01')`)
	if err == nil {
		t.Error("an overlapping TE2 version was accepted")
	}
}
