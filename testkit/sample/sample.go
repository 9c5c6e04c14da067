// Package sample loads the sample line kept in testdata/: the territory,
// the Annuaire Santé extract, the enrolments and the roster. The demo, the
// end-to-end tests and the packages' tests all start from it.
package sample

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// Options shape the sample before it is loaded.
type Options struct {
	// Territory edits the territory before it is applied (policy, hours…).
	Territory func(*roster.TerritorySpec)
	// Only keeps one specialty, with its specialists and shifts (a
	// territory without a menu).
	Only string
	// Directory also imports the directory extract.
	Directory bool
	Log       *zap.Logger
	// MoveRoster, when set, moves every shift of roster.csv by whole days
	// (wall-clock times kept) so that the sample day From falls on To, and
	// repeats From's shifts a week after To, so that the week from To on is
	// covered (the demo, dated today).
	MoveRoster *RosterMove
}

// RosterMove moves the sample roster: From (a date of the file) to To.
type RosterMove struct {
	From, To time.Time // dates; only their year, month and day count
}

// Loaded is what was loaded.
type Loaded struct {
	Territory  oncall.Territory
	Enrolments int
	Shifts     int
	Directory  *roster.DirectoryImportResult
}

// Load applies the sample found in dir (a testdata folder).
func Load(ctx context.Context, store *roster.Store, dir string, o Options) (Loaded, error) {
	var out Loaded
	spec, err := roster.LoadTerritorySpec(filepath.Join(dir, "territory.yaml"))
	if err != nil {
		return out, err
	}
	if o.Territory != nil {
		o.Territory(&spec)
	}
	if o.Only != "" {
		spec.Specialties = slices.DeleteFunc(spec.Specialties, func(sp roster.SpecialtySpec) bool { return sp.Slug != o.Only })
	}
	applied, err := store.ApplyTerritory(ctx, spec)
	if err != nil {
		return out, err
	}
	if o.Directory {
		if out.Directory, err = importDirectory(ctx, store, dir, applied.TerritoryID, o.Log); err != nil {
			return out, err
		}
	}
	if out.Enrolments, err = enrol(ctx, store, dir, applied.TerritoryID, o.Only); err != nil {
		return out, err
	}
	shifts, err := os.ReadFile(filepath.Join(dir, "roster.csv"))
	if err != nil {
		return out, err
	}
	if o.Only != "" {
		shifts = keepShiftsOf(shifts, o.Only)
	}
	if o.MoveRoster != nil {
		if shifts, err = moveRoster(shifts, *o.MoveRoster); err != nil {
			return out, err
		}
	}
	rep, err := store.ImportShifts(ctx, applied.TerritoryID, "roster.csv", bytes.NewReader(shifts), false)
	if err != nil {
		return out, err
	}
	out.Shifts = len(rep.Added)
	out.Territory, err = store.TerritoryBySlug(ctx, spec.Slug)
	return out, err
}

func importDirectory(ctx context.Context, store *roster.Store, dir string, territoryID int64, log *zap.Logger) (*roster.DirectoryImportResult, error) {
	if log == nil {
		log = zap.NewNop()
	}
	path := filepath.Join(dir, "directory", "PS_LibreAcces_Personne_activite_sample.txt")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := store.ImportDirectory(ctx, f, roster.DirectoryImportOptions{Name: path, TerritoryID: territoryID, Log: log})
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	return &res, nil
}

func enrol(ctx context.Context, store *roster.Store, dir string, territoryID int64, only string) (int, error) {
	f, err := os.Open(filepath.Join(dir, "enrolments.csv"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lines, err := roster.ParseEnrolmentsCSV("enrolments.csv", f)
	if err != nil {
		return 0, err
	}
	if only != "" {
		lines = slices.DeleteFunc(lines, func(l roster.EnrolmentLine) bool {
			return l.Spec.Role == oncall.Requis && l.Spec.Specialty != only
		})
	}
	if _, err := store.ImportEnrolments(ctx, territoryID, "enrolments.csv", lines); err != nil {
		return 0, err
	}
	return len(lines), nil
}

// keepShiftsOf keeps the header and one specialty's lines of a roster CSV
// (rpps,specialty,start,end,rank).
func keepShiftsOf(csv []byte, slug string) []byte {
	var out []byte
	for i, line := range bytes.SplitAfter(csv, []byte("\n")) {
		fields := bytes.Split(line, []byte(","))
		if i == 0 || len(fields) > 1 && string(fields[1]) == slug {
			out = append(out, line...)
		}
	}
	return out
}

// moveRoster rewrites a roster CSV (rpps,specialty,start,end,rank; times
// "YYYY-MM-DD HH:MM") with every date moved by the days from m.From to m.To,
// and m.From's shifts repeated a week later.
func moveRoster(csv []byte, m RosterMove) ([]byte, error) {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	days := int(day(m.To).Sub(day(m.From)).Hours() / 24)
	first := day(m.From).Format("2006-01-02")
	move := func(s string, by int) (string, error) {
		t, err := time.Parse("2006-01-02 15:04", strings.TrimSpace(s))
		if err != nil {
			return "", fmt.Errorf("sample roster: %w", err)
		}
		return t.AddDate(0, 0, by).Format("2006-01-02 15:04"), nil
	}
	var out, repeat []string
	for i, line := range strings.Split(strings.TrimRight(string(csv), "\n"), "\n") {
		f := strings.Split(line, ",")
		if i == 0 || strings.HasPrefix(line, "#") || len(f) != 5 {
			out = append(out, line)
			continue
		}
		again := strings.HasPrefix(f[2], first)
		for _, by := range []int{days, days + 7} {
			g := slices.Clone(f)
			var err error
			if g[2], err = move(f[2], by); err != nil {
				return nil, err
			}
			if g[3], err = move(f[3], by); err != nil {
				return nil, err
			}
			if by == days {
				out = append(out, strings.Join(g, ","))
			} else if again {
				repeat = append(repeat, strings.Join(g, ","))
			}
		}
	}
	return []byte(strings.Join(append(out, repeat...), "\n") + "\n"), nil
}
