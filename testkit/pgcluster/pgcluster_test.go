package pgcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// A cluster whose owner died without closing it is stopped and removed by
// the next Start, on this machine, by any regul process.
func TestStartReapsOrphans(t *testing.T) {
	if _, err := FindBinDir(); err != nil {
		t.Fatal(err) // make test installs PostgreSQL: its absence is a broken set-up, not a reason to skip
	}
	ctx := context.Background()
	orphan, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { orphan.Close() })
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan.dir, ownerFile), []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(orphan.dir, "data", "postmaster.pid")
	if _, err := os.Stat(pidFile); err != nil {
		t.Fatalf("the orphan is not running: %v", err)
	}

	fresh, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := os.Stat(orphan.dir); !os.IsNotExist(err) {
		t.Errorf("the orphan's directory is still there: %v", err)
	}
	if _, err := os.Stat(fresh.dir); err != nil {
		t.Errorf("the new cluster's directory: %v", err)
	}
}
