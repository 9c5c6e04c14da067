package roster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// benchLinesEnv scales the national-size benchmark down for a quick run.
const benchLinesEnv = "REGUL_BENCH_DIRECTORY_LINES"

// nationalDirectoryLines is about the size of the national extract.
const nationalDirectoryLines = 2_000_000

// BenchmarkImportDirectoryNational imports a generated national-size
// extract (≈2 million lines, ≈1 GB; REGUL_BENCH_DIRECTORY_LINES scales it)
// and reports lines/s and the total time. The target is under 2 minutes.
func BenchmarkImportDirectoryNational(b *testing.B) {
	lines := nationalDirectoryLines
	if v := os.Getenv(benchLinesEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q is not a positive number of lines", benchLinesEnv, v)
		}
		lines = n
	}
	path := filepath.Join(b.TempDir(), "PS_LibreAcces_Personne_activite_bench.txt")
	size, err := writeSyntheticDirectory(path, lines)
	if err != nil {
		b.Fatal(err)
	}
	s := NewStore(pgtest.New(b))
	spec, err := LoadTerritorySpec(fixtureTerritory)
	if err != nil {
		b.Fatal(err)
	}
	applied, err := s.ApplyTerritory(context.Background(), spec)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total time.Duration
	var res DirectoryImportResult
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err = s.ImportDirectory(context.Background(), f, DirectoryImportOptions{Name: path, TerritoryID: applied.TerritoryID})
		total += time.Since(start)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perRun := total / time.Duration(b.N)
	b.ReportMetric(float64(lines)/perRun.Seconds(), "lines/s")
	b.ReportMetric(perRun.Seconds(), "s/import")
	b.ReportMetric(float64(size)/perRun.Seconds()/1e6, "MB/s")
	b.Logf("%d lines, %.0f MB: %d médecins, %d GPs in the territory; one import %s", res.Lines, float64(size)/1e6, res.Medecins, res.GPsInArea, perRun.Round(time.Millisecond))
}

// writeSyntheticDirectory writes an extract in the national file's shape:
// the sample's 56 columns, one line per person × activity (1 to 3 lines per
// person, mostly consecutive), about a third of them médecins.
func writeSyntheticDirectory(path string, lines int) (int64, error) {
	sample, err := os.ReadFile(sampleDirectory)
	if err != nil {
		return 0, err
	}
	header, _, _ := strings.Cut(string(sample), "\n")
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, header)
	professions := []struct{ code, label, sf, sfLabel string }{
		{"10", "Médecin", "SM54", "Médecine générale"},
		{"10", "Médecin", "SM04", "Cardiologie et maladies vasculaires"},
		{"10", "Médecin", "SM40", "Pédiatrie"},
		{"21", "Pharmacien", "", ""},
		{"60", "Infirmier", "", ""},
		{"60", "Infirmier", "", ""},
		{"40", "Chirurgien-Dentiste", "", ""},
		{"70", "Masseur-Kinésithérapeute", "", ""},
		{"50", "Sage-Femme", "", ""},
	}
	person := 0
	for written := 0; written < lines; person++ {
		prefix := fmt.Sprintf("1%09d", 100000000+person)
		rpps := prefix + string(oncall.LuhnKey(prefix))
		p := professions[person%len(professions)]
		dept := 1 + person%95
		for a := 0; a <= person%3 && written < lines; a++ {
			commune := fmt.Sprintf("%02d%03d", dept, (person+a*7)%400+1)
			fmt.Fprintf(w, "8|%s|8%s|DR|Docteur|||NOM%07d|Prénom%d|%s|%s|C|Civil|S|Spécialité ordinale|%s|%s|L|Libéral, indépendant, artisan, commerçant|%014d||||R1%08d|CABINET MÉDICAL||||%d||R|Rue|RUE DE LA RÉPUBLIQUE|||%02d000|%s|COMMUNE %s|||02%08d|||cabinet.nom%07d@exemple-sante.fr|%02d|Département %02d|1%08d|CNOM/CNOM/CNOM|SA07|Cabinet individuel|||FON-01|Titulaire de cabinet|GENR01|Activité standard de soin ou de pharmacien|\n",
				rpps, rpps, person, person, p.code, p.label, p.sf, p.sfLabel, 90000000000000+person*3+a, person*3+a, a+1,
				dept, commune, commune, person%100000000, person, dept, dept, person)
			written++
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}
