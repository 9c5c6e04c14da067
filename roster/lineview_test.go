package roster

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/testclock"
)

// sampleLine loads the sample territory, its enrolments and roster, with an
// override so that precedence is exercised too.
func sampleLine(t *testing.T) (*Store, oncall.Territory) {
	t.Helper()
	s := newTestStore(t)
	ter := applyFixture(t, s)
	importFixtureEnrolments(t, s, ter.ID)
	f, err := os.Open("../testdata/roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := s.ImportShifts(context.Background(), ter.ID, "roster.csv", f, false); err != nil {
		t.Fatal(err)
	}
	cardio, _ := ter.SpecialtyBySlug("cardiologie")
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, ter.Location)
	if _, err := s.AddOverride(context.Background(), ter.ID, NewOverride{SpecialtyID: cardio.ID, RPPS: "10002000031",
		Start: start, End: start.Add(5 * time.Hour), Rank: 1, Reason: "échange"}); err != nil {
		t.Fatal(err)
	}
	return s, ter
}

// The snapshot must resolve exactly as the SQL does, at every half hour of
// the sample week, overrides and the fallback line included.
func TestLineViewAgreesWithStore(t *testing.T) {
	s, ter := sampleLine(t)
	ctx := context.Background()
	from := time.Date(2026, 11, 22, 0, 0, 0, 0, ter.Location)
	now := from.Add(24 * time.Hour)
	dir := NewLineView(s, LineViewOptions{Behind: 48 * time.Hour, Ahead: 8 * 24 * time.Hour}, testclock.New(now), zap.NewNop())
	if err := dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for at := from; at.Before(from.Add(8 * 24 * time.Hour)); at = at.Add(30 * time.Minute) {
		for _, sp := range ter.Specialties {
			want, err := s.OnDuty(ctx, ter.ID, sp.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dir.OnDuty(ctx, ter.ID, sp.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s at %s:\n snapshot %+v\n database %+v", sp.Slug, at, got, want)
			}
			if len(want) > 1 {
				compared++
			}
		}
	}
	if compared == 0 {
		t.Fatal("the sample week has no chain to compare")
	}
}

func TestLineViewLookups(t *testing.T) {
	s, ter := sampleLine(t)
	ctx := context.Background()
	dir := NewLineView(s, LineViewOptions{}, clock.System(), zap.NewNop())
	if _, err := dir.TerritoryByDID(ctx, "+33179000001"); err == nil {
		t.Fatal("lookups before the first refresh must fail, not answer empty")
	}
	if err := dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := dir.TerritoryByDID(ctx, "01 79 00 00 02")
	if err != nil || got.Slug != "cpts-coteaux" || len(got.Specialties) != 3 {
		t.Fatalf("TerritoryByDID = %+v, %v", got, err)
	}
	if _, err := dir.TerritoryByDID(ctx, "+33179999999"); !errors.Is(err, oncall.ErrNotFound) {
		t.Fatalf("unknown DID: %v", err)
	}
	gp, err := dir.Requerant(ctx, ter.ID, "810003000014")
	if err != nil || gp.LastName != "DUBOIS" {
		t.Fatalf("Requerant (national form) = %+v, %v", gp, err)
	}
	if _, err := dir.Requerant(ctx, ter.ID, "10002000015"); !errors.Is(err, oncall.ErrNotFound) {
		t.Fatalf("a specialist is not a requérant: %v", err)
	}
	byPhone, err := dir.RequerantByPhone(ctx, ter.ID, "06 11 00 00 22")
	if err != nil || byPhone.RPPS != "10003000022" {
		t.Fatalf("RequerantByPhone = %+v, %v", byPhone, err)
	}
}

// With the database gone, the snapshot keeps answering and PINs are checked
// against its hashes, failures counted in memory up to a lock.
func TestLineViewWithoutDatabase(t *testing.T) {
	s, ter := sampleLine(t)
	ctx := context.Background()
	pin, err := s.SetNewPIN(ctx, ter.ID, "10003000014")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, ter.Location)
	dir := NewLineView(s, LineViewOptions{Lockout: LockoutPolicy{MaxAttempts: 3, CallerAttempts: 5, RPPSAttempts: 4,
		Duration: time.Hour}}, testclock.New(now), zap.NewNop())
	if err := dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	s.pool.Close() // the database is unreachable from here on

	if err := dir.Refresh(ctx); err == nil {
		t.Fatal("refresh with the database gone must report it")
	}
	cardio, _ := ter.SpecialtyBySlug("cardiologie")
	chain, err := dir.OnDuty(ctx, ter.ID, cardio.ID, now)
	if err != nil || len(chain) == 0 || chain[0].RPPS != "10002000031" {
		t.Fatalf("OnDuty without database = %+v, %v (the override holds rank 1)", chain, err)
	}
	gp, err := dir.Requerant(ctx, ter.ID, "10003000014")
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.VerifyPIN(ctx, gp.ID, pin, "+33611000014", now); err != nil {
		t.Fatalf("right PIN without database: %v", err)
	}
	wrong := "000000"
	if wrong == pin {
		wrong = "111111"
	}
	var wp *oncall.WrongPINError
	for i := 0; i < 2; i++ {
		if err := dir.VerifyPIN(ctx, gp.ID, wrong, "+33611000014", now); !errors.As(err, &wp) {
			t.Fatalf("wrong PIN %d: %v", i+1, err)
		}
	}
	if err := dir.VerifyPIN(ctx, gp.ID, wrong, "+33611000014", now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("third wrong PIN must lock the number: %v", err)
	}
	if err := dir.VerifyPIN(ctx, gp.ID, pin, "+33611000014", now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("a locked number is refused, right PIN or not: %v", err)
	}
	// A fourth failure, from another number, reaches the RPPS-wide limit:
	// other numbers are refused as with a wrong PIN, her phone is not.
	_ = dir.VerifyPIN(ctx, gp.ID, wrong, "+33699999998", now)
	if err := dir.VerifyPIN(ctx, gp.ID, pin, "+33699999999", now); !errors.As(err, &wp) {
		t.Fatalf("a locked RPPS from another number: %v, want refused as a wrong PIN", err)
	}
	locked, _ := dir.Requerant(ctx, ter.ID, "10003000014")
	if !locked.LockedUntil.After(now) {
		t.Fatal("Requerant must show the in-memory lock")
	}
	if err := dir.RefusePIN(ctx, ter.ID, "10001045367", "1234", "", now); !errors.As(err, &wp) {
		t.Fatalf("unknown RPPS without database: %v", err)
	}
}

