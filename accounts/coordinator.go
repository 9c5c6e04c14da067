// Package coordinator owns the accounts of the coordinators' console: who may
// sign in, with which password and second factor (TOTP, RFC 6238), to which
// territories, their browser sessions, the rate limiting of login attempts
// and the audit rows those actions leave.
//
// It knows nothing of HTTP: the web package turns its errors into pages.
// Every rule that depends on time reads the injected clock.
package accounts

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/internal/clock"
)

// Account is a coordinator as the console and the CLI see it. It never
// carries the password hash nor the TOTP secret.
type Account struct {
	ID           int64
	Email        string
	Admin        bool // sees every territory
	Disabled     bool
	TOTPEnrolled bool
	FailedLogins int
	LockedUntil  time.Time // zero when not locked
	CreatedAt    time.Time
	// Territories the account was given (slugs, sorted); for an admin the
	// console shows every territory whatever this says.
	Territories []string
}

// Territory is what the console needs of a territory to scope and label it.
type Territory struct {
	ID       int64
	Slug     string
	Name     string
	Location *time.Location
}

// Errors a caller must tell apart.
var (
	ErrNotFound       = errors.New("coordinator not found")
	ErrExists         = errors.New("a coordinator with this email already exists")
	ErrBadCredentials = errors.New("wrong email or password")
	ErrDisabled       = errors.New("account disabled")
	ErrWrongCode      = errors.New("wrong TOTP code")
	ErrCodeReused     = errors.New("TOTP code already used")
	ErrNotEnrolled    = errors.New("TOTP not enrolled")
	ErrSessionExpired = errors.New("session expired or unknown")
)

// LockedError says the account is locked after repeated failures.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("account locked after repeated failures until %s", e.Until.Format(time.RFC3339))
}

// RateLimitedError says too many failures came from this address or for this
// email lately; the caller should wait RetryAfter.
type RateLimitedError struct {
	By         string // "ip" or "email"
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many failed logins by %s; retry in %s", e.By, e.RetryAfter)
}

// Policy holds the limits of the login rules.
type Policy struct {
	MaxFailures   int           // consecutive failures (password or code) before the account locks
	Lockout       time.Duration // how long it stays locked
	Window        time.Duration // the window the rate limits count failures in
	MaxPerEmail   int           // failures for one email in Window (covers unknown emails)
	MaxPerIP      int           // failures from one address in Window
	SessionIdle   time.Duration // a session unused this long ends
	SessionMax    time.Duration // a session ends this long after login whatever its use
	PendingMFAMax time.Duration // time allowed between the password and the code
}

// DefaultPolicy is the policy used when Options leave it zero.
func DefaultPolicy() Policy {
	return Policy{
		MaxFailures:   5,
		Lockout:       15 * time.Minute,
		Window:        15 * time.Minute,
		MaxPerEmail:   10,
		MaxPerIP:      30,
		SessionIdle:   30 * time.Minute,
		SessionMax:    12 * time.Hour,
		PendingMFAMax: 10 * time.Minute,
	}
}

// Options configure a Store.
type Options struct {
	Clock clock.Clock // defaults to clock.System()
	// TOTPKey (32 bytes) seals the TOTP secrets at rest with AES-256-GCM;
	// nil stores them unsealed.
	TOTPKey []byte
	Policy  Policy // zero value: DefaultPolicy
	// PasswordParams tunes argon2id; zero value: DefaultPasswordParams.
	PasswordParams PasswordParams
	// Territories is the territories' owner (roster.Store); required.
	Territories TerritoryNames
}

// Store reads and writes accounts, sessions and login attempts.
type Store struct {
	pool   *pgxpool.Pool
	clock  clock.Clock
	seal   sealer
	policy Policy
	pw     PasswordParams
	// territories names the accounts' territories.
	territories TerritoryNames
	// dummy is a hash with the store's parameters, checked when the email
	// is unknown so that the answer costs what a real account's does.
	dummy string
	// verify checks a password against a hash (VerifyPassword; tests count
	// its calls to show every refusal does the same work).
	verify func(password, hash string) (bool, error)
}

// NewStore returns a store on an open pool.
func NewStore(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if opts.Territories == nil {
		return nil, errors.New("accounts: Options.Territories is required")
	}
	s := &Store{pool: pool, clock: opts.Clock, policy: opts.Policy, pw: opts.PasswordParams, territories: opts.Territories}
	if s.clock == nil {
		s.clock = clock.System()
	}
	if s.policy == (Policy{}) {
		s.policy = DefaultPolicy()
	}
	if s.pw == (PasswordParams{}) {
		s.pw = DefaultPasswordParams()
	}
	seal, err := newSealer(opts.TOTPKey)
	if err != nil {
		return nil, err
	}
	s.seal = seal
	s.verify = VerifyPassword
	random, err := GeneratePassword()
	if err != nil {
		return nil, err
	}
	if s.dummy, err = HashPassword(random, s.pw); err != nil {
		return nil, err
	}
	return s, nil
}

// Policy returns the limits in force.
func (s *Store) Policy() Policy { return s.policy }
