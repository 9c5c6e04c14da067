// Package logging builds the controller's zap logger from its log
// configuration: the one `regul serve` runs with, and the one the load
// benchmark's controller runs with.
package logging

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/regul-sante/regul/internal/config"
)

// New builds the logger of c (format "json" or "console", level), writing
// to outputs (default: standard error).
//
// JSON lines carry no caller: finding it is a walk of the stack for every
// line, a tenth of what a call costs the controller beyond ARI itself, and
// a line is placed by its message and its call id. The console format, for
// people at a terminal, keeps it.
func New(c config.Log, outputs ...string) (*zap.Logger, error) {
	var zc zap.Config
	if c.Format == "console" {
		zc = zap.NewDevelopmentConfig()
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	} else {
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.TimeKey = "time"
		zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
		zc.DisableCaller = true
	}
	lvl, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.DisableStacktrace = true
	if len(outputs) > 0 {
		zc.OutputPaths = outputs
	}
	return zc.Build()
}
