package roster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
)

// enrolledGP sets up the fixture territory and enrolments and gives Marie
// DUBOIS a PIN.
func enrolledGP(t *testing.T) (*Store, oncall.Territory, oncall.Enrolment, string) {
	t.Helper()
	s := newTestStore(t)
	s.SetLockoutPolicy(testPolicy)
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

// testPolicy: 3 failures lock a number for an RPPS, 5 a number for all,
// 2 the withheld bucket, 8 an RPPS; locks last 30 min, then 1 h, 2 h, 4 h.
var testPolicy = LockoutPolicy{MaxAttempts: 3, CallerAttempts: 5, WithheldAttempts: 2, RPPSAttempts: 8,
	Duration: 30 * time.Minute, MaxDuration: 4 * time.Hour}

func wrongPIN(pin string) string {
	if pin == "000000" {
		return "111111"
	}
	return "000000"
}

func TestRequerant(t *testing.T) {
	s, ter, gp, _ := enrolledGP(t)
	ctx := context.Background()
	if gp.RPPS != "10003000014" || gp.LastName != "DUBOIS" || gp.FirstName != "Marie" || !gp.HasPIN || gp.Role != oncall.Requerant ||
		!gp.LockedUntil.IsZero() || gp.TerritoryID != ter.ID {
		t.Fatalf("requérant: %+v", gp)
	}
	if _, err := s.Requerant(ctx, ter.ID, "10002000015"); !errors.Is(err, oncall.ErrNotFound) {
		t.Fatalf("a requis as requérant: %v, want ErrNotFound", err)
	}
	if _, err := s.Requerant(ctx, ter.ID, "10001045367"); !errors.Is(err, oncall.ErrNotFound) {
		t.Fatalf("not enrolled: %v, want ErrNotFound", err)
	}
	if _, err := s.RequerantByPhone(ctx, ter.ID, "+33612000015"); !errors.Is(err, oncall.ErrNotFound) {
		t.Fatalf("a requis's phone: %v, want ErrNotFound", err)
	}
	// A practice line shared by two GPs identifies nobody.
	_, _ = s.Enrol(ctx, EnrolSpec{TerritoryID: ter.ID, RPPS: "10003000022", Role: oncall.Requerant, Phones: []string{"+33611000014"}})
	if _, err := s.RequerantByPhone(ctx, ter.ID, "+33611000014"); !errors.Is(err, oncall.ErrNotFound) {
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
	var wrong *oncall.WrongPINError
	if err := s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), phone, now); !errors.As(err, &wrong) || wrong.Remaining != 2 {
		t.Fatalf("wrong PIN: %v, want 2 tries left", err)
	}
	if err := s.VerifyPIN(ctx, gp.ID, pin, phone, now); err != nil {
		t.Fatalf("right PIN after a wrong one: %v", err)
	}
	// The right PIN cleared the (RPPS, number) count.
	const other = "+33699000042"
	for i, want := range []int{2, 1} {
		if err := s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), other, now); !errors.As(err, &wrong) || wrong.Remaining != want {
			t.Fatalf("wrong #%d: %v, want %d left", i+1, err, want)
		}
	}
	var locked *oncall.LockedError
	if err := s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), other, now); !errors.As(err, &locked) || !errors.Is(err, oncall.ErrLocked) ||
		!locked.Until.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("third wrong: %v, want the number locked until +30 min", err)
	}
	// That number is locked for this RPPS, even with the right PIN…
	if err := s.VerifyPIN(ctx, gp.ID, pin, other, now.Add(10*time.Minute)); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("right PIN from the locked number: %v", err)
	}
	// …and the GP is not: the RPPS is far from its own limit.
	if err := s.VerifyPIN(ctx, gp.ID, pin, phone, now.Add(10*time.Minute)); err != nil {
		t.Fatalf("the GP from their phone: %v", err)
	}
	if after, _ := s.Requerant(ctx, ter.ID, gp.RPPS); !after.LockedUntil.IsZero() {
		t.Fatalf("the RPPS got locked: %v", after.LockedUntil)
	}
	// Growing delays: the next lock of the same number lasts twice as long.
	later := now.Add(31 * time.Minute)
	for range 2 {
		_ = s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), other, later)
	}
	if err := s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), other, later); !errors.As(err, &locked) || !locked.Until.Equal(later.Add(time.Hour)) {
		t.Fatalf("second lock: %v, want +1 h", err)
	}
	// Unlock lifts it early.
	if _, err := s.Unlock(ctx, UnlockRequest{Scope: Scope{Territory: ter.ID}, RPPS: gp.RPPS, At: later}); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyPIN(ctx, gp.ID, pin, other, later.Add(time.Minute)); err != nil {
		t.Fatalf("right PIN after unlock: %v", err)
	}
	// No PIN set.
	noPIN, _ := s.Requerant(ctx, ter.ID, "10003000022")
	if err := s.VerifyPIN(ctx, noPIN.ID, "123456", "", now); !errors.Is(err, ErrNoPIN) {
		t.Fatalf("no PIN: %v", err)
	}
}

