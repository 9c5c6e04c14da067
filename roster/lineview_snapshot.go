package roster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
	"go.uber.org/zap"
)

// The snapshot file lets a controller start and take calls while the
// database is away: every successful refresh saves what it loaded under
// data_dir (temp file, fsync, rename, fsync of the directory: a crash leaves
// the old file or the new one, never half of one), and a start that cannot
// reach the database loads it, unless it is older than the caller allows.
// It holds PIN hashes (slow hashes, as in the database) and professionals'
// phones: the file is written 0600, like the spool.

const snapshotFileVersion = 1

// snapshotFile is the file's JSON. Territories are kept with their time
// zone's name (a *time.Location does not marshal).
type snapshotFile struct {
	Version     int                          `json:"version"`
	SavedAt     time.Time                    `json:"saved_at"` // when it was loaded from the database
	Territories []territoryFile              `json:"territories"`
	Enrolments  map[int64][]oncall.Enrolment `json:"enrolments"`
	Spans       []snapshotSpan               `json:"spans"`
	PINHashes   map[int64]string             `json:"pin_hashes"`
}

type territoryFile struct {
	oncall.Territory
	Location string // shadows Territory.Location: its IANA name
}

// StaleSnapshotError says the saved snapshot is older than allowed.
type StaleSnapshotError struct {
	File    string
	SavedAt time.Time
	Age     time.Duration
	MaxAge  time.Duration
}

func (e *StaleSnapshotError) Error() string {
	return fmt.Sprintf("roster snapshot %s was saved %s ago (%s), more than the %s allowed",
		e.File, e.Age.Round(time.Second), e.SavedAt.Format(time.RFC3339), e.MaxAge)
}

// SnapshotFile is where a LineView keeps its snapshot under data_dir.
func SnapshotFile(dataDir string) string { return filepath.Join(dataDir, "roster-snapshot.json") }

func writeSnapshotFile(path string, data *snapshotData, savedAt time.Time) error {
	f := snapshotFile{Version: snapshotFileVersion, SavedAt: savedAt, Enrolments: data.Enrolments,
		Spans: data.Spans, PINHashes: data.PINHashes}
	for _, t := range data.Territories {
		name := "UTC"
		if t.Location != nil {
			name = t.Location.String()
		}
		f.Territories = append(f.Territories, territoryFile{Territory: t, Location: name})
	}
	body, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode roster snapshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save roster snapshot: %w", err)
	}
	tmp := path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("save roster snapshot: %w", err)
	}
	_, err = out.Write(body)
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("save roster snapshot %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save roster snapshot: %w", err)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("save roster snapshot: %w", err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("save roster snapshot: fsync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

func readSnapshotFile(path string) (*snapshotData, time.Time, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read roster snapshot: %w", err)
	}
	var f snapshotFile
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, time.Time{}, fmt.Errorf("read roster snapshot %s: %w", path, err)
	}
	if f.Version != snapshotFileVersion {
		return nil, time.Time{}, fmt.Errorf("read roster snapshot %s: version %d, this regul reads %d", path, f.Version, snapshotFileVersion)
	}
	data := &snapshotData{Enrolments: f.Enrolments, Spans: f.Spans, PINHashes: f.PINHashes}
	for _, tf := range f.Territories {
		t := tf.Territory
		loc, err := loadLocation(tf.Location)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("read roster snapshot %s: territory %s: %w", path, t.Slug, err)
		}
		t.Location = loc
		data.Territories = append(data.Territories, t)
	}
	return data, f.SavedAt, nil
}

// LoadSnapshotFile serves the snapshot last saved in file (see
// LineViewOptions.SnapshotFile) when the database cannot be reached at
// start. A snapshot saved more than maxAge ago is refused with a
// *StaleSnapshotError; a missing file wraps os.ErrNotExist.
func (v *LineView) LoadSnapshotFile(maxAge time.Duration) error {
	path := v.opts.SnapshotFile
	if path == "" {
		return errors.New("no roster snapshot file configured")
	}
	data, savedAt, err := readSnapshotFile(path)
	if err != nil {
		return err
	}
	if age := v.clock.Now().Sub(savedAt); age > maxAge {
		return &StaleSnapshotError{File: path, SavedAt: savedAt, Age: age, MaxAge: maxAge}
	}
	v.mu.Lock()
	v.snap, v.loadedAt = data.build(), savedAt
	v.mu.Unlock()
	v.log.Warn("serving the roster snapshot saved on disk: the database is unavailable",
		zap.String("file", path), zap.Time("saved_at", savedAt))
	return nil
}
