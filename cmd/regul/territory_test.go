package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("regul %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func wantContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestTerritoryCommands(t *testing.T) {
	testDatabase(t)
	out := mustRun(t, "territory", "apply", "../../testdata/territory.yaml")
	wantContains(t, out, "territory cpts-coteaux: created", "number +33179000001: added", "specialty pediatrie: created")
	out = mustRun(t, "territory", "apply", "../../testdata/territory.yaml")
	if strings.TrimSpace(out) != "territory cpts-coteaux: unchanged" {
		t.Fatalf("second apply:\n%s", out)
	}
	out = mustRun(t, "territory", "show", "cpts-coteaux")
	wantContains(t, out, "CPTS des Coteaux (cpts-coteaux)", "Mon 08:00-20:00", "Sat 08:00-12:00", "public holidays  closed",
		`1  cardiologie    "cardiologie"  SM04,SM73  0 requis; then ligne de cardiologie du centre hospitalier +33247000001`)
	out = mustRun(t, "territory", "list")
	wantContains(t, out, "cpts-coteaux", "+33179000001, +33179000002")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	data, _ := os.ReadFile("../../testdata/territory.yaml")
	_ = os.WriteFile(bad, []byte(strings.Replace(string(data), "digit: 2", "digit: 1", 1)), 0o644)
	_, err := runCLI(t, "territory", "apply", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:46: specialties[1].digit: 1 is already used by cardiologie") {
		t.Fatalf("bad file: %v", err)
	}
	if _, err := runCLI(t, "territory", "show", "nowhere"); err == nil || !strings.Contains(err.Error(), "territory nowhere: not found") {
		t.Fatalf("unknown territory: %v", err)
	}
}

func TestDirectoryAndEnrolCommands(t *testing.T) {
	testDatabase(t)
	mustRun(t, "territory", "apply", "../../testdata/territory.yaml")
	out := mustRun(t, "directory", "import", "../../testdata/directory/PS_LibreAcces_Personne_activite_sample.txt", "--territory", "cpts-coteaux")
	wantContains(t, out, "(UTF-8) imported", "lines read        19", "médecins          14 (14 created, 0 updated, 0 unchanged)",
		"GPs in cpts-coteaux  6 (6 newly enrolled as requérant)", "skipped           1: bad RPPS (Luhn key)", "skipped           3: not a médecin")
	// The bad line is named plainly, never as a JSON log line.
	if !regexp.MustCompile(`PS_LibreAcces_Personne_activite_sample\.txt:18: skipped: bad RPPS \(Luhn key\)`).MatchString(out) || strings.Contains(out, `{"level"`) {
		t.Errorf("directory import does not name its skipped line readably:\n%s", out)
	}
	out = mustRun(t, "directory", "import", "../../testdata/directory/PS_LibreAcces_Personne_activite_sample_latin1.txt", "--territory", "cpts-coteaux")
	wantContains(t, out, "(Latin-1) imported", "read as Latin-1   20 (not valid UTF-8)", "médecins          14 (0 created, 0 updated, 14 unchanged)", "(0 newly enrolled")

	out = mustRun(t, "enrol", "import", "../../testdata/enrolments.csv", "--territory", "cpts-coteaux")
	wantContains(t, out, "6 enrolment(s) created, 4 updated, 0 unchanged in cpts-coteaux")
	out = mustRun(t, "enrol", "--territory", "cpts-coteaux", "--rpps", "10002000015", "--role", "requis", "--specialty", "cardiologie",
		"--phone", "06 12 00 00 15", "--phone", "02.47.00.00.15")
	wantContains(t, out, "enrolment of 10002000015 as requis in cpts-coteaux: updated")
	out = mustRun(t, "enrol", "--territory", "cpts-coteaux", "--rpps", "10001045367", "--role", "requerant", "--phone", "0611000067")
	wantContains(t, out, "enrolment of 10001045367 as requerant in cpts-coteaux: created")
	out = mustRun(t, "enrol", "--territory", "cpts-coteaux", "--rpps", "10003000071", "--role", "requerant",
		"--last-name", "NOUVEAU", "--first-name", "Médecin")
	wantContains(t, out, "created")
	_, err := runCLI(t, "enrol", "--territory", "cpts-coteaux", "--rpps", "10002000023", "--role", "requis", "--specialty", "cardiologie", "--phone", "06 12")
	if err == nil || !strings.Contains(err.Error(), `phone number "06 12"`) {
		t.Fatalf("bad phone: %v", err)
	}

	out = mustRun(t, "enrol", "pin", "--territory", "cpts-coteaux", "--rpps", "10003000014")
	wantContains(t, out, "new PIN for 10003000014 in cpts-coteaux: ")
	pin := strings.Fields(strings.SplitN(out, ": ", 2)[1])[0]
	if len(pin) != 6 {
		t.Fatalf("PIN %q", pin)
	}
	out = mustRun(t, "enrol", "list", "--territory", "cpts-coteaux")
	wantContains(t, out, "RPPS", "Marie DUBOIS", "+33611000014", "Claire MARTIN", "+33612000015 +33247000015", "cardiologie", "Nicolas FOURNIER")
	if strings.Contains(out, pin) {
		t.Fatal("the PIN is shown by enrol list")
	}
	if got := strings.Count(out, "\n"); got != 15 {
		t.Fatalf("%d lines in enrol list, want header + 14:\n%s", got, out)
	}
	mustRun(t, "enrol", "unlock", "--territory", "cpts-coteaux", "--rpps", "10003000014")
}
