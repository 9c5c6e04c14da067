// Package lightlog makes zap's Logger.With cheap for loggers that are made
// per call and per channel and log a handful of lines: zap encodes the
// fields of With at once into a clone of its encoder, with a buffer of its
// own (about 1.3 KiB a logger, kept as long as the logger), which made the
// call's and its legs' loggers a good part of the memory of a held call.
// Here With only keeps the fields; they are encoded with each line written,
// so the output is the same.
package lightlog

import "go.uber.org/zap/zapcore"

// Wrap returns c with a cheap With. Use it through
// zap.WrapCore(lightlog.Wrap). c must write to one destination whose level
// is c.Enabled's (zap's usual core, sampled or not): lines are written
// through c.Write once c.Check let them through.
func Wrap(c zapcore.Core) zapcore.Core {
	if _, ok := c.(*core); ok {
		return c
	}
	return &core{parent: c}
}

type core struct {
	parent zapcore.Core
	fields []zapcore.Field
}

func (c *core) Enabled(l zapcore.Level) bool { return c.parent.Enabled(l) }

func (c *core) With(fs []zapcore.Field) zapcore.Core {
	if len(fs) == 0 {
		return c
	}
	all := make([]zapcore.Field, 0, len(c.fields)+len(fs))
	return &core{parent: c.parent, fields: append(append(all, c.fields...), fs...)}
}

// Check lets the parent decide (its level, its sampling) and writes the
// line itself, to add the fields.
func (c *core) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.parent.Enabled(e.Level) || c.parent.Check(e, nil) == nil {
		return ce
	}
	return ce.AddCore(e, c)
}

func (c *core) Write(e zapcore.Entry, fs []zapcore.Field) error {
	if len(c.fields) == 0 {
		return c.parent.Write(e, fs)
	}
	all := make([]zapcore.Field, 0, len(c.fields)+len(fs))
	return c.parent.Write(e, append(append(all, c.fields...), fs...))
}

func (c *core) Sync() error { return c.parent.Sync() }
