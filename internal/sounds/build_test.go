package sounds

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeSynth stands for espeak-ng: a tone whose length depends on the text,
// at espeak-ng's rate, and a log of what it was asked to say.
type fakeSynth struct{ said []string }

func (f *fakeSynth) synth(_ context.Context, text string) (Audio, error) {
	f.said = append(f.said, text)
	return sine(22050, 440, float64(len(text))/100, 8000), nil
}

func TestLoadCatalogue(t *testing.T) {
	items, err := LoadCatalogue("testdata/catalogue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || items[0].ID != "welcome" || items[0].Sound != "regul/bienvenue" ||
		!strings.HasPrefix(items[0].Text, "Ligne de régulation") {
		t.Errorf("items = %+v", items)
	}
	_, err = LoadCatalogue("testdata/bad-catalogue.yaml")
	if err == nil {
		t.Fatal("bad catalogue accepted")
	}
	for _, want := range []string{
		`bad-catalogue.yaml:5: id "welcome" already used at line 2`,
		`bad-catalogue.yaml:5: sound "regul/Bienvenue Encore" is not a sound name`,
		`bad-catalogue.yaml:8: prompt "silent" has no text`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := LoadCatalogue("testdata/missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestBuildGeneratesKeepsAndRegenerates(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	items, err := LoadCatalogue("testdata/catalogue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A studio recording delivered before the first build.
	studio := filepath.Join(out, "fr", "regul", "rpps-invalide.wav")
	studioWAV := EncodeWAV(Audio{Rate: 8000, Samples: []int16{7, 7, 7}})
	if err := writeAtomic(studio, studioWAV); err != nil {
		t.Fatal(err)
	}

	fake := &fakeSynth{}
	b := &Builder{Out: out, Synth: fake.synth, Version: "fake v1"}
	rep, err := b.Build(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Generated, []string{"regul/bienvenue", "regul/saisir-rpps"}) ||
		!slices.Equal(rep.Studio, []string{"regul/rpps-invalide"}) {
		t.Fatalf("first build: %+v", rep)
	}
	wav, err := os.ReadFile(filepath.Join(out, "fr", "regul", "bienvenue.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := DecodeWAV(wav); err != nil || a.Rate != 8000 {
		t.Fatalf("generated file: rate %d, %v; want 8 kHz", a.Rate, err)
	}

	// Nothing changed: nothing is synthesised.
	fake.said = nil
	rep, err = b.Build(ctx, items)
	if err != nil || len(fake.said) != 0 || len(rep.UpToDate) != 2 || len(rep.Studio) != 1 {
		t.Fatalf("second build: %+v, said %q, %v", rep, fake.said, err)
	}

	// A changed text regenerates its sound only.
	items[0].Text = "Ligne de régulation des Coteaux."
	rep, err = b.Build(ctx, items)
	if err != nil || !slices.Equal(rep.Generated, []string{"regul/bienvenue"}) || !slices.Equal(fake.said, []string{items[0].Text}) {
		t.Fatalf("after a text change: %+v, said %q, %v", rep, fake.said, err)
	}

	// A studio recording copied over a generated file is kept from then on,
	// even when the text changes again.
	studio2 := EncodeWAV(Audio{Rate: 8000, Samples: []int16{1, 2, 3}})
	if err := writeAtomic(filepath.Join(out, "fr", "regul", "saisir-rpps.wav"), studio2); err != nil {
		t.Fatal(err)
	}
	items[1].Text = "Composez votre numéro RPPS."
	fake.said = nil
	rep, err = b.Build(ctx, items)
	if err != nil || len(fake.said) != 0 || !slices.Equal(rep.Studio, []string{"regul/saisir-rpps", "regul/rpps-invalide"}) {
		t.Fatalf("with studio recordings: %+v, said %q, %v", rep, fake.said, err)
	}
	for file, want := range map[string][]byte{"saisir-rpps.wav": studio2, "rpps-invalide.wav": studioWAV} {
		if got, _ := os.ReadFile(filepath.Join(out, "fr", "regul", file)); string(got) != string(want) {
			t.Errorf("studio recording %s was overwritten", file)
		}
	}

	// New synthesis settings regenerate what the tool made.
	b.Version = "fake v2"
	if rep, err = b.Build(ctx, items); err != nil || !slices.Equal(rep.Generated, []string{"regul/bienvenue"}) {
		t.Fatalf("after a settings change: %+v, %v", rep, err)
	}

	if _, err := b.Build(ctx, append(items, items[0])); err == nil {
		t.Error("a sound listed twice was accepted")
	}
}

func TestEspeakNG(t *testing.T) {
	synth, err := Espeak()
	if err != nil {
		t.Fatalf("%v", err) // says to install espeak-ng
	}
	out := t.TempDir()
	b := &Builder{Out: out, Synth: synth, Version: EspeakVersion}
	rep, err := b.Build(context.Background(), []Item{{Sound: "regul/essai", Text: "Le docteur Marie Dubois, généraliste."}})
	if err != nil || len(rep.Generated) != 1 {
		t.Fatalf("build: %+v, %v", rep, err)
	}
	data, err := os.ReadFile(filepath.Join(out, "fr", "regul", "essai.wav"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := DecodeWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Rate != 8000 || len(a.Samples) < 8000 {
		t.Errorf("espeak-ng gave %d samples at %d Hz; want over a second at 8 kHz", len(a.Samples), a.Rate)
	}
	if rms(a) < 300 {
		t.Errorf("the sound is near silence (rms %.0f)", rms(a))
	}
}
