package billing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// versionsOf lists an act's versions as "from..to amount label".
func versionsOf(t *testing.T, store *Store, code string) []string {
	t.Helper()
	tariffs, err := store.Tariffs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tf := range tariffs {
		if tf.Code != code {
			continue
		}
		to := "open"
		if !tf.ValidTo.IsZero() {
			to = tf.ValidTo.Format("2006-01-02")
		}
		out = append(out, tf.ValidFrom.Format("2006-01-02")+".."+to+" "+Euros(tf.AmountCents)+" "+tf.Label)
	}
	return out
}

func journalRows(t *testing.T, w *world) []string {
	t.Helper()
	rows, err := w.pool.Query(context.Background(), `SELECT actor || ' ' || action || ' ' || detail::text
		FROM audit_log WHERE action = $1 ORDER BY id`, journal.ActionTariffSet)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestSetTariffFromMarch: TC gets an amount from 1 March 2026; February's
// statement keeps 0 €, March's has the new amount, the label loses its
// "to enter" marker, the journal says who and what.
func TestSetTariffFromMarch(t *testing.T) {
	w := newWorld(t)
	ctx := roster.WithActor(context.Background(), "cli:claire")
	store := newStore(w.pool)
	w.call(t, w.coteaux, "2026-02-28 23:30", dubois, bernard, callevent.OutcomeTeleconsultation, 0)
	w.call(t, w.coteaux, "2026-03-01 00:30", dubois, bernard, callevent.OutcomeTeleconsultation, 0)

	change := TariffChange{Code: "TC", Role: oncall.Requis, AmountCents: 2500, ValidFrom: day("2026-03-01"),
		Note: "secteur 1", JournalTerritoryID: w.coteaux, At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	res, err := store.SetTariff(ctx, change)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged || res.Corrected || res.Closed.ValidTo != day("2026-02-28") || res.Version.Label != "Téléconsultation vidéo" {
		t.Errorf("result %+v", res)
	}
	want := []string{
		"2000-01-01..2026-02-28 0,00 Téléconsultation vidéo (montant à compléter)",
		"2026-03-01..open 25,00 Téléconsultation vidéo",
	}
	if got := versionsOf(t, store, "TC"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("TC versions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	feb, err := store.Statement(ctx, w.coteaux, Month{2026, time.February})
	if err != nil {
		t.Fatal(err)
	}
	mar, err := store.Statement(ctx, w.coteaux, Month{2026, time.March})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(feb); len(got) != 1 || got[0] != "02-28 10002000023 TC 0,00" {
		t.Errorf("February: %v", got)
	}
	if got := summary(mar); len(got) != 1 || got[0] != "03-01 10002000023 TC 25,00" {
		t.Errorf("March: %v", got)
	}
	var at time.Time
	var territory int64
	if err := w.pool.QueryRow(ctx, `SELECT at, territory_id FROM audit_log WHERE action = $1`, journal.ActionTariffSet).Scan(&at, &territory); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(change.At) || territory != w.coteaux {
		t.Errorf("journal row at %v in territory %d", at, territory)
	}
	wantJournal := `cli:claire tariff.set {"du": "2026-03-01", "code": "TC", "role": "requis", "montant": "25,00"}`
	if got := journalRows(t, w); len(got) != 1 || got[0] != wantJournal {
		t.Errorf("journal: %q, want %q", got, wantJournal)
	}

	// The same change again writes nothing, journals nothing.
	again, err := store.SetTariff(ctx, change)
	if err != nil || !again.Unchanged {
		t.Errorf("repeat: %+v, %v", again, err)
	}
	if n := len(journalRows(t, w)); n != 1 {
		t.Errorf("%d journal rows after a repeat, want 1", n)
	}
	if got := versionsOf(t, store, "TC"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("TC versions after a repeat:\n%s", strings.Join(got, "\n"))
	}

	// A mistyped amount is corrected on the same date; the journal keeps
	// the amount it replaced.
	fixed := change
	fixed.AmountCents = 2650
	res, err = store.SetTariff(ctx, fixed)
	if err != nil || !res.Corrected {
		t.Fatalf("correction: %+v, %v", res, err)
	}
	if got := versionsOf(t, store, "TC"); got[1] != "2026-03-01..open 26,50 Téléconsultation vidéo" || len(got) != 2 {
		t.Errorf("TC versions after a correction: %q", got)
	}
	if got := journalRows(t, w); len(got) != 2 || !strings.Contains(got[1], `"remplace": "25,00"`) {
		t.Errorf("journal after a correction: %q", got)
	}
}

// TestSetTariffRefusals: a version already starting later, an unknown
// act, a negative amount: refused, nothing written.
func TestSetTariffRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	store := newStore(w.pool)
	before := versionsOf(t, store, "TE2")
	for name, c := range map[string]struct {
		change      TariffChange
		field, want string
	}{
		"before the 2026 version": {TariffChange{Code: "TE2", Role: oncall.Requis, AmountCents: 2100, ValidFrom: day("2025-06-01")},
			"from", "une version du tarif TE2 commence déjà le 01/01/2026"},
		"unknown code": {TariffChange{Code: "XYZ", Role: oncall.Requis, AmountCents: 100, ValidFrom: day("2026-06-01")},
			"code", "acte inconnu : XYZ (requis)"},
		"known code, other role": {TariffChange{Code: "TE2", Role: oncall.Requerant, AmountCents: 100, ValidFrom: day("2026-06-01")},
			"code", "acte inconnu : TE2 (requérant)"},
		"negative": {TariffChange{Code: "TE2", Role: oncall.Requis, AmountCents: -1, ValidFrom: day("2026-06-01")},
			"amount", "positif ou nul"},
		"no date": {TariffChange{Code: "TE2", Role: oncall.Requis, AmountCents: 2500},
			"from", "date de début manquante"},
		"long note": {TariffChange{Code: "TE2", Role: oncall.Requis, AmountCents: 2500, ValidFrom: day("2026-06-01"), Note: strings.Repeat("é", 301)},
			"note", "note de 301 caractères : au plus 300"},
	} {
		_, err := store.SetTariff(ctx, c.change)
		var refusal *TariffRefusal
		if !errors.As(err, &refusal) || refusal.Field != c.field || !strings.Contains(refusal.Reason, c.want) {
			t.Errorf("%s: %v, want %s refusal %q", name, err, c.field, c.want)
		}
	}
	if got := versionsOf(t, store, "TE2"); strings.Join(got, "\n") != strings.Join(before, "\n") {
		t.Errorf("TE2 changed by refused changes:\n%s", strings.Join(got, "\n"))
	}
	if n := len(journalRows(t, w)); n != 0 {
		t.Errorf("%d journal rows for refused changes", n)
	}

	// An act of the rules with no tariff at all is unknown too: there is
	// no version to take a label from.
	if _, err := w.pool.Exec(ctx, `DELETE FROM act_tariff WHERE code = 'SNP'`); err != nil {
		t.Fatal(err)
	}
	_, err := store.SetTariff(ctx, TariffChange{Code: "SNP", Role: oncall.Requis, AmountCents: 1500, ValidFrom: day("2026-06-01")})
	var refusal *TariffRefusal
	if !errors.As(err, &refusal) || refusal.Field != "code" {
		t.Errorf("SNP without any version: %v", err)
	}
}

// TestSetTariffKeepsLaterEnd: a new amount inside a closed version (an act
// withdrawn at a date) ends where that version ended.
func TestSetTariffKeepsLaterEnd(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	store := newStore(w.pool)
	if _, err := w.pool.Exec(ctx, `UPDATE act_tariff SET valid_to = '2026-12-31' WHERE code = 'APC'`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetTariff(ctx, TariffChange{Code: "APC", Role: oncall.Requis, AmountCents: 6500,
		ValidFrom: day("2026-07-01"), Label: "Avis ponctuel de consultant (APC)"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2000-01-01..2026-06-30 60,00 Avis ponctuel de consultant",
		"2026-07-01..2026-12-31 65,00 Avis ponctuel de consultant (APC)",
	}
	if got := versionsOf(t, store, "APC"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("APC versions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The same amount as the version in force, from a later day, is no change.
	res, err := store.SetTariff(ctx, TariffChange{Code: "RQD", Role: oncall.Requerant, AmountCents: 1000, ValidFrom: day("2026-07-01")})
	if err != nil || !res.Unchanged {
		t.Errorf("RQD at its current amount: %+v, %v", res, err)
	}
}
