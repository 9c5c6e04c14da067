package roster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/roster/oncall"
)

// TerritoryByDID returns the territory whose regulation number is did
// (E.164), with its specialties ordered by menu digit. An unknown number
// gives an error wrapping ErrNotFound.
func (s *Store) TerritoryByDID(ctx context.Context, did string) (oncall.Territory, error) {
	ts, err := s.loadTerritories(ctx, `WHERE t.id = (SELECT territory_id FROM regulation_number WHERE e164 = $1)`, did)
	if err != nil {
		return oncall.Territory{}, fmt.Errorf("territory by number %s: %w", did, err)
	}
	if len(ts) == 0 {
		return oncall.Territory{}, fmt.Errorf("territory by number %s: %w", did, oncall.ErrNotFound)
	}
	return ts[0], nil
}

// TerritoryBySlug returns one territory; ErrNotFound (wrapped) when unknown.
func (s *Store) TerritoryBySlug(ctx context.Context, slug string) (oncall.Territory, error) {
	ts, err := s.loadTerritories(ctx, `WHERE t.slug = $1`, slug)
	if err != nil {
		return oncall.Territory{}, fmt.Errorf("territory %s: %w", slug, err)
	}
	if len(ts) == 0 {
		return oncall.Territory{}, fmt.Errorf("territory %s: %w", slug, oncall.ErrNotFound)
	}
	return ts[0], nil
}

// Territories returns every territory, ordered by slug.
func (s *Store) Territories(ctx context.Context) ([]oncall.Territory, error) {
	ts, err := s.loadTerritories(ctx, ``)
	if err != nil {
		return nil, fmt.Errorf("list territories: %w", err)
	}
	return ts, nil
}

func (s *Store) loadTerritories(ctx context.Context, where string, args ...any) ([]oncall.Territory, error) {
	return loadTerritories(ctx, s.pool, where, args...)
}

// loadTerritory loads one territory through a pool or a transaction;
// ErrNotFound when none matches.
func loadTerritory(ctx context.Context, db querier, where string, key any) (oncall.Territory, error) {
	ts, err := loadTerritories(ctx, db, where, key)
	if err != nil {
		return oncall.Territory{}, fmt.Errorf("load territory %v: %w", key, err)
	}
	if len(ts) == 0 {
		return oncall.Territory{}, fmt.Errorf("territory %v: %w", key, oncall.ErrNotFound)
	}
	return ts[0], nil
}

func loadTerritories(ctx context.Context, db querier, where string, args ...any) ([]oncall.Territory, error) {
	rows, err := db.Query(ctx, `
		SELECT t.id, t.slug, t.name, t.timezone, t.opening_hours, t.holidays_open, t.holiday_hours,
		       t.identification_policy, t.ring_timeout_s, t.hunt_timeout_s,
		       coalesce(t.coordinator_phone, ''), coalesce(t.coordinator_email, ''), t.communes, t.departements,
		       coalesce((SELECT array_agg(e164 ORDER BY e164) FROM regulation_number r WHERE r.territory_id = t.id), '{}')
		FROM territory t `+where+` ORDER BY t.slug`, args...)
	if err != nil {
		return nil, err
	}
	var out []oncall.Territory
	byID := map[int64]int{}
	for rows.Next() {
		var t oncall.Territory
		var tz string
		var weekly, holiday []byte
		var ring, hunt int
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name, &tz, &weekly, &t.Hours.HolidaysOpen, &holiday,
			&t.Policy, &ring, &hunt, &t.CoordinatorPhone, &t.CoordinatorEmail, &t.Communes, &t.Departements, &t.Numbers); err != nil {
			rows.Close()
			return nil, err
		}
		if t.Location, err = loadLocation(tz); err != nil {
			rows.Close()
			return nil, fmt.Errorf("territory %s: time zone %q: %w", t.Slug, tz, err)
		}
		if err := decodeHours(weekly, holiday, &t.Hours); err != nil {
			rows.Close()
			return nil, fmt.Errorf("territory %s: %w", t.Slug, err)
		}
		t.RingTimeout = time.Duration(ring) * time.Second
		t.HuntTimeout = time.Duration(hunt) * time.Second
		byID[t.ID] = len(out)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(out))
	for _, t := range out {
		ids = append(ids, t.ID)
	}
	rows, err = db.Query(ctx, `
		SELECT id, territory_id, slug, label, menu_digit, savoir_faire, coalesce(fallback_label, ''), coalesce(fallback_phone, '')
		FROM specialty WHERE territory_id = ANY($1) ORDER BY territory_id, menu_digit`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sp oncall.Specialty
		var tid int64
		if err := rows.Scan(&sp.ID, &tid, &sp.Slug, &sp.Label, &sp.Digit, &sp.SavoirFaire, &sp.FallbackLabel, &sp.FallbackPhone); err != nil {
			return nil, err
		}
		t := &out[byID[tid]]
		t.Specialties = append(t.Specialties, sp)
	}
	return out, rows.Err()
}

// Hours are stored as {"mon": [["08:00","20:00"]], ...} and [["08:00","12:00"]].
type storedSpans [][2]string

func encodeSpans(spans []oncall.Span) storedSpans {
	out := storedSpans{}
	for _, s := range spans {
		str := s.String()
		out = append(out, [2]string{str[:5], str[6:]})
	}
	return out
}

func decodeSpans(in storedSpans) ([]oncall.Span, error) {
	var out []oncall.Span
	for _, pair := range in {
		s, err := oncall.ParseSpan(pair[0], pair[1])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func encodeHours(h oncall.OpeningHours) (weekly, holiday []byte, err error) {
	m := map[string]storedSpans{}
	for wd, spans := range h.Weekly {
		if len(spans) > 0 {
			m[weekdayKeys[wd]] = encodeSpans(spans)
		}
	}
	if weekly, err = json.Marshal(m); err != nil {
		return nil, nil, err
	}
	holiday, err = json.Marshal(encodeSpans(h.HolidayHours))
	return weekly, holiday, err
}

func decodeHours(weekly, holiday []byte, h *oncall.OpeningHours) error {
	var m map[string]storedSpans
	if err := json.Unmarshal(weekly, &m); err != nil {
		return fmt.Errorf("opening_hours: %w", err)
	}
	for key, spans := range m {
		wd := -1
		for i, k := range weekdayKeys {
			if k == key {
				wd = i
			}
		}
		if wd < 0 {
			return fmt.Errorf("opening_hours: unknown weekday %q", key)
		}
		decoded, err := decodeSpans(spans)
		if err != nil {
			return fmt.Errorf("opening_hours.%s: %w", key, err)
		}
		h.Weekly[wd] = decoded
	}
	var hol storedSpans
	if err := json.Unmarshal(holiday, &hol); err != nil {
		return fmt.Errorf("holiday_hours: %w", err)
	}
	decoded, err := decodeSpans(hol)
	if err != nil {
		return fmt.Errorf("holiday_hours: %w", err)
	}
	h.HolidayHours = decoded
	return nil
}

// territoryIDBySlug resolves a slug inside a transaction.
func territoryIDBySlug(ctx context.Context, q pgx.Tx, slug string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM territory WHERE slug = $1`, slug).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("territory %s: %w", slug, oncall.ErrNotFound)
	}
	return id, err
}
