package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// pendingMarker ends the label of an act whose amount is still to enter
// (the seed's TC): a kept label drops it once an amount is given, or the
// statements would keep saying the amount is missing.
const pendingMarker = " (montant à compléter)"

// TariffChange is a new amount for an act from a date on.
type TariffChange struct {
	Code        string
	Role        oncall.Role
	AmountCents int
	ValidFrom   time.Time // the first day of the new amount; its calendar date counts
	Label       string    // empty: the label of the version in force, kept
	Note        string    // why the amount is what it is
	// JournalTerritoryID is the territory whose journal shows the change
	// (the console's current one); 0 journals it under no territory.
	// Tariffs are national either way.
	JournalTerritoryID int64
	// At is when the change is journaled; zero: the database's clock.
	At time.Time
}

// TariffSet says what SetTariff did.
type TariffSet struct {
	Version   Tariff // the version starting on ValidFrom, as stored
	Closed    Tariff // the version closed the day before ValidFrom; zero if none
	Corrected bool   // a version already started on ValidFrom and was corrected in place
	Unchanged bool   // the act already had this amount and label on that day: nothing written
}

// TariffRefusal is a change SetTariff or the caller's input checks refuse,
// in French for the coordinator. Field is what to correct: "code",
// "amount" or "from".
type TariffRefusal struct {
	Field  string
	Reason string
}

func (e *TariffRefusal) Error() string { return e.Reason }

// maxTariffNote bounds a tariff's note and label: they are shown in a
// table cell and in the statement's CSV.
const maxTariffNote = 300

// SetTariff enters a new amount of an act from ValidFrom on, in one
// transaction with its journal row, holding the act's versions locked:
//   - the version in force on ValidFrom ends the day before, and the new
//     version runs to where that one ran (open, most often);
//   - a version that already starts on ValidFrom is corrected in place
//     (the way to fix a mistyped amount), the journal keeps the old one;
//   - a version starting after ValidFrom is refused: dates only move
//     forward, so a later version is never silently cut or shadowed;
//   - the same amount and label as the version in force, with no new
//     note, changes nothing and journals nothing, so a repeat is harmless;
//   - only acts of the rules that already have a tariff are known;
//     a negative amount is refused.
//
// Refusals are *TariffRefusal. Entering a date in the past reprices the
// calls since that date on the statements: that is what the date means.
func (s *Store) SetTariff(ctx context.Context, ch TariffChange) (TariffSet, error) {
	from := time.Date(ch.ValidFrom.Year(), ch.ValidFrom.Month(), ch.ValidFrom.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case !knownAct(ch.Code, ch.Role):
		return TariffSet{}, unknownAct(ch)
	case ch.AmountCents < 0:
		return TariffSet{}, &TariffRefusal{Field: "amount", Reason: "un tarif est positif ou nul"}
	case ch.ValidFrom.IsZero():
		return TariffSet{}, &TariffRefusal{Field: "from", Reason: "date de début manquante"}
	case utf8.RuneCountInString(ch.Note) > maxTariffNote:
		return TariffSet{}, &TariffRefusal{Field: "note", Reason: fmt.Sprintf("note de %d caractères : au plus %d", utf8.RuneCountInString(ch.Note), maxTariffNote)}
	case utf8.RuneCountInString(ch.Label) > maxTariffNote:
		return TariffSet{}, &TariffRefusal{Field: "label", Reason: fmt.Sprintf("libellé de %d caractères : au plus %d", utf8.RuneCountInString(ch.Label), maxTariffNote)}
	}
	var res TariffSet
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		versions, err := lockVersions(ctx, tx, ch.Code, ch.Role)
		if err != nil {
			return err
		}
		if len(versions) == 0 {
			return unknownAct(ch)
		}
		var current *version
		for i, v := range versions {
			if v.ValidFrom.After(from) {
				return &TariffRefusal{Field: "from", Reason: fmt.Sprintf(
					"une version du tarif %s commence déjà le %s : la date de début doit être postérieure",
					ch.Code, v.ValidFrom.Format("02/01/2006"))}
			}
			if v.ValidOn(from.Date()) {
				current = &versions[i]
			}
		}
		base := versions[len(versions)-1]
		if current != nil {
			base = *current
		}
		next := Tariff{Code: ch.Code, Role: ch.Role, AmountCents: ch.AmountCents, Label: ch.Label,
			ValidFrom: from, Note: ch.Note}
		if next.Label == "" {
			next.Label = keptLabel(base.Label, ch.AmountCents)
		}
		if current != nil && current.AmountCents == next.AmountCents && current.Label == next.Label &&
			(next.Note == "" || next.Note == current.Note) {
			res = TariffSet{Version: current.Tariff, Unchanged: true}
			return nil
		}
		detail := map[string]any{"code": ch.Code, "role": string(ch.Role),
			"montant": Euros(ch.AmountCents), "du": from.Format("2006-01-02")}
		switch {
		case current != nil && current.ValidFrom.Equal(from):
			next.ValidTo = current.ValidTo
			if _, err := tx.Exec(ctx, `UPDATE act_tariff SET amount_cents = $2, label = $3, note = $4 WHERE id = $1`,
				current.id, next.AmountCents, next.Label, next.Note); err != nil {
				return fmt.Errorf("correct tariff %s %s: %w", ch.Code, ch.Role, err)
			}
			res.Corrected = true
			detail["remplace"] = Euros(current.AmountCents)
		default:
			if current != nil {
				next.ValidTo = current.ValidTo
				res.Closed = current.Tariff
				res.Closed.ValidTo = from.AddDate(0, 0, -1)
				if _, err := tx.Exec(ctx, `UPDATE act_tariff SET valid_to = $2 WHERE id = $1`, current.id, res.Closed.ValidTo); err != nil {
					return fmt.Errorf("close tariff %s %s: %w", ch.Code, ch.Role, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO act_tariff (code, role, amount_cents, label, valid_from, valid_to, note)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, next.Code, string(next.Role), next.AmountCents, next.Label,
				next.ValidFrom, nullDate(next.ValidTo), next.Note); err != nil {
				if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23P01" { // exclusion_violation
					// A change of the same act committed while this one waited for the lock.
					return &TariffRefusal{Field: "from", Reason: fmt.Sprintf(
						"le tarif %s vient d'être modifié par ailleurs : rechargez la liste et recommencez", ch.Code)}
				}
				return fmt.Errorf("insert tariff %s %s: %w", ch.Code, ch.Role, err)
			}
		}
		res.Version = next
		return journalTariff(ctx, tx, ch, detail)
	})
	if err != nil {
		return TariffSet{}, err
	}
	return res, nil
}

