package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// runCLI runs the regul command line in-process and returns its output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// testDatabase points the CLI at a fresh migrated database.
func testDatabase(t *testing.T) {
	t.Helper()
	t.Setenv("REGUL_DATABASE_URL", pgtest.URL(t))
	t.Setenv("REGUL_LOG_LEVEL", "error")
}