// TestWithheldNumbersLimited: a withheld number used to be never counted
// (7 unknown RPPS out of 7 got through). All withheld callers now share one
// bucket with a lower limit, for unknown RPPS as for wrong PINs.
func TestWithheldNumbersLimited(t *testing.T) {
	s, ter, gp, pin := enrolledGP(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := s.RecordCallerFailure(ctx, ter.ID, "", now); err != nil {
		t.Fatalf("first unknown RPPS from a withheld number: %v", err)
	}
	if err := s.RefusePIN(ctx, ter.ID, "10001045367", "1234", "", now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("second failure from withheld numbers: %v, want locked", err)
	}
	if err := s.CheckCaller(ctx, ter.ID, "", now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("withheld bucket: %v, want locked", err)
	}
	if err := s.VerifyPIN(ctx, gp.ID, pin, "", now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("right PIN from a withheld number while the bucket is locked: %v", err)
	}
	// A presented number is not concerned.
	if err := s.VerifyPIN(ctx, gp.ID, pin, "+33611000014", now); err != nil {
		t.Fatalf("the GP's phone: %v", err)
	}
}

// TestOtherNumbersNeverBlockTheGP: RPPS numbers are public. Wrong PINs
// typed for Marie DUBOIS from many numbers — past the RPPS-wide limit —
// lock those numbers and the RPPS, and the journal names the sources; Marie
// calling from her enrolled phone with her PIN still gets through. From a
// number she has not enrolled, the locked RPPS answers as a wrong PIN does.
func TestOtherNumbersNeverBlockTheGP(t *testing.T) {
	s, ter, gp, pin := enrolledGP(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := 0; i < testPolicy.RPPSAttempts; i++ { // one wrong PIN from each of 8 numbers
		_ = s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), fmt.Sprintf("+336990000%02d", i), now)
	}
	after, _ := s.Requerant(ctx, ter.ID, gp.RPPS)
	if !after.LockedUntil.After(now) {
		t.Fatalf("%d failures from as many numbers did not lock the RPPS", testPolicy.RPPSAttempts)
	}
	if err := s.VerifyPIN(ctx, gp.ID, pin, "+33611000014", now); err != nil {
		t.Fatalf("the GP from their enrolled phone with the right PIN: %v", err)
	}
	var wrong *oncall.WrongPINError
	if err := s.VerifyPIN(ctx, gp.ID, pin, "+33611000099", now); !errors.As(err, &wrong) {
		t.Fatalf("right PIN from an unenrolled number while the RPPS is locked: %v, want it refused as a wrong PIN", err)
	}
	var sources string
	if err := s.pool.QueryRow(ctx, `SELECT detail->>'sources' FROM audit_log WHERE action = 'identification.locked'`).Scan(&sources); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < testPolicy.RPPSAttempts; i++ {
		if n := fmt.Sprintf("+336990000%02d", i); !strings.Contains(sources, n) {
			t.Errorf("the lock's journal row lacks source %s: %s", n, sources)
		}
	}
	list, err := LockSources(ctx, s.pool, ter.ID, gp.RPPS, now.Add(-time.Hour))
	if err != nil || len(list) != testPolicy.RPPSAttempts+1 { // the attackers and the unenrolled number
		t.Fatalf("LockSources: %d, %v", len(list), err)
	}
}

// TestUnknownRPPSCountedAlike: PINs typed for an RPPS nobody enrolled are
// answered and counted as wrong PINs of an enrolled one.
func TestUnknownRPPSCountedAlike(t *testing.T) {
	s, ter, gp, pin := enrolledGP(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const prober = "+33699000001"
	var a, b []string
	for range 3 {
		a = append(a, fmt.Sprint(s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), prober, now)))
		b = append(b, fmt.Sprint(s.RefusePIN(ctx, ter.ID, "10001045367", "1234", "+33699000002", now)))
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("enrolled %v\nunknown  %v", a, b)
	}
	// The prober's number has 3 failures of its 5: two more on other RPPS
	// numbers lock it for all.
	_ = s.RefusePIN(ctx, ter.ID, "10000000014", "1234", prober, now)
	if err := s.RefusePIN(ctx, ter.ID, "10000000022", "1234", prober, now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("fifth failure of one number: %v, want locked", err)
	}
	if err := s.CheckCaller(ctx, ter.ID, prober, now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("CheckCaller: %v", err)
	}
}

func TestPINFailuresRaceSafe(t *testing.T) {
	s, _, gp, pin := enrolledGP(t)
	s.SetLockoutPolicy(LockoutPolicy{MaxAttempts: 6, CallerAttempts: 50, RPPSAttempts: 50, Duration: time.Hour})
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { errs[i] = s.VerifyPIN(ctx, gp.ID, wrongPIN(pin), "+33699000001", now) })
	}
	wg.Wait()
	lockedCount := 0
	seen := map[int]bool{}
	for _, err := range errs {
		var wrong *oncall.WrongPINError
		switch {
		case errors.Is(err, oncall.ErrLocked):
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
