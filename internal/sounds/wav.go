package sounds

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// AsteriskRate is the sample rate of the files we write: 8 kHz, what the
// telephone network carries, so Asterisk plays them without transcoding.
const AsteriskRate = 8000

// Audio is mono 16-bit PCM.
type Audio struct {
	Rate    int
	Samples []int16
}

// EncodeWAV renders mono 16-bit PCM as a canonical 44-byte-header WAV file.
func EncodeWAV(a Audio) []byte {
	dataLen := len(a.Samples) * 2
	var b bytes.Buffer
	b.Grow(44 + dataLen)
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + dataLen))
	b.WriteString("WAVE")
	b.WriteString("fmt ")
	le(uint32(16))         // fmt chunk size
	le(uint16(1))          // PCM
	le(uint16(1))          // mono
	le(uint32(a.Rate))     // sample rate
	le(uint32(a.Rate * 2)) // byte rate
	le(uint16(2))          // block align
	le(uint16(16))         // bits per sample
	b.WriteString("data")
	le(uint32(dataLen))
	le(a.Samples)
	return b.Bytes()
}

// DecodeWAV reads a PCM WAV file, mono or stereo (mixed down), 16-bit. A
// streamed file whose sizes were left unknown (espeak-ng --stdout writes
// 0x7fffffff) is read to its end.
func DecodeWAV(data []byte) (Audio, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return Audio{}, errors.New("not a RIFF/WAVE file")
	}
	var channels, bits uint16
	var rate uint32
	var haveFmt bool
	r := data[12:]
	for len(r) >= 8 {
		id, size := string(r[:4]), binary.LittleEndian.Uint32(r[4:8])
		body := r[8:]
		if uint64(size) > uint64(len(body)) {
			size = uint32(len(body)) // streamed: the size was never filled in
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return Audio{}, errors.New("fmt chunk too short")
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels = binary.LittleEndian.Uint16(body[2:4])
			rate = binary.LittleEndian.Uint32(body[4:8])
			bits = binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || bits != 16 || channels < 1 || channels > 2 || rate == 0 {
				return Audio{}, fmt.Errorf("unsupported WAV: format %d, %d channels, %d bits (want 16-bit PCM)", format, channels, bits)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Audio{}, errors.New("data chunk before fmt chunk")
			}
			frames := int(size) / (2 * int(channels))
			out := make([]int16, frames)
			for i := range frames {
				if channels == 1 {
					out[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
					continue
				}
				l := int32(int16(binary.LittleEndian.Uint16(body[4*i:])))
				rr := int32(int16(binary.LittleEndian.Uint16(body[4*i+2:])))
				out[i] = int16((l + rr) / 2)
			}
			return Audio{Rate: int(rate), Samples: out}, nil
		}
		step := 8 + int(size) + int(size&1) // chunks are padded to even sizes
		if step > len(r) {
			break
		}
		r = r[step:]
	}
	return Audio{}, io.ErrUnexpectedEOF
}

// Resample converts to another rate with a windowed-sinc low-pass filter,
// so that going down to 8 kHz does not fold the upper voice band back into
// the audible one (aliasing makes TTS sound harsh on the phone).
func Resample(a Audio, rate int) Audio {
	if a.Rate == rate || len(a.Samples) == 0 {
		return Audio{Rate: rate, Samples: append([]int16(nil), a.Samples...)}
	}
	ratio := float64(rate) / float64(a.Rate)
	cutoff := math.Min(1, ratio) * 0.95 // fraction of the input Nyquist frequency kept
	const halfTaps = 24                 // zero crossings each side, in output terms
	half := float64(halfTaps) / cutoff
	n := int(float64(len(a.Samples)) * ratio)
	out := make([]int16, n)
	for i := range n {
		center := float64(i) / ratio
		lo := max(0, int(math.Ceil(center-half)))
		hi := min(len(a.Samples)-1, int(math.Floor(center+half)))
		var sum, norm float64
		for k := lo; k <= hi; k++ {
			x := float64(k) - center
			w := cutoff * sinc(cutoff*x) * blackman(x/half)
			sum += w * float64(a.Samples[k])
			norm += w
		}
		if norm != 0 {
			sum /= norm
		}
		out[i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(sum))))
	}
	return Audio{Rate: rate, Samples: out}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the window over [-1, 1].
func blackman(t float64) float64 {
	if t <= -1 || t >= 1 {
		return 0
	}
	p := math.Pi * (t + 1)
	return 0.42 - 0.5*math.Cos(p) + 0.08*math.Cos(2*p)
}
