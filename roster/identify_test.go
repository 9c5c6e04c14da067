package roster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// enrolledGP sets up the fixture territory and enrolments and gives Marie
// DUBOIS a PIN.
func enrolledGP(t *testing.T) (*Store, Territory, Enrolment, string) {
	t.Helper()
	s := newTestStore(t)
	s.SetLockoutPolicy(LockoutPolicy{MaxAttempts: 3, Duration: 30 * time.Minute})
	ter := applyFixture(t, s)
	importFixtureEnrolments(t, s, ter.ID)
	pin, err := s.SetNewPIN(context.Background(), ter.ID, "10003000014")
	if err != nil {
		t.Fatal(err)
	}
	gp, err := s.Requerant(context.Background(), ter.ID, "810003000014") // national form
	if err != nil {
		t.Fatal(err)
	}
	return s, ter, gp, pin
}

func wrongPIN(pin string) string {
	if pin == "000000" {
		return "111111"
	}
	return "000000"
}

func TestRequerant(t *testing.T) {
	s, ter, gp, _ := enrolledGP(t)
	ctx := context.Background()
	if gp.RPPS != "10003000014" || gp.LastName != "DUBOIS" || gp.FirstName != "Marie" || !gp.HasPIN || gp.Role != Requerant ||
		!gp.LockedUntil.IsZero() || gp.TerritoryID != ter.ID {
		t.Fatalf("requérant: %+v", gp)
	}
	if _, err := s.Requerant(ctx, ter.ID, "10002000015"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a requis as requérant: %v, want ErrNotFound", err)
	}
	if _, err := s.Requerant(ctx, ter.ID, "10001045367"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("not enrolled: %v, want ErrNotFound", err)
	}
	if _, err := s.RequerantByPhone(ctx, ter.ID, "+33612000015"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a requis's phone: %v, want ErrNotFound", err)
	}
	// A practice line shared by two GPs identifies nobody.
	_, _ = s.Enrol(ctx, EnrolSpec{TerritoryID: ter.ID, RPPS: "10003000022", Role: Requerant, Phones: []string{"+33611000014"}})
	if _, err := s.RequerantByPhone(ctx, ter.ID, "+33611000014"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("shared phone: %v, want ErrNotFound", err)
	}
}

func TestVerifyPIN(t *testing.T) {
	s, ter, gp, pin := enrolledGP(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const phone = "+33611000014"

	if err := s.VerifyPIN(ctx, gp.ID, pin, phone, now); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	var wrong *WrongPINError
	if err := s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), phone, now); !errors.As(err, &wrong) || wrong.Remaining != 2 {
		t.Fatalf("wrong PIN: %v, want 2 tries left", err)
	}
	if err := s.VerifyPIN(ctx, gp.ID, pin, phone, now); err != nil {
		t.Fatalf("right PIN after a wrong one: %v", err)
	}
	// The right PIN reset the RPPS's count (the caller's count stays 1).
	for i, want := range []int{2, 1} {
		if err := s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), "", now); !errors.As(err, &wrong) || wrong.Remaining != want {
			t.Fatalf("wrong #%d: %v, want %d left", i+1, err, want)
		}
	}
	var locked *LockedError
	if err := s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), "", now); !errors.As(err, &locked) || !errors.Is(err, ErrLocked) ||
		!locked.Until.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("third wrong: %v, want locked until +30 min", err)
	}
	// Locked from any phone, even with the right PIN.
	if err := s.VerifyPIN(ctx, gp.ID, pin, "+33611000022", now.Add(10*time.Minute)); !errors.Is(err, ErrLocked) {
		t.Fatalf("right PIN while locked: %v", err)
	}
	after, _ := s.Requerant(ctx, ter.ID, gp.RPPS)
	if !after.LockedUntil.Equal(now.Add(30 * time.Minute)) {
		t.Fatalf("LockedUntil = %v", after.LockedUntil)
	}
	// The lock expires.
	if err := s.VerifyPIN(ctx, gp.ID, pin, "", now.Add(31*time.Minute)); err != nil {
		t.Fatalf("right PIN after the lock: %v", err)
	}
	// Unlock lifts it early.
	for range 3 {
		_ = s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), "", now.Add(40*time.Minute))
	}
	if err := s.Unlock(ctx, ter.ID, gp.RPPS); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyPIN(ctx, gp.ID, pin, "", now.Add(41*time.Minute)); err != nil {
		t.Fatalf("right PIN after unlock: %v", err)
	}
	// No PIN set.
	other, _ := s.Requerant(ctx, ter.ID, "10003000022")
	if err := s.VerifyPIN(ctx, other.ID, "123456", "", now); !errors.Is(err, ErrNoPIN) {
		t.Fatalf("no PIN: %v", err)
	}
}

