package roster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// shiftDB is what the planning code needs from a pool or a transaction.
type shiftDB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ShiftTerritory loads a territory by slug with what planning needs: its
// time zone, opening hours and specialties (ordered by menu digit).
// ErrNotFound when no territory has that slug.
func (s *Store) ShiftTerritory(ctx context.Context, slug string) (Territory, error) {
	return loadShiftTerritory(ctx, s.pool, `t.slug = $1`, slug)
}

// shiftTerritoryByID is ShiftTerritory by primary key.
func (s *Store) shiftTerritoryByID(ctx context.Context, db shiftDB, id int64) (Territory, error) {
	return loadShiftTerritory(ctx, db, `t.id = $1`, id)
}

func loadShiftTerritory(ctx context.Context, db shiftDB, where string, key any) (Territory, error) {
	var (
		t                      Territory
		zone, policy           string
		weekly, holidayHours   []byte
		ring, hunt             int
		coordPhone, coordEmail *string
		communes, departements []string
	)
	err := db.QueryRow(ctx, `
		SELECT t.id, t.slug, t.name, t.timezone, t.opening_hours, t.holidays_open, t.holiday_hours,
		       t.identification_policy, t.ring_timeout_s, t.hunt_timeout_s,
		       t.coordinator_phone, t.coordinator_email, t.communes, t.departements
		FROM territory t WHERE `+where, key).Scan(
		&t.ID, &t.Slug, &t.Name, &zone, &weekly, &t.Hours.HolidaysOpen, &holidayHours,
		&policy, &ring, &hunt, &coordPhone, &coordEmail, &communes, &departements)
	if errors.Is(err, pgx.ErrNoRows) {
		return Territory{}, fmt.Errorf("territory %v: %w", key, ErrNotFound)
	}
	if err != nil {
		return Territory{}, fmt.Errorf("load territory %v: %w", key, err)
	}
	if t.Location, err = time.LoadLocation(zone); err != nil {
		return Territory{}, fmt.Errorf("territory %s: timezone %q: %w", t.Slug, zone, err)
	}
	if err := decodeShiftHours(weekly, holidayHours, &t.Hours); err != nil {
		return Territory{}, fmt.Errorf("territory %s: %w", t.Slug, err)
	}
	t.Policy = Policy(policy)
	t.RingTimeout = time.Duration(ring) * time.Second
	t.HuntTimeout = time.Duration(hunt) * time.Second
	if coordPhone != nil {
		t.CoordinatorPhone = *coordPhone
	}
	if coordEmail != nil {
		t.CoordinatorEmail = *coordEmail
	}
	t.Communes, t.Departements = communes, departements

	rows, err := db.Query(ctx, `SELECT e164 FROM regulation_number WHERE territory_id = $1 ORDER BY e164`, t.ID)
	if err != nil {
		return Territory{}, fmt.Errorf("territory %s: regulation numbers: %w", t.Slug, err)
	}
	if t.Numbers, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return Territory{}, fmt.Errorf("territory %s: regulation numbers: %w", t.Slug, err)
	}

	rows, err = db.Query(ctx, `
		SELECT id, slug, label, menu_digit, savoir_faire, COALESCE(fallback_label, ''), COALESCE(fallback_phone, '')
		FROM specialty WHERE territory_id = $1 ORDER BY menu_digit`, t.ID)
	if err != nil {
		return Territory{}, fmt.Errorf("territory %s: specialties: %w", t.Slug, err)
	}
	t.Specialties, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Specialty, error) {
		var sp Specialty
		err := r.Scan(&sp.ID, &sp.Slug, &sp.Label, &sp.Digit, &sp.SavoirFaire, &sp.FallbackLabel, &sp.FallbackPhone)
		return sp, err
	})
	if err != nil {
		return Territory{}, fmt.Errorf("territory %s: specialties: %w", t.Slug, err)
	}
	return t, nil
}

var shiftWeekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// decodeShiftHours reads the opening_hours ({"mon":[["08:00","20:00"]]})
// and holiday_hours ([["08:00","12:00"]]) columns.
func decodeShiftHours(weekly, holiday []byte, h *OpeningHours) error {
	var days map[string][][2]string
	if err := json.Unmarshal(weekly, &days); err != nil {
		return fmt.Errorf("opening_hours: %w", err)
	}
	for key, spans := range days {
		wd := -1
		for i, k := range shiftWeekdayKeys {
			if strings.EqualFold(key, k) {
				wd = i
			}
		}
		if wd < 0 {
			return fmt.Errorf("opening_hours: %q is not a weekday (mon..sun)", key)
		}
		parsed, err := parseShiftSpans(spans)
		if err != nil {
			return fmt.Errorf("opening_hours %s: %w", key, err)
		}
		h.Weekly[wd] = parsed
	}
	var hol [][2]string
	if len(holiday) > 0 {
		if err := json.Unmarshal(holiday, &hol); err != nil {
			return fmt.Errorf("holiday_hours: %w", err)
		}
	}
	parsed, err := parseShiftSpans(hol)
	if err != nil {
		return fmt.Errorf("holiday_hours: %w", err)
	}
	h.HolidayHours = parsed
	return nil
}

func parseShiftSpans(raw [][2]string) ([]Span, error) {
	out := make([]Span, 0, len(raw))
	for _, r := range raw {
		sp, err := ParseSpan(r[0], r[1])
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

// specialtyBySlug finds one of the territory's specialties by slug or label,
// ignoring case.
func (t Territory) specialtyBySlug(name string) (Specialty, bool) {
	for _, sp := range t.Specialties {
		if strings.EqualFold(sp.Slug, name) || strings.EqualFold(sp.Label, name) {
			return sp, true
		}
	}
	return Specialty{}, false
}

// SpecialtyBySlug finds one of the territory's specialties by slug (or
// label), ignoring case; ErrNotFound names the known ones.
func (t Territory) SpecialtyBySlug(name string) (Specialty, error) {
	if sp, ok := t.specialtyBySlug(name); ok {
		return sp, nil
	}
	return Specialty{}, fmt.Errorf("specialty %q in %s (known: %s): %w", name, t.Slug, t.specialtySlugs(), ErrNotFound)
}

func (t Territory) specialtyByID(id int64) Specialty {
	for _, sp := range t.Specialties {
		if sp.ID == id {
			return sp
		}
	}
	return Specialty{ID: id, Slug: fmt.Sprintf("specialty#%d", id)}
}

func (t Territory) specialtySlugs() string {
	names := make([]string, len(t.Specialties))
	for i, sp := range t.Specialties {
		names[i] = sp.Slug
	}
	return strings.Join(names, ", ")
}
