package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
)

// person is one enrolment as the People page shows it.
type person struct {
	EnrolmentID    int64
	RPPS           string
	LastName       string
	FirstName      string
	Role           string // requerant | requis
	Specialty      string
	Phones         []string
	HasPIN         bool
	FailedAttempts int
	LockedUntil    time.Time
	Locked         bool
	// LockedFrom are the numbers locked for this GP after failed PINs
	// ("" is withheld): the lock's sources, which the coordinator checks
	// with the GP before unlocking.
	LockedFrom []roster.LockSource
}

type peopleData struct {
	People    []person
	Role      string // filter: "", "requerant", "requis"
	Query     string
	GPs       int
	Specs     int
	LockedNow int
}

// peoplePage lists the territory's enrolments: GPs and specialists, their
// phones and lock state. The query filters on the scope and the current
// territory in SQL.
func (c *console) peoplePage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	now := c.now()
	role := r.URL.Query().Get("role")
	if role != "requerant" && role != "requis" {
		role = ""
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	rows, err := c.pool.Query(r.Context(), `
		SELECT e.id, p.rpps, p.last_name, p.first_name, e.role, coalesce(s.label, ''),
		       CASE WHEN cardinality(e.phones) > 0 THEN e.phones ELSE p.phones END,
		       e.pin_hash IS NOT NULL, e.failed_pin_attempts, e.locked_until
		FROM enrolment e
		JOIN practitioner p ON p.rpps = e.rpps
		LEFT JOIN specialty s ON s.id = e.specialty_id
		WHERE `+v.scope.where("e.territory_id", 1)+` AND e.territory_id = $2
		  AND ($3 = '' OR e.role = $3)
		  AND ($4 = '' OR p.rpps LIKE $4 || '%' OR strpos(lower(p.last_name || ' ' || p.first_name), lower($4)) > 0)
		ORDER BY e.role DESC, s.menu_digit NULLS FIRST, p.last_name, p.first_name`,
		v.scope.ids(), v.current.ID, role, q)
	if err != nil {
		c.serverError(w, r, "list people", err)
		return
	}
	d := peopleData{Role: role, Query: q}
	people, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (person, error) {
		var p person
		var locked *time.Time
		err := row.Scan(&p.EnrolmentID, &p.RPPS, &p.LastName, &p.FirstName, &p.Role, &p.Specialty,
			&p.Phones, &p.HasPIN, &p.FailedAttempts, &locked)
		if locked != nil {
			p.LockedUntil = *locked
			p.Locked = locked.After(now)
		}
		return p, err
	})
	if err != nil {
		c.serverError(w, r, "list people", err)
		return
	}
	locks, err := roster.LockedNumbers(r.Context(), c.pool, v.current.ID, now)
	if err != nil {
		c.serverError(w, r, "list people: locks", err)
		return
	}
	for i := range people {
		people[i].LockedFrom = locks[people[i].RPPS]
	}
	d.People = people
	for _, p := range people {
		if p.Role == "requerant" {
			d.GPs++
		} else {
			d.Specs++
		}
		if p.Locked {
			d.LockedNow++
		}
	}
	pg := page{Title: "Personnes", Section: "personnes", Data: d, Flash: peopleFlash[r.URL.Query().Get("ok")]}
	c.render(w, r, http.StatusOK, "people", pg)
}

// peopleFlash is what the list says after a change, by the redirect's ok=.
var peopleFlash = map[string]string{
	"deverrouille": "Le médecin est déverrouillé : il peut de nouveau s'identifier.",
	"ajoute":       "La personne est inscrite.",
	"mis-a-jour":   "Cette personne était déjà inscrite ainsi : ses numéros sont remplacés par ceux saisis.",
	"inchange":     "Cette personne était déjà inscrite ainsi : rien n'a changé.",
	"retire":       "L'inscription est retirée.",
}

// unlockEnrolment clears an enrolment's PIN failures and lock. An id of
// another territory matches no row and answers 404.
func (c *console) unlockEnrolment(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id, err := strconv.ParseInt(r.PathValue("enrolment"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	now := c.now()
	err = pgx.BeginFunc(r.Context(), c.pool, func(tx pgx.Tx) error {
		var rpps, role string
		err := tx.QueryRow(r.Context(), `UPDATE enrolment SET failed_pin_attempts = 0, locked_until = NULL, updated_at = $4
			WHERE id = $3 AND `+v.scope.where("territory_id", 1)+` AND territory_id = $2
			RETURNING rpps, role`, v.scope.ids(), v.current.ID, id, now).Scan(&rpps, &role)
		if err != nil {
			return err
		}
		return c.accounts.AuditTx(r.Context(), tx, accounts.AuditEntry{
			Actor: v.sess.Account.Email, TerritoryID: v.current.ID, Action: journal.ActionEnrolmentUnlocked,
			Detail: map[string]any{"rpps": rpps, "role": role, "enrolment": id},
		})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "unlock enrolment", err)
		return
	}
	http.Redirect(w, r, "/t/"+v.current.Slug+"/personnes?ok=deverrouille", http.StatusSeeOther)
}
