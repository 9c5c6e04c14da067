package roster

import (
	"context"
	"os"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const (
	sampleDirectory       = "../testdata/directory/PS_LibreAcces_Personne_activite_sample.txt"
	sampleDirectoryLatin1 = "../testdata/directory/PS_LibreAcces_Personne_activite_sample_latin1.txt"
)

func importDirectoryFile(t *testing.T, s *Store, path string, territoryID int64, log *zap.Logger) DirectoryImportResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := s.ImportDirectory(context.Background(), f, DirectoryImportOptions{Name: path, TerritoryID: territoryID, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestImportDirectorySample(t *testing.T) {
	for _, path := range []string{sampleDirectory, sampleDirectoryLatin1} {
		t.Run(path, func(t *testing.T) {
			s := newTestStore(t)
			ctx := context.Background()
			ter := applyFixture(t, s)
			core, logs := observer.New(zap.WarnLevel)
			res := importDirectoryFile(t, s, path, ter.ID, zap.New(core))
			want := DirectoryImportResult{Lines: 19, MedecinLines: 16, Medecins: 14, Created: 14, GPsInArea: 6, GPsEnrolled: 6}
			if res.Lines != want.Lines || res.MedecinLines != want.MedecinLines || res.Medecins != want.Medecins ||
				res.Created != want.Created || res.GPsInArea != want.GPsInArea || res.GPsEnrolled != want.GPsEnrolled {
				t.Fatalf("first import: %+v", res)
			}
			if res.Skipped[SkipNotMedecin] != 3 || res.Skipped[SkipBadRPPS] != 1 || len(res.Skipped) != 2 {
				t.Fatalf("skipped: %v", res.Skipped)
			}
			wantEncoding := "UTF-8"
			if path == sampleDirectoryLatin1 {
				wantEncoding = "Latin-1"
			}
			if res.Encoding != wantEncoding {
				t.Fatalf("encoding %s, want %s", res.Encoding, wantEncoding)
			}
			bad := logs.FilterField(zap.Int("line", 18)).FilterMessage("directory line skipped").All()
			if len(bad) != 1 || bad[0].ContextMap()["reason"] != string(SkipBadRPPS) {
				t.Fatalf("bad-Luhn line not logged with its number: %v", logs.All())
			}

			again := importDirectoryFile(t, s, path, ter.ID, nil)
			if again.Created != 0 || again.Updated != 0 || again.Unchanged != 14 || again.GPsEnrolled != 0 || again.GPsInArea != 6 {
				t.Fatalf("re-import: %+v", again)
			}

			names := map[string]string{}
			rows, _ := s.pool.Query(ctx, `SELECT rpps, first_name || ' ' || last_name FROM practitioner`)
			for rows.Next() {
				var rpps, name string
				_ = rows.Scan(&rpps, &name)
				names[rpps] = name
			}
			if names["10003000055"] != "Hélène GAUTIER" || names["10003000063"] != "Stéphane LEFÈVRE" || names["10004000013"] != "Cécile FRANÇOIS" {
				t.Fatalf("accented names: %q %q %q", names["10003000055"], names["10003000063"], names["10004000013"])
			}
			var sf, phones, communes []string
			_ = s.pool.QueryRow(ctx, `SELECT savoir_faire, phones, communes FROM practitioner WHERE rpps = '10003000014'`).Scan(&sf, &phones, &communes)
			if strings.Join(sf, ",") != "SM54" || strings.Join(phones, ",") != "+33247000114,+33247000214" || strings.Join(communes, ",") != "37122,37261" {
				t.Fatalf("person on two lines: %v %v %v", sf, phones, communes)
			}
			_ = s.pool.QueryRow(ctx, `SELECT phones FROM practitioner WHERE rpps = '10002000056'`).Scan(&phones)
			if len(phones) != 0 {
				t.Fatalf("blank phone gave %v", phones)
			}
			if _, err := s.Requerant(ctx, ter.ID, "10001045367"); err == nil {
				t.Fatal("GP outside the territory was enrolled")
			}
			if _, err := s.Requerant(ctx, ter.ID, "10003000055"); err != nil {
				t.Fatalf("GP in a commune of the département not enrolled: %v", err)
			}
			if _, err := s.Requerant(ctx, ter.ID, "10002000015"); err == nil {
				t.Fatal("a cardiologist was enrolled as requérant")
			}
		})
	}
}

func TestImportDirectoryHeaderSpellings(t *testing.T) {
	s := newTestStore(t)
	data := "IDENTIFIANT PP|Nom d’exercice|Prenom d'exercice|CODE PROFESSION|Code savoir faire|Code commune (coord structure)|Telephone (coord. structure)|\n" +
		"10002000015|MARTIN|Claire|10|SM04|37261|02 47 00 00 15|\n" +
		"10002000015|MARTIN\n"
	res, err := s.ImportDirectory(context.Background(), strings.NewReader(data), DirectoryImportOptions{Name: "x.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Medecins != 1 || res.Skipped[SkipMalformed] != 1 {
		t.Fatalf("result %+v", res)
	}
	_, err = s.ImportDirectory(context.Background(), strings.NewReader("Identifiant PP|Nom|\n"), DirectoryImportOptions{Name: "y.txt"})
	if err == nil || !strings.Contains(err.Error(), "y.txt:1: not an Annuaire Santé Personne_activite extract: no column nomdexercice") {
		t.Fatalf("missing columns: %v", err)
	}
}

func TestDepartementOfCommune(t *testing.T) {
	for code, want := range map[string]string{"37261": "37", "2A004": "2A", "2B033": "2B", "97411": "974", "01053": "01", "": ""} {
		if got := DepartementOfCommune(code); got != want {
			t.Errorf("DepartementOfCommune(%q) = %q, want %q", code, got, want)
		}
	}
}
