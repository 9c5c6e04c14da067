package sounds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Builder writes the sound files of a list of items under Out, as
// <Out>/fr/<sound>.wav (Asterisk's layout for the French language).
//
// A manifest (<Out>/fr/.regul-generated.json) remembers, for each file this
// tool wrote, a hash of its text and of its content. A file is regenerated
// when its text (or the synthesis settings) changed; a file that is not in
// the manifest, or whose content no longer matches it, was put there by
// someone else (a studio recording) and is never overwritten.
type Builder struct {
	Out     string
	Synth   Synth
	Version string // the synthesis settings, e.g. EspeakVersion
}

// Report says what Build did with each sound.
type Report struct {
	Generated []string // synthesised now (new, or its text changed)
	UpToDate  []string // generated earlier from the same text
	Studio    []string // a recording made elsewhere, kept as is
}

const manifestName = ".regul-generated.json"

type manifest struct {
	Files map[string]manifestEntry `json:"files"`
}

type manifestEntry struct {
	Text string `json:"text_sha256"` // of Version + text
	WAV  string `json:"wav_sha256"`
}

// Build produces every item. It stops at the first synthesis error, keeping
// the manifest right for what it wrote.
func (b *Builder) Build(ctx context.Context, items []Item) (rep Report, err error) {
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.Sound] {
			return rep, fmt.Errorf("sound %s is listed twice", it.Sound)
		}
		seen[it.Sound] = true
	}
	root := filepath.Join(b.Out, "fr")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return rep, fmt.Errorf("create %s: %w", root, err)
	}
	m, err := loadManifest(root)
	if err != nil {
		return rep, err
	}
	defer func() {
		if serr := saveManifest(root, m); serr != nil && err == nil {
			err = serr
		}
	}()
	for _, it := range items {
		file := filepath.Join(root, filepath.FromSlash(it.Sound)+".wav")
		textHash := hashString(b.Version + "\n" + it.Text)
		current, err := os.ReadFile(file)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return rep, fmt.Errorf("read %s: %w", file, err)
		default:
			entry, ours := m.Files[it.Sound]
			if !ours || entry.WAV != hashBytes(current) {
				delete(m.Files, it.Sound)
				rep.Studio = append(rep.Studio, it.Sound)
				continue
			}
			if entry.Text == textHash {
				rep.UpToDate = append(rep.UpToDate, it.Sound)
				continue
			}
		}
		var audio Audio
		if it.HoldMusic {
			audio = HoldMusic()
		} else if audio, err = b.Synth(ctx, it.Text); err != nil {
			return rep, fmt.Errorf("synthesise %s: %w", it.Sound, err)
		}
		wav := EncodeWAV(Resample(audio, AsteriskRate))
		if err := writeAtomic(file, wav); err != nil {
			return rep, err
		}
		m.Files[it.Sound] = manifestEntry{Text: textHash, WAV: hashBytes(wav)}
		rep.Generated = append(rep.Generated, it.Sound)
	}
	return rep, nil
}

func loadManifest(root string) (*manifest, error) {
	m := &manifest{Files: map[string]manifestEntry{}}
	data, err := os.ReadFile(filepath.Join(root, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sound manifest: %w", err)
	}
	if err := json.Unmarshal(data, m); err != nil {
		// Without it every existing file would count as a studio recording:
		// say so rather than silently never regenerating anything.
		return nil, fmt.Errorf("sound manifest %s is corrupt (delete it and the generated files to start over): %w",
			filepath.Join(root, manifestName), err)
	}
	if m.Files == nil {
		m.Files = map[string]manifestEntry{}
	}
	return m, nil
}

func saveManifest(root string, m *manifest) error {
	data, err := json.MarshalIndent(m, "", "  ") // map keys come out sorted: stable diffs
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(root, manifestName), append(data, '\n'))
}

func writeAtomic(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(file), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

func hashString(s string) string { return hashBytes([]byte(s)) }

func hashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
