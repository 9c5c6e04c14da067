// Package oncall is the roster as a call reads it: a territory with its
// opening hours, identification policy and specialties, the practitioners
// enrolled on its line, the escalation chain of who is on duty, RPPS
// numbers, and the errors a caller must tell apart. It holds values and
// pure rules only — no database, PIN hashing or iCalendar — so that the call
// script (ivr) can speak the roster's language without depending on how
// roster keeps it. Package roster owns the data and returns these values.
package oncall

import (
	"errors"
	"fmt"
	"time"
)

// Policy is a territory's way of identifying the calling GP.
type Policy string

const (
	// PolicyRPPS identifies by RPPS only (pilots: RPPS numbers are public).
	PolicyRPPS Policy = "rpps"
	// PolicyRPPSPIN asks for the RPPS then the GP's PIN (the default).
	PolicyRPPSPIN Policy = "rpps+pin"
	// PolicyCallerIDPIN skips the RPPS when the caller number is an
	// enrolled GP's, then asks for the PIN.
	PolicyCallerIDPIN Policy = "callerid+pin"
)

// Role of an enrolment.
type Role string

const (
	Requerant Role = "requerant" // the GP who calls
	Requis    Role = "requis"    // the specialist who answers
)

// Territory is a CPTS or ESS with its regulation line.
type Territory struct {
	ID               int64
	Slug             string
	Name             string
	Location         *time.Location
	Hours            OpeningHours
	Policy           Policy
	RingTimeout      time.Duration
	HuntTimeout      time.Duration
	CoordinatorPhone string // E.164, spoken to callers who cannot get through
	CoordinatorEmail string
	Numbers          []string // regulation numbers (E.164 DIDs)
	Communes         []string // INSEE codes
	Departements     []string
	Specialties      []Specialty // ordered by menu digit
}

// Specialty is what a GP picks in the menu.
type Specialty struct {
	ID            int64
	Slug          string
	Label         string // spoken: "cardiologie"
	Digit         int    // menu key, stable per territory
	SavoirFaire   []string
	FallbackLabel string // e.g. "ligne de cardiologie du CH"
	FallbackPhone string // E.164; called after every ranked specialist
}

// Practitioner is a médecin from the directory (or added by hand).
type Practitioner struct {
	RPPS        string
	LastName    string
	FirstName   string
	Profession  string
	SavoirFaire []string
	Phones      []string
}

// Enrolment says a practitioner takes part in a territory's line.
type Enrolment struct {
	ID          int64
	TerritoryID int64
	Practitioner
	Role        Role
	SpecialtyID int64 // requis only
	Phones      []string
	HasPIN      bool
	LockedUntil time.Time // zero when not locked
}

// Candidate is one step of the escalation chain, in calling order.
type Candidate struct {
	Rank      int // 1, 2, …; 0 for the specialty's fallback line
	RPPS      string
	LastName  string
	FirstName string
	Phones    []string // E.164, tried in order
	Fallback  bool
	Label     string // the fallback line's label
}

// Errors a caller must tell apart.
var (
	ErrNotFound     = errors.New("not found")
	ErrLocked       = errors.New("locked after repeated failures")
	ErrNobodyOnDuty = errors.New("nobody on duty")
)

// WrongPINError says the PIN was wrong and how many tries are left before
// the RPPS is locked.
type WrongPINError struct {
	Remaining int
}

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("wrong PIN (%d tries left)", e.Remaining)
}

// LockedError says an RPPS is locked after repeated failures, until when.
// errors.Is(err, ErrLocked) holds.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("locked after repeated failures until %s", e.Until.Format(time.RFC3339))
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }
