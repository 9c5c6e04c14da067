package asterisktest

import (
	"fmt"
	"math"
	"time"

	"github.com/regul-sante/regul/internal/sounds"
)

// silenceLevel is the RMS (of 32767) under which a 20 ms frame counts as
// silent: about -50 dBFS, far under speech, music or a tone, above the
// comfort noise a codec may add.
const silenceLevel = 100

// LongestSilence returns the longest run of silent 20 ms frames in a WAV
// recording between offsets from and to (to ≤ 0: the end), and where it starts.
func LongestSilence(wav []byte, from, to time.Duration) (longest, at time.Duration, err error) {
	a, err := sounds.DecodeWAV(wav)
	if err != nil {
		return 0, 0, fmt.Errorf("decode recording: %w", err)
	}
	frame := a.Rate / 50
	first := int(from.Seconds() * float64(a.Rate))
	last := len(a.Samples)
	if to > 0 && int(to.Seconds()*float64(a.Rate)) < last {
		last = int(to.Seconds() * float64(a.Rate))
	}
	if first < 0 {
		first = 0
	}
	run, runStart := 0, 0
	for i := first; i+frame <= last; i += frame {
		var sum float64
		for _, s := range a.Samples[i : i+frame] {
			sum += float64(s) * float64(s)
		}
		if math.Sqrt(sum/float64(frame)) < silenceLevel {
			if run == 0 {
				runStart = i
			}
			run += frame
			if d := samples(run, a.Rate); d > longest {
				longest, at = d, samples(runStart, a.Rate)
			}
		} else {
			run = 0
		}
	}
	return longest, at, nil
}

// Duration is a WAV recording's length.
func Duration(wav []byte) (time.Duration, error) {
	a, err := sounds.DecodeWAV(wav)
	if err != nil {
		return 0, err
	}
	return samples(len(a.Samples), a.Rate), nil
}

func samples(n, rate int) time.Duration { return time.Duration(n) * time.Second / time.Duration(rate) }
