package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportBillingCommand(t *testing.T) {
	testDatabase(t)
	mustRun(t, "territory", "apply", "../../testdata/territory.yaml")
	out := mustRun(t, "export", "billing", "--territory", "cpts-coteaux", "--month", "2026-02")
	if out != "\ufeffrpps;nom;prenom;role;code_acte;libelle;date;heure;reference_appel;id_appel;montant_eur\r\n" {
		t.Errorf("a month without calls: %q", out)
	}
	file := filepath.Join(t.TempDir(), "releve.csv")
	mustRun(t, "export", "billing", "--territory", "cpts-coteaux", "--month", "2026-02", "--out", file)
	if raw, err := os.ReadFile(file); err != nil || !strings.HasPrefix(string(raw), "\ufeffrpps;") {
		t.Errorf("--out file: %v %q", err, raw)
	}
	for args, want := range map[string]string{
		"--territory cpts-coteaux --month 02/2026": "--month: month \"02/2026\": want YYYY-MM",
		"--territory nowhere --month 2026-02":      "territory nowhere: billing: territory not found",
		"--month 2026-02":                          "--territory is required",
	} {
		_, err := runCLI(t, append([]string{"export", "billing"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

// TestExportBOMOnlyOffTerminals: the billing CSV keeps its byte-order mark
// in files and pipes (spreadsheets need it) and drops it on a terminal.
func TestExportBOMOnlyOffTerminals(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Error("a pipe is taken for a terminal")
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is taken for a terminal")
	}
	f, err := os.Create(t.TempDir() + "/relevé.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is taken for a terminal")
	}
}
