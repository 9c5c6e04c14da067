// Package sounds turns the prompt catalogue (id → French text → sound name)
// and the roster's names into the sound files Asterisk plays: 8 kHz mono
// 16-bit WAV, synthesised by a text-to-speech engine (espeak-ng, French
// voice) and replaceable by studio recordings of the same names, which are
// never overwritten.
package sounds

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Item is one sound to produce: its name as Asterisk knows it
// ("regul/bienvenue", played as "sound:regul/bienvenue") and its text.
type Item struct {
	ID    string `yaml:"id"` // the catalogue's id; empty for roster names
	Sound string `yaml:"sound"`
	Text  string `yaml:"text"`
	// HoldMusic items are rendered by HoldMusic instead of spoken; Text
	// then names the music's version.
	HoldMusic bool `yaml:"-"`
}

var soundPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_.-]*)*$`)

// CatalogueError names the file and line of a bad catalogue entry.
type CatalogueError struct {
	File   string
	Line   int
	Reason string
}

func (e *CatalogueError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// LoadCatalogue reads a catalogue: a YAML document with a "prompts" list
// of {id, sound, text}. Ids and sounds must be unique.
func LoadCatalogue(file string) ([]Item, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read prompt catalogue: %w", err)
	}
	var doc struct {
		Prompts []yaml.Node `yaml:"prompts"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("prompt catalogue %s: %w", file, err)
	}
	if len(doc.Prompts) == 0 {
		return nil, &CatalogueError{File: file, Line: 1, Reason: `no "prompts:" list`}
	}
	var items []Item
	ids, sounds := map[string]int{}, map[string]int{}
	var errs []error
	for _, node := range doc.Prompts {
		bad := func(format string, a ...any) {
			errs = append(errs, &CatalogueError{File: file, Line: node.Line, Reason: fmt.Sprintf(format, a...)})
		}
		var it Item
		if err := node.Decode(&it); err != nil {
			bad("%v", err)
			continue
		}
		switch {
		case it.ID == "":
			bad("prompt without an id")
		case ids[it.ID] != 0:
			bad("id %q already used at line %d", it.ID, ids[it.ID])
		}
		switch {
		case !soundPattern.MatchString(it.Sound) || path.Clean(it.Sound) != it.Sound:
			bad("sound %q is not a sound name such as regul/bienvenue (lower case, digits, - _ . and /)", it.Sound)
		case sounds[it.Sound] != 0:
			bad("sound %q already used at line %d", it.Sound, sounds[it.Sound])
		}
		if it.Text == "" {
			bad("prompt %q has no text", it.ID)
		}
		ids[it.ID], sounds[it.Sound] = node.Line, node.Line
		items = append(items, it)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return items, nil
}
