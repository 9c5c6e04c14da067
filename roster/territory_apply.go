package roster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// Change says what applying a spec did to a territory.
type Change string

const (
	Created   Change = "created"
	Updated   Change = "updated"
	Unchanged Change = "unchanged"
)

// ApplyResult reports what ApplyTerritory changed.
type ApplyResult struct {
	TerritoryID int64
	Slug        string
	Territory   Change
	// Changes lists each change in words ("ring_timeout: 20s → 25s",
	// "specialty pediatrie: created"); empty when unchanged.
	Changes []string
}

// SpecialtyInUseError refuses to remove a specialty that the planning
// still uses.
type SpecialtyInUseError struct {
	Slug      string
	Shifts    int
	Overrides int
}

func (e *SpecialtyInUseError) Error() string {
	return fmt.Sprintf("specialty %s is no longer in the file but the planning still has %d shift(s) and %d override(s) for it: remove them first (nothing was changed)",
		e.Slug, e.Shifts, e.Overrides)
}

// NumberTakenError refuses a regulation number that another territory uses.
type NumberTakenError struct {
	Number, Territory string
}

func (e *NumberTakenError) Error() string {
	return fmt.Sprintf("regulation number %s already belongs to territory %s (nothing was changed)", e.Number, e.Territory)
}

// ApplyTerritory creates or updates a territory, its regulation numbers and
// its specialties so that they match spec, in one transaction. Applying the
// same spec twice changes nothing. A specialty left out of the spec is
// removed with its requis enrolments, unless shifts or overrides use it
// (*SpecialtyInUseError). A spec error is a joined list of *SpecError.
func (s *Store) ApplyTerritory(ctx context.Context, spec TerritorySpec) (ApplyResult, error) {
	spec = spec.clone()
	if err := spec.Validate(); err != nil {
		return ApplyResult{}, err
	}
	res := ApplyResult{Slug: spec.Slug}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id, changes, err := applyTerritoryRow(ctx, tx, spec)
		if err != nil {
			return err
		}
		res.TerritoryID = id
		res.Territory = Updated
		if changes == nil {
			res.Territory = Created
			changes = []string{"territory created"}
		}
		more, err := applyNumbers(ctx, tx, id, spec.Numbers)
		if err != nil {
			return err
		}
		changes = append(changes, more...)
		if more, err = applySpecialties(ctx, tx, id, spec.Specialties); err != nil {
			return err
		}
		changes = append(changes, more...)
		if res.Territory == Updated && len(changes) == 0 {
			res.Territory = Unchanged
			return nil
		}
		res.Changes = changes
		return audit(ctx, tx, id, journal.ActionTerritoryApply, map[string]any{"slug": spec.Slug, "changes": changes})
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply territory %s: %w", spec.Slug, err)
	}
	return res, nil
}

func (spec TerritorySpec) clone() TerritorySpec {
	spec.Numbers = slices.Clone(spec.Numbers)
	spec.Communes = slices.Clone(spec.Communes)
	spec.Departements = slices.Clone(spec.Departements)
	spec.Specialties = slices.Clone(spec.Specialties)
	for i := range spec.Specialties {
		spec.Specialties[i].SavoirFaire = slices.Clone(spec.Specialties[i].SavoirFaire)
	}
	return spec
}

// territoryFields renders the territory row's fields for comparison and for
// the change list, in a stable order.
func territoryFields(name, tz string, weekly, holiday []byte, holidaysOpen bool, policy oncall.Policy, ring, hunt time.Duration,
	phone, email string, communes, departements []string) [][2]string {
	return [][2]string{
		{"name", name},
		{"timezone", tz},
		{"opening_hours", string(weekly)},
		{"public_holidays", map[bool]string{false: "closed", true: "open"}[holidaysOpen]},
		{"holiday_hours", string(holiday)},
		{"identification", string(policy)},
		{"ring_timeout", ring.String()},
		{"hunt_timeout", hunt.String()},
		{"coordinator.phone", phone},
		{"coordinator.email", email},
		{"coverage.communes", strings.Join(communes, ",")},
		{"coverage.departements", strings.Join(departements, ",")},
	}
}

// traceFields are the GP-trace settings, compared like the others.
func traceFields(gpTrace bool, video string) [][2]string {
	return [][2]string{{"gp_trace", strconv.FormatBool(gpTrace)}, {"video_room_url", video}}
}

