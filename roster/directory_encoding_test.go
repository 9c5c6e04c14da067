package roster

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const directoryHeader = "Identifiant PP|Nom d'exercice|Prénom d'exercice|Code profession|Code savoir-faire|Code commune (coord. structure)|Téléphone (coord. structure)|\n"

// TestDirectoryOneBadByte: a UTF-8 extract with one line that is not valid
// UTF-8 keeps every other accented name right; that line alone is read as
// Latin-1, and the result says how many lines were.
func TestDirectoryOneBadByte(t *testing.T) {
	s := newTestStore(t)
	data := directoryHeader +
		"10003000055|GAUTIER|Hélène|10|SM54|37261||\n" +
		"10003000063|LEFÈVRE|Stéphane|10|SM54|37261||\n" +
		"10004000013|FRAN\xc7OIS|C\xe9cile|10|SM54|37261||\n" + // Latin-1
		"10003000014|DUBOIS|Zoé|10|SM54|37261||\n"
	res, err := s.ImportDirectory(context.Background(), strings.NewReader(data), DirectoryImportOptions{Name: "x.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Medecins != 4 || res.Latin1Lines != 1 || res.Encoding != "UTF-8 and Latin-1" {
		t.Fatalf("result %+v", res)
	}
	names := map[string]string{}
	rows, _ := s.pool.Query(context.Background(), `SELECT rpps, first_name || ' ' || last_name FROM practitioner`)
	for rows.Next() {
		var rpps, name string
		_ = rows.Scan(&rpps, &name)
		names[rpps] = name
	}
	for rpps, want := range map[string]string{"10003000055": "Hélène GAUTIER", "10003000063": "Stéphane LEFÈVRE",
		"10004000013": "Cécile FRANÇOIS", "10003000014": "Zoé DUBOIS"} {
		if names[rpps] != want {
			t.Errorf("%s: %q, want %q", rpps, names[rpps], want)
		}
	}
}

// TestDirectoryBadLinesNamed: a NUL byte and a 3 MB name skip their lines,
// each logged with its line number; the rest is imported.
func TestDirectoryBadLinesNamed(t *testing.T) {
	s := newTestStore(t)
	data := directoryHeader +
		"10003000055|GAUTIER|Hélène|10|SM54|37261||\n" +
		"10003000063|LEF\x00VRE|Stéphane|10|SM54|37261||\n" +
		"10004000013|" + strings.Repeat("A", 101) + "|Cécile|10|SM54|37261||\n"
	core, logs := observer.New(zap.WarnLevel)
	res, err := s.ImportDirectory(context.Background(), strings.NewReader(data), DirectoryImportOptions{Name: "x.txt", Log: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Medecins != 1 || res.Skipped[SkipNUL] != 1 || res.Skipped[SkipBadName] != 1 {
		t.Fatalf("result %+v", res)
	}
	for line, reason := range map[int]SkipReason{3: SkipNUL, 4: SkipBadName} {
		if got := logs.FilterField(zap.Int("line", line)).All(); len(got) != 1 || got[0].ContextMap()["reason"] != string(reason) {
			t.Errorf("line %d not logged as %s: %v", line, reason, logs.All())
		}
	}
}

// TestDirectoryHugeLine: a 3 MB line is over the reader's bound: the import
// stops, naming the line.
func TestDirectoryHugeLine(t *testing.T) {
	s := newTestStore(t)
	data := directoryHeader + "10003000055|GAUTIER|Hélène|10|SM54|37261||\n" +
		"10004000013|" + strings.Repeat("A", 3<<20) + "|Cécile|10|SM54|37261||\n"
	_, err := s.ImportDirectory(context.Background(), strings.NewReader(data), DirectoryImportOptions{Name: "x.txt"})
	if err == nil || !strings.Contains(err.Error(), "x.txt:3:") {
		t.Fatalf("error %v does not name line 3", err)
	}
}

func TestCheckText(t *testing.T) {
	for s, ok := range map[string]bool{
		"Hélène": true, strings.Repeat("é", 100): true, strings.Repeat("é", 101): false,
		"A\x00B": false, "A\nB": false, "\xff": false,
	} {
		if err := CheckText("name", s, MaxNameLen); (err == nil) != ok {
			t.Errorf("CheckText(%q…) = %v", s[:min(len(s), 8)], err)
		}
	}
}

// TestEnrolmentCSVNameBound: a name over 100 characters is refused with
// its line.
func TestEnrolmentCSVNameBound(t *testing.T) {
	data := "rpps,role,specialty,last_name,first_name,phones\n" +
		"10003000014,requerant,,DUBOIS,Marie,0611000014\n" +
		"10003000022,requerant,," + strings.Repeat("L", 3<<20) + ",Jean,0611000022\n"
	_, err := ParseEnrolmentsCSV("e.csv", strings.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "e.csv:3") || !strings.Contains(err.Error(), "last name: 3145728 characters, at most 100") {
		t.Fatalf("error %v", err)
	}
}
