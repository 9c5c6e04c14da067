package asterisktest

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/regul-sante/regul/internal/sounds"
)

// BuildPrompts does what `regul prompts build` does for an installation:
// every prompt of the repository's catalogues, plus the roster's names read
// from names (the roster of a database with the territory loaded), synthesised with espeak-ng
// into out/fr/…. repo is the repository's root.
func BuildPrompts(ctx context.Context, repo, out string, names sounds.Roster) error {
	var items []sounds.Item
	for _, c := range []string{"asterisk-config/prompts.yaml", "asterisk-config/dialplan-prompts.yaml"} {
		got, err := sounds.LoadCatalogue(filepath.Join(repo, c))
		if err != nil {
			return err
		}
		items = append(items, got...)
	}
	spoken, _, err := sounds.RosterItems(ctx, names)
	if err != nil {
		return fmt.Errorf("roster names: %w", err)
	}
	items = append(items, spoken...)
	synth, err := sounds.Espeak()
	if err != nil {
		return err
	}
	b := &sounds.Builder{Out: out, Synth: synth, Version: sounds.EspeakVersion}
	if _, err := b.Build(ctx, items); err != nil {
		return fmt.Errorf("build prompts: %w", err)
	}
	return nil
}

// HoldMusic is a licence-free music-on-hold file: 20 s of a slow
// three-note arpeggio, 8 kHz mono 16-bit WAV, never silent for long.
func HoldMusic() []byte {
	const rate = sounds.AsteriskRate
	notes := []float64{392, 494, 587, 494}
	a := sounds.Audio{Rate: rate, Samples: make([]int16, 20*rate)}
	for i := range a.Samples {
		n := notes[(i/(rate/2))%len(notes)]
		a.Samples[i] = int16(6000 * math.Sin(2*math.Pi*n*float64(i)/rate))
	}
	return sounds.EncodeWAV(a)
}

// RepoRoot walks up from the working directory to the folder holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
