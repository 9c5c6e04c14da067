package roster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/testkit/testclock"
)

// A line view that cannot reach the database at start serves the snapshot
// the last refresh saved, exactly as the database would answer; a snapshot
// older than allowed is refused and says how old it is.
func TestSnapshotFileServesAStartWithoutTheDatabase(t *testing.T) {
	s, ter := sampleLine(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "data", "roster-snapshot.json")
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, ter.Location)
	clk := testclock.New(now)
	saved := NewLineView(s, LineViewOptions{SnapshotFile: file}, clk, zap.NewNop())
	if err := saved.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot file: %v %v", info, err)
	}
	if _, err := os.Stat(file + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary file is left behind: %v", err)
	}

	// A new process, five hours later, without the database.
	now = now.Add(5 * time.Hour)
	clk.AdvanceTo(now)
	restarted := NewLineView(nil, LineViewOptions{SnapshotFile: file}, clk, zap.NewNop())
	if err := restarted.LoadSnapshotFile(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if !restarted.LoadedAt().Equal(now.Add(-5 * time.Hour)) {
		t.Errorf("loaded at %s, want the time the snapshot was saved", restarted.LoadedAt())
	}
	got, err := restarted.TerritoryByDID(ctx, ter.Numbers[0])
	if err != nil || got.ID != ter.ID || got.Location.String() != ter.Location.String() ||
		!reflect.DeepEqual(got.Hours, ter.Hours) || !reflect.DeepEqual(got.Specialties, ter.Specialties) {
		t.Fatalf("territory from the file = %+v, %v", got, err)
	}
	gp, err := saved.Requerant(ctx, ter.ID, "10003000014")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := restarted.Requerant(ctx, ter.ID, "10003000014"); err != nil || fmt.Sprintf("%+v", again) != fmt.Sprintf("%+v", gp) {
		t.Errorf("GP from the file = %+v, %v; want %+v", again, err, gp)
	}
	for _, sp := range ter.Specialties {
		at := now.Add(-time.Hour) // within the window saved
		want, err := saved.OnDuty(ctx, ter.ID, sp.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := restarted.OnDuty(ctx, ter.ID, sp.ID, at); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s on duty from the file = %+v, %v; want %+v", sp.Slug, got, err, want)
		}
	}

	now = now.Add(20 * time.Hour) // 25 h after it was saved
	clk.AdvanceTo(now)
	var stale *StaleSnapshotError
	if err := NewLineView(nil, LineViewOptions{SnapshotFile: file}, clk, zap.NewNop()).
		LoadSnapshotFile(24 * time.Hour); !errors.As(err, &stale) || stale.Age != 25*time.Hour {
		t.Errorf("a 25 h old snapshot: %v", err)
	}
	if err := NewLineView(nil, LineViewOptions{SnapshotFile: file + ".none"}, clk, zap.NewNop()).
		LoadSnapshotFile(24 * time.Hour); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no snapshot file: %v", err)
	}
}