func TestLockoutAcrossCallerNumbers(t *testing.T) {
	s, ter, gp, pin := enrolledGP(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	pinB, _ := s.SetNewPIN(ctx, ter.ID, "10003000022")
	gpB, _ := s.Requerant(ctx, ter.ID, "10003000022")
	const prober = "+33699000001"

	// One caller probing two RPPS numbers: locked on the third failure, and
	// the RPPS numbers themselves are not yet at their limit.
	_ = s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), prober, now)
	_ = s.VerifyPIN(ctx, gpB.ID, wrongPIN(pinB), prober, now)
	if err := s.RecordCallerFailure(ctx, ter.ID, prober, now); !errors.Is(err, ErrLocked) {
		t.Fatalf("third failure from the caller: %v, want locked", err)
	}
	if err := s.VerifyPIN(ctx, gp.ID, pin, prober, now); !errors.Is(err, ErrLocked) {
		t.Fatalf("right PIN from a locked caller: %v", err)
	}
	if err := s.CheckCaller(ctx, ter.ID, prober, now); !errors.Is(err, ErrLocked) {
		t.Fatalf("CheckCaller: %v", err)
	}
	// The GP from their own phone is not locked.
	if err := s.VerifyPIN(ctx, gp.ID, pin, "+33611000014", now); err != nil {
		t.Fatalf("GP from their phone: %v", err)
	}
	// An RPPS attacked from several phones is locked for all of them (GP
	// B has one failure already, from the prober).
	for i, phone := range []string{"+33699000011", "+33699000012"} {
		err := s.VerifyPIN(ctx, gpB.ID, wrongPIN(pinB), phone, now)
		if i < 1 && errors.Is(err, ErrLocked) {
			t.Fatalf("failure %d: locked too early", i)
		}
		if i == 1 && !errors.Is(err, ErrLocked) {
			t.Fatalf("third phone: %v, want locked", err)
		}
	}
	if err := s.VerifyPIN(ctx, gpB.ID, pinB, "+33611000022", now); !errors.Is(err, ErrLocked) {
		t.Fatalf("GP B from their own phone: %v, want locked", err)
	}
}

func TestPINFailuresRaceSafe(t *testing.T) {
	s, _, gp, pin := enrolledGP(t)
	s.SetLockoutPolicy(LockoutPolicy{MaxAttempts: 6, Duration: time.Hour})
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { errs[i] = s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), "", now) })
	}
	wg.Wait()
	lockedCount := 0
	seen := map[int]bool{}
	for _, err := range errs {
		var wrong *WrongPINError
		switch {
		case errors.Is(err, ErrLocked):
			lockedCount++
		case errors.As(err, &wrong):
			seen[wrong.Remaining] = true
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	if lockedCount != 1 || len(seen) != 5 {
		t.Fatalf("6 concurrent failures: %d locked, remaining values %v; want each failure counted once", lockedCount, seen)
	}
}

func TestPINHash(t *testing.T) {
	pin, err := NewPIN()
	if err != nil || len(pin) != PINLength || !allDigits(pin) {
		t.Fatalf("NewPIN = %q, %v", pin, err)
	}
	h, err := HashPIN(pin)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPIN(pin)
	if h == h2 {
		t.Fatal("two hashes of one PIN are equal: no salt")
	}
	for in, want := range map[string]bool{pin: true, wrongPIN(pin): false, "": false} {
		if ok, err := CheckPIN(h, in); err != nil || ok != want {
			t.Errorf("CheckPIN(%q) = %v, %v; want %v", in, ok, err, want)
		}
	}
	if _, err := CheckPIN("$2a$10$bcrypt", pin); err == nil {
		t.Error("a non-argon2id hash was accepted")
	}
}
