package sounds

import "math"

// HoldMusicSound is the hold music's sound name: what a GP hears while the
// specialists are rung (dial.hold_sound).
const HoldMusicSound = "regul/attente"

// holdMusicVersion changes when HoldMusic changes, so that the built file
// is made again.
const holdMusicVersion = "hold-music-1"

// HoldMusicItem is the hold music as a build item: it is rendered, not
// spoken, and needs no licence since the project makes it.
func HoldMusicItem() Item {
	return Item{ID: "hold_music", Sound: HoldMusicSound, Text: holdMusicVersion, HoldMusic: true}
}

// HoldMusic renders 24 s of soft, slow arpeggios (C, A minor, F, G) at
// 8 kHz: a loop with no silence, so a caller never takes the wait for a
// dropped line, and nothing in it sounds like a ringing or busy tone.
func HoldMusic() Audio {
	const (
		rate     = AsteriskRate
		noteLen  = 0.5 // seconds per arpeggio note
		notesPer = 12  // notes per chord (6 s a chord)
	)
	chords := [][]float64{
		{261.63, 329.63, 392.00, 523.25}, // C
		{220.00, 261.63, 329.63, 440.00}, // A minor
		{174.61, 220.00, 261.63, 349.23}, // F
		{196.00, 246.94, 293.66, 392.00}, // G
	}
	total := int(float64(len(chords)*notesPer) * noteLen * rate)
	mix := make([]float64, total)
	for ci, chord := range chords {
		chordStart := float64(ci*notesPer) * noteLen
		// A quiet pad holds the chord's root and fifth under the notes.
		for _, f := range []float64{chord[0] / 2, chord[2] / 2} {
			addTone(mix, rate, f, chordStart, notesPer*noteLen, 0.06, 0.4)
		}
		for n := 0; n < notesPer; n++ {
			f := chord[[]int{0, 1, 2, 3, 2, 1}[n%6]]
			// Each note rings on past its slot, so the notes overlap.
			addTone(mix, rate, f, chordStart+float64(n)*noteLen, 1.4*noteLen, 0.16, 0.02)
		}
	}
	out := Audio{Rate: rate, Samples: make([]int16, total)}
	for i, v := range mix {
		out.Samples[i] = int16(math.Max(-1, math.Min(1, v)) * 32767 * 0.8)
	}
	return out
}

// addTone adds a sine with a soft attack and an exponential decay.
func addTone(mix []float64, rate int, freq, start, length, amp, attack float64) {
	first := int(start * float64(rate))
	n := int(length * float64(rate))
	for i := 0; i < n && first+i < len(mix); i++ {
		t := float64(i) / float64(rate)
		env := math.Exp(-2.5 * t / length)
		if t < attack {
			env *= t / attack
		}
		// A touch of the octave makes it less of a pure beep.
		v := math.Sin(2*math.Pi*freq*t) + 0.25*math.Sin(4*math.Pi*freq*t)
		mix[first+i] += amp * env * v
	}
}
