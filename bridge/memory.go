package bridge

import (
	"strings"

	"go.uber.org/zap"
)

// varPrefix names the channel variables the script remembers things in.
const varPrefix = "REGUL_"

// memoryWrite is one Remember, queued.
type memoryWrite struct{ name, value string }

// Remember writes REGUL_<NAME>=value on the channel, in the background and
// in order: a call's path never waits for it. See ivr.Leg.
func (l *leg) Remember(name, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended != nil {
		return
	}
	l.memQueue = append(l.memQueue, memoryWrite{name, value})
	if !l.memWriting {
		l.memWriting = true
		go l.writeMemory()
	}
}

// writeMemory drains the queue; a failed write is logged, not retried: the
// call goes on, only its adoption after a restart would know less.
func (l *leg) writeMemory() {
	for {
		l.mu.Lock()
		if len(l.memQueue) == 0 || l.ended != nil {
			l.memQueue, l.memWriting = nil, false
			l.mu.Unlock()
			return
		}
		w := l.memQueue[0]
		l.memQueue = l.memQueue[1:]
		l.mu.Unlock()
		if err := l.srv.ari.Channel().SetVariable(l.key, varName(w.name), w.value); err != nil && statusOf(err) != 404 {
			l.log.Warn("channel variable not written: an adoption after a restart would miss it",
				zap.String("variable", varName(w.name)), zap.Error(err))
		}
	}
}

func varName(name string) string { return varPrefix + strings.ToUpper(name) }
