package sounds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Synth speaks a French text.
type Synth func(ctx context.Context, text string) (Audio, error)

// ErrNoEspeak says the text-to-speech engine is not installed.
var ErrNoEspeak = errors.New("espeak-ng not found on PATH: install espeak-ng (Debian: apt-get install espeak-ng)")

// Espeak returns a Synth running espeak-ng with its French voice. The
// voice and speed are part of what a generated file depends on (Version).
func Espeak() (Synth, error) {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, ErrNoEspeak
	}
	return func(ctx context.Context, text string) (Audio, error) {
		dir, err := os.MkdirTemp("", "regul-tts-")
		if err != nil {
			return Audio{}, err
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "out.wav")
		// Text on stdin: nothing in it is taken for an option. A slightly
		// slow pace: callers hear it through a phone, often on a mobile.
		cmd := exec.CommandContext(ctx, bin, "-v", espeakVoice, "-s", espeakSpeed, "-w", out, "--stdin")
		cmd.Stdin = bytes.NewBufferString(text)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return Audio{}, fmt.Errorf("espeak-ng: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
		data, err := os.ReadFile(out)
		if err != nil {
			return Audio{}, fmt.Errorf("espeak-ng output: %w", err)
		}
		a, err := DecodeWAV(data)
		if err != nil {
			return Audio{}, fmt.Errorf("espeak-ng output: %w", err)
		}
		return a, nil
	}, nil
}

const (
	espeakVoice = "fr"
	espeakSpeed = "150" // words per minute (espeak-ng's default is 175)
)

// EspeakVersion identifies the synthesis settings; changing them
// regenerates every generated file.
const EspeakVersion = "espeak-ng -v " + espeakVoice + " -s " + espeakSpeed + " → 8 kHz"
