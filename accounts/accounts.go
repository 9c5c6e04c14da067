package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
)

// NewAccount is what `regul user add` asks for.
type NewAccount struct {
	Email       string
	Password    string
	Admin       bool
	Territories []string // slugs; at least one unless Admin
}

// NormalizeEmail lower-cases and checks an email address.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e, "@") {
		return "", fmt.Errorf("email %q is not an address such as coordination@cpts.example", email)
	}
	return e, nil
}

// UnknownTerritoryError names a territory slug that does not exist.
type UnknownTerritoryError struct{ Slug string }

func (e *UnknownTerritoryError) Error() string {
	return fmt.Sprintf("territory %q does not exist", e.Slug)
}

// Create adds an account, with its territories and an audit row per
// territory, in one transaction. actor names who did it (e.g. "cli").
func (s *Store) Create(ctx context.Context, actor string, n NewAccount) (Account, error) {
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return Account{}, err
	}
	if len(n.Password) < MinPasswordLength {
		return Account{}, ErrWeakPassword
	}
	if !n.Admin && len(n.Territories) == 0 {
		return Account{}, errors.New("a coordinator needs at least one territory (--territory) unless admin (--admin)")
	}
	hash, err := HashPassword(n.Password, s.pw)
	if err != nil {
		return Account{}, err
	}
	var names []roster.TerritoryName
	if len(n.Territories) > 0 {
		if names, err = s.territories.TerritoryNames(ctx); err != nil {
			return Account{}, fmt.Errorf("add coordinator %s: %w", email, err)
		}
	}
	now := s.clock.Now()
	var acc Account
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO coordinator (email, password_hash, admin, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, email, hash, n.Admin, now).Scan(&acc.ID)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return ErrExists
		}
		if err != nil {
			return fmt.Errorf("insert coordinator: %w", err)
		}
		var ids []int64
		for _, slug := range n.Territories {
			id, ok := territoryID(names, slug)
			if !ok {
				return &UnknownTerritoryError{Slug: slug}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO coordinator_territory (coordinator_id, territory_id)
				VALUES ($1, $2) ON CONFLICT DO NOTHING`, acc.ID, id); err != nil {
				return fmt.Errorf("give territory %s: %w", slug, err)
			}
			ids = append(ids, id)
		}
		detail := map[string]any{"email": email, "admin": n.Admin}
		if len(ids) == 0 {
			return writeAudit(ctx, tx, now, AuditEntry{Actor: actor, Action: journal.ActionCoordAdded, Detail: detail})
		}
		for _, id := range ids {
			if err := writeAudit(ctx, tx, now, AuditEntry{Actor: actor, TerritoryID: id, Action: journal.ActionCoordAdded, Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("add coordinator %s: %w", email, err)
	}
	return s.ByEmail(ctx, email)
}

const accountColumns = `c.id, c.email, c.admin, c.disabled, c.totp_enrolled, c.failed_logins,
	c.locked_until, c.created_at,
	coalesce((SELECT array_agg(ct.territory_id) FROM coordinator_territory ct WHERE ct.coordinator_id = c.id), '{}')`

// scanAccount reads an account and the ids of its territories, which
// withSlugs names.
func scanAccount(row pgx.Row) (Account, []int64, error) {
	var a Account
	var locked *time.Time
	var ids []int64
	err := row.Scan(&a.ID, &a.Email, &a.Admin, &a.Disabled, &a.TOTPEnrolled, &a.FailedLogins,
		&locked, &a.CreatedAt, &ids)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, nil, ErrNotFound
	}
	if locked != nil {
		a.LockedUntil = *locked
	}
	return a, ids, err
}

// oneAccount reads one account and names its territories.
func (s *Store) oneAccount(ctx context.Context, row pgx.Row) (Account, error) {
	a, ids, err := scanAccount(row)
	if err != nil {
		return Account{}, err
	}
	accs := []Account{a}
	if err := s.withSlugs(ctx, accs, [][]int64{ids}); err != nil {
		return Account{}, err
	}
	return accs[0], nil
}

// ByEmail returns one account.
func (s *Store) ByEmail(ctx context.Context, email string) (Account, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, err
	}
	a, err := s.oneAccount(ctx, s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM coordinator c WHERE c.email = $1`, e))
	if err != nil {
		return Account{}, fmt.Errorf("coordinator %s: %w", e, err)
	}
	return a, nil
}

// ByID returns one account.
func (s *Store) ByID(ctx context.Context, id int64) (Account, error) {
	a, err := s.oneAccount(ctx, s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM coordinator c WHERE c.id = $1`, id))
	if err != nil {
		return Account{}, fmt.Errorf("coordinator #%d: %w", id, err)
	}
	return a, nil
}

// List returns every account, by email.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM coordinator c ORDER BY c.email`)
	if err != nil {
		return nil, fmt.Errorf("list coordinators: %w", err)
	}
	defer rows.Close()
	var out []Account
	var ids [][]int64
	for rows.Next() {
		a, territories, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list coordinators: %w", err)
		}
		out, ids = append(out, a), append(ids, territories)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list coordinators: %w", err)
	}
	return out, s.withSlugs(ctx, out, ids)
}

// Disable stops an account from signing in and ends its sessions.
func (s *Store) Disable(ctx context.Context, actor, email string) error {
	return s.change(ctx, actor, email, journal.ActionCoordDisabled, `UPDATE coordinator SET disabled = true, updated_at = $2 WHERE id = $1`)
}

// ResetTOTP forgets the second factor: the next login enrols a new one. Its
// sessions end, since they were opened with the old factor.
func (s *Store) ResetTOTP(ctx context.Context, actor, email string) error {
	return s.change(ctx, actor, email, journal.ActionTOTPReset, `UPDATE coordinator
		SET totp_secret = NULL, totp_enrolled = false, totp_last_step = 0, updated_at = $2 WHERE id = $1`)
}

// change applies an update to one account, ends its sessions and audits it
// on each of its territories, in one transaction.
func (s *Store) change(ctx context.Context, actor, email, action, update string) error {
	a, err := s.ByEmail(ctx, email)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, update, a.ID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM console_session WHERE coordinator_id = $1`, a.ID); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, now, actor, a, action)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", action, a.Email, err)
	}
	return nil
}

// auditAccount writes one row per territory of the account (so each
// territory's journal shows it), or one territory-less row for an account
// without territories.
func (s *Store) auditAccount(ctx context.Context, tx pgx.Tx, now time.Time, actor string, a Account, action string) error {
	rows, err := tx.Query(ctx, `SELECT territory_id FROM coordinator_territory WHERE coordinator_id = $1`, a.ID)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	detail := map[string]any{"email": a.Email}
	if len(ids) == 0 {
		return writeAudit(ctx, tx, now, AuditEntry{Actor: actor, Action: action, Detail: detail})
	}
	for _, id := range ids {
		if err := writeAudit(ctx, tx, now, AuditEntry{Actor: actor, TerritoryID: id, Action: action, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// Territories returns what an account may see: its own territories, or
// every territory for an admin; by name. Disabled accounts see none.
func (s *Store) Territories(ctx context.Context, a Account) ([]Territory, error) {
	if a.Disabled {
		return nil, nil
	}
	names, err := s.territories.TerritoryNames(ctx)
	if err != nil {
		return nil, fmt.Errorf("territories of %s: %w", a.Email, err)
	}
	var out []Territory
	for _, t := range names {
		if a.Admin || slices.Contains(a.Territories, t.Slug) {
			out = append(out, Territory{ID: t.ID, Slug: t.Slug, Name: t.Name, Location: t.Location})
		}
	}
	return out, nil
}
