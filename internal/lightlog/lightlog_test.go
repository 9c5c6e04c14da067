package lightlog

import (
	"bytes"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func logger(buf *bytes.Buffer, light bool) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = ""
	c := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(buf), zapcore.InfoLevel)
	log := zap.New(c).Named("call")
	if light {
		log = log.WithOptions(zap.WrapCore(Wrap))
	}
	return log
}

// The lines are those zap writes without the wrapper: fields of every
// With, in order, then the line's own; levels below the core's dropped.
func TestSameOutput(t *testing.T) {
	var want, got bytes.Buffer
	for _, tc := range []struct {
		buf   *bytes.Buffer
		light bool
	}{{&want, false}, {&got, true}} {
		log := logger(tc.buf, tc.light)
		call := log.With(zap.String("call_id", "c1"), zap.String("did", "+33179000001"))
		leg := call.With(zap.String("channel_id", "1795.1")).With(zap.Int("attempt", 2))
		log.Info("plain", zap.Int("n", 1))
		call.Warn("call line", zap.Error(nil))
		leg.Info("leg line", zap.String("media", "sound:x"))
		leg.Debug("dropped")
		call.Named("hold").Error("named")
	}
	if want.String() != got.String() {
		t.Fatalf("output differs:\nzap:\n%s\nlightlog:\n%s", &want, &got)
	}
	if want.Len() == 0 {
		t.Fatal("nothing logged")
	}
}

// A sampled core still samples: the wrapper asks it before each line.
func TestSampled(t *testing.T) {
	var buf bytes.Buffer
	enc := zap.NewProductionEncoderConfig()
	c := zapcore.NewSamplerWithOptions(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(&buf), zapcore.InfoLevel),
		1<<62, 2, 1<<30) // 2 lines per message, then none
	log := zap.New(c).WithOptions(zap.WrapCore(Wrap)).With(zap.String("call_id", "c1"))
	for range 5 {
		log.Info("same")
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 2 {
		t.Fatalf("%d lines written, want the sampler's 2", n)
	}
}
