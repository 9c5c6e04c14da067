package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/testkit/pgtest"
)

// runRegul runs the CLI with a config pointing at dbURL.
func runRegul(t *testing.T, dbURL, stdin string, args ...string) (string, error) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "regul.yaml")
	if err := os.WriteFile(cfg, []byte("database:\n  url: "+dbURL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(append([]string{"--config", cfg}, args...))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestUserCommands(t *testing.T) {
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-coteaux', 'CPTS des Coteaux')`); err != nil {
		t.Fatal(err)
	}

	out, err := runRegul(t, dbURL, "", "user", "add", "--territory", "cpts-coteaux", "--email", "coordination@cpts-coteaux.example")
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`initial password \(shown once\): [A-Za-z2-9]{20}\n`).MatchString(out) {
		t.Fatalf("add prints no initial password:\n%s", out)
	}
	if out, err = runRegul(t, dbURL, "un mot de passe assez long\n", "user", "add", "--admin", "--email", "admin@regul.example", "--password-stdin"); err != nil || strings.Contains(out, "initial password") {
		t.Fatalf("add --password-stdin: %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"user", "add", "--email", "x@y.example"},
		{"user", "add", "--territory", "nowhere", "--email", "x@y.example"},
		{"user", "add", "--territory", "cpts-coteaux", "--email", "not-an-email"},
		{"user", "add", "--territory", "cpts-coteaux", "--email", "coordination@cpts-coteaux.example"},
	} {
		if out, err := runRegul(t, dbURL, "", bad...); err == nil {
			t.Errorf("%v accepted:\n%s", bad, out)
		}
	}
	if _, err := runRegul(t, dbURL, "court\n", "user", "add", "--admin", "--email", "b@regul.example", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "shorter than 12") {
		t.Errorf("short password from stdin: %v", err)
	}

	if _, err := runRegul(t, dbURL, "", "user", "reset-totp", "coordination@cpts-coteaux.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := runRegul(t, dbURL, "", "user", "disable", "admin@regul.example"); err != nil {
		t.Fatal(err)
	}
	out, err = runRegul(t, dbURL, "", "user", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"admin@regul.example", "* (admin)", "disabled", "coordination@cpts-coteaux.example", "cpts-coteaux", "to enrol", "active"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if _, err := runRegul(t, dbURL, "", "user", "disable", "nobody@regul.example"); err == nil {
		t.Error("disable of an unknown email accepted")
	}
}