// applyTerritoryRow inserts or updates the territory row. changes is nil
// when the row was created.
func applyTerritoryRow(ctx context.Context, tx pgx.Tx, spec TerritorySpec) (int64, []string, error) {
	weekly, holiday, err := encodeHours(spec.Hours)
	if err != nil {
		return 0, nil, err
	}
	var (
		id                    int64
		name, tz, phone, mail string
		dbWeekly, dbHoliday   []byte
		holidaysOpen          bool
		policy                oncall.Policy
		ring, hunt            int
		communes, depts       []string
		gpTrace               bool
		video                 string
	)
	err = tx.QueryRow(ctx, `
		SELECT id, name, timezone, opening_hours, holidays_open, holiday_hours, identification_policy,
		       ring_timeout_s, hunt_timeout_s, coalesce(coordinator_phone, ''), coalesce(coordinator_email, ''), communes, departements,
		       gp_trace, coalesce(video_url_template, '')
		FROM territory WHERE slug = $1 FOR UPDATE`, spec.Slug).
		Scan(&id, &name, &tz, &dbWeekly, &holidaysOpen, &dbHoliday, &policy, &ring, &hunt, &phone, &mail, &communes, &depts,
			&gpTrace, &video)
	want := append(territoryFields(spec.Name, spec.Timezone, weekly, holiday, spec.Hours.HolidaysOpen, spec.Policy,
		spec.RingTimeout, spec.HuntTimeout, spec.CoordinatorPhone, spec.CoordinatorEmail, spec.Communes, spec.Departements),
		traceFields(!spec.NoGPTrace, spec.VideoURL)...)
	args := []any{spec.Slug, spec.Name, spec.Timezone, weekly, spec.Hours.HolidaysOpen, holiday, string(spec.Policy),
		int(spec.RingTimeout / time.Second), int(spec.HuntTimeout / time.Second), nullIfEmpty(spec.CoordinatorPhone),
		nullIfEmpty(spec.CoordinatorEmail), nonNil(spec.Communes), nonNil(spec.Departements),
		!spec.NoGPTrace, nullIfEmpty(spec.VideoURL)}
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `
			INSERT INTO territory (slug, name, timezone, opening_hours, holidays_open, holiday_hours, identification_policy,
			                       ring_timeout_s, hunt_timeout_s, coordinator_phone, coordinator_email, communes, departements,
			                       gp_trace, video_url_template)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`, args...).Scan(&id)
		if err != nil {
			return 0, nil, fmt.Errorf("create territory: %w", err)
		}
		return id, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read territory: %w", err)
	}
	// Re-encode the stored hours the way the spec's are, so that jsonb's own
	// formatting does not count as a change.
	var stored oncall.OpeningHours
	if err := decodeHours(dbWeekly, dbHoliday, &stored); err != nil {
		return 0, nil, err
	}
	stored.HolidaysOpen = holidaysOpen
	if dbWeekly, dbHoliday, err = encodeHours(stored); err != nil {
		return 0, nil, err
	}
	have := append(territoryFields(name, tz, dbWeekly, dbHoliday, holidaysOpen, policy, time.Duration(ring)*time.Second,
		time.Duration(hunt)*time.Second, phone, mail, communes, depts), traceFields(gpTrace, video)...)
	changes := []string{}
	for i := range want {
		if have[i][1] != want[i][1] {
			changes = append(changes, fmt.Sprintf("%s: %s → %s", want[i][0], orNone(have[i][1]), orNone(want[i][1])))
		}
	}
	if len(changes) == 0 {
		return id, changes, nil
	}
	_, err = tx.Exec(ctx, `
		UPDATE territory SET name = $2, timezone = $3, opening_hours = $4, holidays_open = $5, holiday_hours = $6,
		       identification_policy = $7, ring_timeout_s = $8, hunt_timeout_s = $9, coordinator_phone = $10,
		       coordinator_email = $11, communes = $12, departements = $13, gp_trace = $14, video_url_template = $15,
		       updated_at = now()
		WHERE slug = $1`, args...)
	if err != nil {
		return 0, nil, fmt.Errorf("update territory: %w", err)
	}
	return id, changes, nil
}