// version is a stored tariff with its row id.
type version struct {
	Tariff
	id int64
}

// lockVersions reads an act's versions, oldest first, and locks them
// until the transaction ends: two changes of one act queue up instead of
// both closing the same version.
func lockVersions(ctx context.Context, tx pgx.Tx, code string, role oncall.Role) ([]version, error) {
	rows, err := tx.Query(ctx, `SELECT id, amount_cents, label, valid_from, valid_to, note FROM act_tariff
		WHERE code = $1 AND role = $2 ORDER BY valid_from FOR UPDATE`, code, string(role))
	if err != nil {
		return nil, fmt.Errorf("lock tariff %s %s: %w", code, role, err)
	}
	versions, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (version, error) {
		v := version{Tariff: Tariff{Code: code, Role: role}}
		var to *time.Time
		err := row.Scan(&v.id, &v.AmountCents, &v.Label, &v.ValidFrom, &to, &v.Note)
		if to != nil {
			v.ValidTo = *to
		}
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("lock tariff %s %s: %w", code, role, err)
	}
	return versions, nil
}

func journalTariff(ctx context.Context, tx pgx.Tx, ch TariffChange, detail map[string]any) error {
	return journal.Write(ctx, tx, journal.Entry{At: ch.At, Actor: roster.ActorFrom(ctx), TerritoryID: ch.JournalTerritoryID,
		Action: journal.ActionTariffSet, Detail: detail})
}

// knownAct tells whether the rules name this act: the only ones a
// statement can price.
func knownAct(code string, role oncall.Role) bool {
	for _, r := range Rules() {
		if r.Code == code && r.Role == role {
			return true
		}
	}
	return false
}

func unknownAct(ch TariffChange) error {
	return &TariffRefusal{Field: "code", Reason: fmt.Sprintf("acte inconnu : %s (%s) ; actes connus : %s",
		ch.Code, RoleLabel(ch.Role), strings.Join(ActCodes(), ", "))}
}

// ActCodes lists the acts of the rules as "CODE role", in rule order.
func ActCodes() []string {
	var out []string
	for _, r := range Rules() {
		out = append(out, r.Code+" "+string(r.Role))
	}
	return out
}

func keptLabel(label string, cents int) string {
	if cents > 0 {
		return strings.TrimSuffix(label, pendingMarker)
	}
	return label
}

func nullDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
