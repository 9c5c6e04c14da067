package sounds

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestEncodeWAVHeader(t *testing.T) {
	samples := []int16{0, 1000, -1000, 32767, -32768}
	data := EncodeWAV(Audio{Rate: AsteriskRate, Samples: samples})
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(data[off:]) }
	u16 := func(off int) uint16 { return binary.LittleEndian.Uint16(data[off:]) }
	checks := []struct {
		name      string
		got, want any
	}{
		{"RIFF", string(data[0:4]), "RIFF"},
		{"RIFF size", u32(4), uint32(36 + 2*len(samples))},
		{"WAVE", string(data[8:12]), "WAVE"},
		{"fmt id", string(data[12:16]), "fmt "},
		{"fmt size", u32(16), uint32(16)},
		{"format PCM", u16(20), uint16(1)},
		{"channels", u16(22), uint16(1)},
		{"sample rate", u32(24), uint32(8000)},
		{"byte rate", u32(28), uint32(16000)},
		{"block align", u16(32), uint16(2)},
		{"bits", u16(34), uint16(16)},
		{"data id", string(data[36:40]), "data"},
		{"data size", u32(40), uint32(2 * len(samples))},
		{"length", len(data), 44 + 2*len(samples)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	back, err := DecodeWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Rate != AsteriskRate || len(back.Samples) != len(samples) || back.Samples[3] != 32767 || back.Samples[4] != -32768 {
		t.Errorf("round trip = %+v", back)
	}
}

func TestDecodeStreamedAndStereoWAV(t *testing.T) {
	// espeak-ng --stdout leaves the sizes at 0x7ffffff0: read to the end.
	data := EncodeWAV(Audio{Rate: 22050, Samples: []int16{1, 2, 3, 4}})
	binary.LittleEndian.PutUint32(data[4:], 0x7ffffff0)
	binary.LittleEndian.PutUint32(data[40:], 0x7ffffff0)
	a, err := DecodeWAV(data)
	if err != nil || a.Rate != 22050 || len(a.Samples) != 4 {
		t.Fatalf("streamed: %+v, %v", a, err)
	}
	// Stereo is mixed down to mono.
	st := EncodeWAV(Audio{Rate: 8000, Samples: []int16{100, 300, -50, -150}})
	binary.LittleEndian.PutUint16(st[22:], 2)
	a, err = DecodeWAV(st)
	if err != nil || len(a.Samples) != 2 || a.Samples[0] != 200 || a.Samples[1] != -100 {
		t.Fatalf("stereo: %+v, %v", a, err)
	}
	if _, err := DecodeWAV([]byte("OggS not a wav")); err == nil {
		t.Error("garbage decoded")
	}
}

func sine(rate int, freq float64, seconds float64, amp float64) Audio {
	n := int(float64(rate) * seconds)
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return Audio{Rate: rate, Samples: s}
}

// rms of the middle half, away from the edges of the filter.
func rms(a Audio) float64 {
	mid := a.Samples[len(a.Samples)/4 : 3*len(a.Samples)/4]
	var sum float64
	for _, v := range mid {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(mid)))
}

func TestResampleTo8kHz(t *testing.T) {
	in := sine(22050, 1000, 1, 10000) // espeak-ng's rate, a voice-band tone
	out := Resample(in, AsteriskRate)
	if out.Rate != 8000 || len(out.Samples) != 8000 {
		t.Fatalf("rate %d, %d samples; want 8000, 8000", out.Rate, len(out.Samples))
	}
	if ratio := rms(out) / rms(in); ratio < 0.95 || ratio > 1.05 {
		t.Errorf("a 1 kHz tone comes out at %.2f of its level, want ~1", ratio)
	}
	// A 6 kHz tone cannot exist at 8 kHz: it must be filtered out, not
	// folded back to 2 kHz.
	high := Resample(sine(22050, 6000, 1, 10000), AsteriskRate)
	if ratio := rms(high) / rms(in); ratio > 0.02 {
		t.Errorf("a 6 kHz tone leaks through at %.3f of its level (aliasing)", ratio)
	}
	if same := Resample(Audio{Rate: 8000, Samples: []int16{1, 2}}, 8000); len(same.Samples) != 2 {
		t.Errorf("same rate changed the samples: %v", same.Samples)
	}
}

// The hold music is never silent for more than a few hundred milliseconds:
// a caller would take a longer silence for a dropped line.
func TestHoldMusicHasNoSilence(t *testing.T) {
	a := HoldMusic()
	if a.Rate != AsteriskRate || len(a.Samples) < 20*AsteriskRate {
		t.Fatalf("rate %d, %d samples", a.Rate, len(a.Samples))
	}
	window := AsteriskRate / 10 // 100 ms
	quiet, longest := 0, 0
	for i := 0; i+window <= len(a.Samples); i += window {
		if rms(Audio{Rate: a.Rate, Samples: a.Samples[i : i+window]}) < 300 {
			quiet++
			longest = max(longest, quiet)
		} else {
			quiet = 0
		}
	}
	if longest > 3 {
		t.Fatalf("%d ms of silence in the hold music", longest*100)
	}
}
