package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"
	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/testkit/pgtest"
)

// rosterEnv is a fresh database holding the sample territory, pointed at
// through REGUL_DATABASE_URL as an operator would.
func rosterEnv(t *testing.T) {
	t.Helper()
	url := pgtest.URL(t)
	seed, err := os.ReadFile("../../testdata/roster_fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), string(seed)); err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Setenv("REGUL_DATABASE_URL", url)
}

// run executes regul with args and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func exitCode(err error) int {
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestRosterCommands(t *testing.T) {
	rosterEnv(t)
	const terr = "--territory=cpts-coteaux"

	// A dry run writes nothing; the import then adds everything; again: no-op.
	out := mustRun(t, "roster", "import", "../../testdata/roster.csv", terr, "--dry-run")
	if !strings.Contains(out, "dry run: 134 shift(s) would be added, 0 unchanged; nothing written") ||
		!strings.Contains(squeeze(out), "+ cardiologie rank 1 2026-10-24 20:00 → 2026-10-25 08:00 10002000023 Hugo BERNARD") {
		t.Errorf("dry run output:\n%s", out)
	}
	if _, _, err := run(t, "roster", "show", terr, "--specialty=cardiologie", "--at=2026-10-24 23:00"); exitCode(err) != 3 {
		t.Errorf("after a dry run, show exits %d; want 3 (nothing written)", exitCode(err))
	}
	out = mustRun(t, "roster", "import", "../../testdata/roster.csv", terr)
	if want := "../../testdata/roster.csv: 134 shift(s) added, 0 unchanged\n"; out != want {
		t.Errorf("import: %q want %q", out, want)
	}
	out = mustRun(t, "roster", "import", "../../testdata/roster.csv", terr)
	if want := "../../testdata/roster.csv: 0 shift(s) added, 134 unchanged\n"; out != want {
		t.Errorf("re-import: %q want %q", out, want)
	}

	// Every mistake of the sample error file, with its line.
	_, errOut, err := run(t, "roster", "import", "../../testdata/roster_errors.csv", terr)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "problem(s), nothing written") {
		t.Fatalf("bad file: %v", err)
	}
	for _, want := range []string{
		"roster_errors.csv:6: rpps 10002000016: wrong check digit (Luhn)",
		"roster_errors.csv:8: overlaps line 4 (cardiologie rank 1, 2026-11-23 20:00 → 2026-11-24 08:00)",
		`roster_errors.csv:10: unknown specialty "neurologie"`,
		"roster_errors.csv:12: rpps 10002000072: unknown specialist",
		"roster_errors.csv:14: rpps 10002000056 (Sophie LEROY) is not enrolled as requis for pediatrie",
		"roster_errors.csv:16: end 2026-11-25 08:00 is not after start 2026-11-25 20:00",
		`roster_errors.csv:18: end "2027-03-28 02:30" does not exist in Europe/Paris`,
		`roster_errors.csv:20: start "23/11/2026 08:00" is not a time written YYYY-MM-DD HH:MM`,
		`roster_errors.csv:20: rank "0"`,
		"roster_errors.csv:22: 4 field(s), want 5",
		// Line 4 is fine in the file but clashes with the base (line 3 is in it).
		"roster_errors.csv:4: overlaps existing shift",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("errors lack %q:\n%s", want, errOut)
		}
	}

	// The chain, fallback last; the 13-hour autumn night covers 02:30.
	out = mustRun(t, "roster", "show", terr, "--specialty=cardiologie", "--at=2026-10-25 02:30")
	want := "1         10002000023  Hugo BERNARD                                +33612000023\n" +
		"fallback               ligne de cardiologie du centre hospitalier  +33247000001\n"
	if out != want {
		t.Errorf("show:\n%s\nwant:\n%s", out, want)
	}
	out = mustRun(t, "roster", "show", terr, "--specialty=cardiologie", "--at=2026-11-23 10:00")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "1") || !strings.HasPrefix(lines[1], "2") || !strings.HasPrefix(lines[2], "fallback") {
		t.Errorf("show, day with two ranks:\n%s", out)
	}

	// Nobody on duty: exit code 3 with a message.
	out, _, err = run(t, "roster", "show", terr, "--specialty=pediatrie", "--at=2026-11-25 13:00")
	if exitCode(err) != 3 || !strings.Contains(err.Error(), "no specialist on duty for pediatrie in cpts-coteaux at 2026-11-25 13:00") {
		t.Errorf("nobody on duty: code %d, %v", exitCode(err), err)
	}
	// After a fallback line, the message does not say "nobody".
	if strings.HasPrefix(strings.TrimSpace(out), "fallback") != strings.Contains(err.Error(), "only the fallback line above answers") ||
		strings.Contains(err.Error(), "nobody") == strings.HasPrefix(strings.TrimSpace(out), "fallback") {
		t.Errorf("the message contradicts the chain printed:\n%s\n%v", out, err)
	}
	if _, _, err := run(t, "roster", "show", terr, "--specialty=cardiologie", "--at=2027-03-28 02:30"); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Errorf("--at in the spring gap: %v", err)
	}

	// Gaps: the two deliberate ones of the sample week.
	out = mustRun(t, "roster", "gaps", terr, "--from=2026-11-23", "--days=7")
	want = "dermatologie  2026-11-27 18:00 → 2026-11-27 20:00  2h00\n" +
		"pediatrie     2026-11-25 12:00 → 2026-11-25 14:00  2h00\n"
	if out != want {
		t.Errorf("gaps:\n%s\nwant:\n%s", out, want)
	}

	// An override closes the pédiatrie gap, and shows in the chain.
	out = mustRun(t, "roster", "override", terr, "--specialty=pediatrie", "--rpps=10002000064",
		"--from=2026-11-25 12:00", "--to=2026-11-25 14:00", "--reason=permanence déjeuner")
	if !strings.HasPrefix(out, "override ") || !strings.Contains(out, "pediatrie rank 1, 2026-11-25 12:00 → 2026-11-25 14:00: 10002000064 Paul MOREAU") {
		t.Errorf("override: %q", out)
	}
	id := strings.TrimSuffix(strings.Fields(out)[1], ":")
	out = mustRun(t, "roster", "gaps", terr, "--from=2026-11-23", "--days=7")
	if strings.Contains(out, "pediatrie") {
		t.Errorf("gap still listed after the override:\n%s", out)
	}
	out = mustRun(t, "roster", "override", "list", terr, "--from=2026-11-01")
	if !strings.HasPrefix(out, id+" ") || !strings.Contains(out, "(permanence déjeuner)") {
		t.Errorf("override list:\n%s", out)
	}
	if out := mustRun(t, "roster", "override", "delete", id, terr); out != "override "+id+" deleted\n" {
		t.Errorf("delete: %q", out)
	}
	if _, _, err := run(t, "roster", "override", "delete", id, terr); err == nil {
		t.Error("deleting twice succeeded")
	}

	// iCalendar: parsed back, same UIDs on a second export.
	dir := t.TempDir()
	export := func(name string) []string {
		path := filepath.Join(dir, name)
		mustRun(t, "roster", "ics", terr, "--rpps=10002000023", "--out="+path)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cal, err := ics.ParseCalendar(f)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		var uids []string
		for _, ev := range cal.Events() {
			uids = append(uids, ev.Id())
		}
		return uids
	}
	first, second := export("a.ics"), export("b.ics")
	if len(first) == 0 || strings.Join(first, ",") != strings.Join(second, ",") ||
		!strings.HasSuffix(first[0], "@cpts-coteaux.regul") {
		t.Errorf("UIDs: %v vs %v", first, second)
	}

	// Bad flags say what is wrong.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"roster", "show", "--specialty=cardiologie"}, "--territory is required"},
		{[]string{"roster", "show", "--territory=nowhere", "--specialty=cardiologie"}, "--territory nowhere: no such territory"},
		{[]string{"roster", "show", terr, "--specialty=neurologie"}, `--specialty: specialty "neurologie"`},
		{[]string{"roster", "gaps", terr, "--days=0"}, "--days 0"},
		{[]string{"roster", "override", terr, "--specialty=cardiologie", "--rpps=10002000015",
			"--from=2026-11-25 14:00", "--to=2026-11-25 12:00"}, "is not after --from"},
	} {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("regul %s: %v; want %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// squeeze collapses runs of spaces (tabwriter alignment) to one.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