// A lock the database reports is seen by the next call at once, without
// waiting for the next refresh; probing unknown RPPS numbers from one phone
// locks that number, in the database or, while it is away, in memory.
func TestLineViewLocks(t *testing.T) {
	s, ter := sampleLine(t)
	ctx := context.Background()
	policy := LockoutPolicy{MaxAttempts: 3, CallerAttempts: 3, Duration: time.Hour}
	s.SetLockoutPolicy(policy)
	if _, err := s.SetNewPIN(ctx, ter.ID, "10003000014"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, ter.Location)
	dir := NewLineView(s, LineViewOptions{Lockout: policy}, testclock.New(now), zap.NewNop())
	if err := dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	gp, _ := dir.Requerant(ctx, ter.ID, "10003000014")
	var err error
	for i := 0; i < 3; i++ {
		err = dir.VerifyPIN(ctx, gp.ID, "not-it", "+33611000014", now)
	}
	if !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("third wrong PIN: %v", err)
	}

	prober := "+33699000001"
	for i := 0; i < 2; i++ {
		if err := dir.CallerFailure(ctx, ter.ID, prober, now); err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if err := dir.CheckCaller(ctx, ter.ID, prober, now); err != nil {
		t.Fatalf("not locked yet: %v", err)
	}
	if err := dir.CallerFailure(ctx, ter.ID, prober, now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("third unknown RPPS must lock the number: %v", err)
	}
	if err := dir.CheckCaller(ctx, ter.ID, prober, now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("locked number: %v", err)
	}

	s.pool.Close() // the database is away: counted in memory
	other := "+33699000002"
	for i := 0; i < 2; i++ {
		_ = dir.CallerFailure(ctx, ter.ID, other, now)
	}
	if err := dir.CallerFailure(ctx, ter.ID, other, now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("in memory, the third unknown RPPS must lock: %v", err)
	}
	if err := dir.CheckCaller(ctx, ter.ID, other, now); !errors.Is(err, oncall.ErrLocked) {
		t.Fatalf("in memory, locked number: %v", err)
	}
	if err := dir.CheckCaller(ctx, ter.ID, "+33699000003", now); err != nil {
		t.Fatalf("an unknown number without the database is let through: %v", err)
	}
}