func applyNumbers(ctx context.Context, tx pgx.Tx, territoryID int64, numbers []string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT r.e164, r.territory_id, t.slug FROM regulation_number r JOIN territory t ON t.id = r.territory_id
		WHERE r.territory_id = $1 OR r.e164 = ANY($2)`, territoryID, numbers)
	if err != nil {
		return nil, fmt.Errorf("read regulation numbers: %w", err)
	}
	owned := map[string]bool{}
	for rows.Next() {
		var e164, slug string
		var owner int64
		if err := rows.Scan(&e164, &owner, &slug); err != nil {
			return nil, err
		}
		if owner != territoryID {
			rows.Close()
			return nil, &NumberTakenError{Number: e164, Territory: slug}
		}
		owned[e164] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read regulation numbers: %w", err)
	}
	var changes []string
	for _, n := range numbers {
		if owned[n] {
			delete(owned, n)
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO regulation_number (e164, territory_id) VALUES ($1, $2)`, n, territoryID); err != nil {
			return nil, fmt.Errorf("add regulation number %s: %w", n, err)
		}
		changes = append(changes, "number "+n+": added")
	}
	for _, n := range slices.Sorted(maps.Keys(owned)) {
		if _, err := tx.Exec(ctx, `DELETE FROM regulation_number WHERE e164 = $1`, n); err != nil {
			return nil, fmt.Errorf("remove regulation number %s: %w", n, err)
		}
		changes = append(changes, "number "+n+": removed")
	}
	return changes, nil
}

func applySpecialties(ctx context.Context, tx pgx.Tx, territoryID int64, want []SpecialtySpec) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT id, slug, label, menu_digit, savoir_faire, coalesce(fallback_label, ''), coalesce(fallback_phone, '')
		FROM specialty WHERE territory_id = $1`, territoryID)
	if err != nil {
		return nil, fmt.Errorf("read specialties: %w", err)
	}
	type current struct {
		id int64
		SpecialtySpec
	}
	have := map[string]current{}
	for rows.Next() {
		var c current
		if err := rows.Scan(&c.id, &c.Slug, &c.Label, &c.Digit, &c.SavoirFaire, &c.FallbackLabel, &c.FallbackPhone); err != nil {
			return nil, err
		}
		have[c.Slug] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read specialties: %w", err)
	}
	var changes []string
	for _, sp := range want {
		args := []any{territoryID, sp.Slug, sp.Label, sp.Digit, nonNil(sp.SavoirFaire), nullIfEmpty(sp.FallbackLabel), nullIfEmpty(sp.FallbackPhone)}
		c, ok := have[sp.Slug]
		delete(have, sp.Slug)
		if !ok {
			if _, err := tx.Exec(ctx, `INSERT INTO specialty (territory_id, slug, label, menu_digit, savoir_faire, fallback_label, fallback_phone)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, args...); err != nil {
				return nil, fmt.Errorf("create specialty %s: %w", sp.Slug, err)
			}
			changes = append(changes, "specialty "+sp.Slug+": created")
			continue
		}
		diffs := specialtyDiffs(c.SpecialtySpec, sp)
		if len(diffs) == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE specialty SET label = $3, menu_digit = $4, savoir_faire = $5, fallback_label = $6, fallback_phone = $7
			WHERE territory_id = $1 AND slug = $2`, args...); err != nil {
			return nil, fmt.Errorf("update specialty %s: %w", sp.Slug, err)
		}
		changes = append(changes, "specialty "+sp.Slug+": "+strings.Join(diffs, ", "))
	}
	for _, slug := range slices.Sorted(maps.Keys(have)) {
		c := have[slug]
		var inUse SpecialtyInUseError
		inUse.Slug = slug
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM shift WHERE specialty_id = $1), (SELECT count(*) FROM override WHERE specialty_id = $1)`,
			c.id).Scan(&inUse.Shifts, &inUse.Overrides); err != nil {
			return nil, fmt.Errorf("count shifts of specialty %s: %w", slug, err)
		}
		if inUse.Shifts+inUse.Overrides > 0 {
			return nil, &inUse
		}
		tag, err := tx.Exec(ctx, `DELETE FROM enrolment WHERE specialty_id = $1`, c.id)
		if err != nil {
			return nil, fmt.Errorf("remove enrolments of specialty %s: %w", slug, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM specialty WHERE id = $1`, c.id); err != nil {
			return nil, fmt.Errorf("remove specialty %s: %w", slug, err)
		}
		changes = append(changes, fmt.Sprintf("specialty %s: removed (with %d requis enrolment(s))", slug, tag.RowsAffected()))
	}
	return changes, nil
}

func specialtyDiffs(have, want SpecialtySpec) []string {
	var out []string
	diff := func(field, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %s → %s", field, orNone(a), orNone(b)))
		}
	}
	diff("label", have.Label, want.Label)
	diff("digit", fmt.Sprint(have.Digit), fmt.Sprint(want.Digit))
	diff("savoir_faire", strings.Join(have.SavoirFaire, ","), strings.Join(want.SavoirFaire, ","))
	diff("fallback.label", have.FallbackLabel, want.FallbackLabel)
	diff("fallback.phone", have.FallbackPhone, want.FallbackPhone)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
