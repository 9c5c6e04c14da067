package ivr

import (
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
)

// LeftOpen is a call whose record has no end: its controller died and no
// controller adopted it (its channels were gone), or it is running
// somewhere right now.
type LeftOpen struct {
	ID          string
	LastEventAt time.Time
	Bridged     bool
	GPRPPS      string // "" when the GP was not identified
	SpecialtyID int64  // 0 when none was chosen
	LastSeq     int
}

// closeSeq numbers the closing events of a call left open: beyond any
// number a controller (or its successors, see adoptedSeqStep) can have
// given its events.
const closeSeq = 999_000

// CloseLeftOpen ends, once, the records of calls that no script of this
// controller drives and that have been silent for longer than a live call
// can be: they end 'interrupted' at the time of their last event, and a
// GP who had chosen a specialty and was not put through gets the callback
// path. It returns how many it closed.
func (s *Script) CloseLeftOpen(open []LeftOpen, now time.Time) int {
	closed := 0
	for _, o := range open {
		if s.running.has(o.ID) {
			continue
		}
		silentFor := s.opt.LeftOpenAfter
		if o.Bridged {
			// A conversation goes on without events; then the outcome.
			silentFor = s.opt.MaxConversation + s.opt.LeftOpenAfter
		}
		if now.Sub(o.LastEventAt) < silentFor {
			continue
		}
		seq := max(o.LastSeq+1, closeSeq)
		log := s.log.With(zap.String("call_id", o.ID))
		if o.GPRPPS != "" && o.SpecialtyID != 0 && !o.Bridged {
			s.recordAt(log, callevent.Event{CallID: o.ID, Seq: seq, At: o.LastEventAt, Kind: callevent.CallbackRequested,
				SpecialtyID: o.SpecialtyID, RPPS: o.GPRPPS})
			seq++
		}
		s.recordAt(log, callevent.Event{CallID: o.ID, Seq: seq, At: o.LastEventAt, Kind: callevent.CallEnded,
			Result: callevent.ResultInterrupted})
		s.metrics.CallEnded(callevent.ResultInterrupted)
		log.Warn("call left open by a controller that stopped: closed as interrupted",
			zap.Time("last_event", o.LastEventAt), zap.Bool("bridged", o.Bridged))
		closed++
	}
	return closed
}

func (s *Script) recordAt(log *zap.Logger, ev callevent.Event) {
	if err := s.rec.Record(ev); err != nil {
		log.Error("event not recorded", zap.String("kind", string(ev.Kind)), zap.Error(err))
	}
}
