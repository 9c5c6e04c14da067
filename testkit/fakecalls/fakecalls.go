// Package fakecalls fills the call records with synthetic calls (a million
// in seconds, through calllog's bulk load) for the console's and exports'
// benchmarks. The calls look like a region's traffic: three quarters
// bridged, most with a keyed outcome, the rest callbacks, refusals, abandons
// and out-of-hours calls. They carry no events: only the projected rows the
// pages read.
package fakecalls

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// Spec says what to generate.
type Spec struct {
	TerritoryID  int64
	DID          string
	SpecialtyIDs []int64
	GPs          []string // RPPS numbers of requérants
	Specialists  []string // RPPS numbers of requis
	From, To     time.Time
	Calls        int
	Seed         float64 // -1..1: the same seed gives the same calls
}

// Generate writes the calls, their attempts, outcomes and callback requests
// in one transaction (calllog.Store.BulkLoad).
func Generate(ctx context.Context, pool *pgxpool.Pool, s Spec) error {
	if s.Calls <= 0 || len(s.SpecialtyIDs) == 0 || len(s.GPs) == 0 || len(s.Specialists) == 0 || !s.To.After(s.From) {
		return fmt.Errorf("fakecalls: incomplete spec %+v", s)
	}
	if err := calllog.NewStore(pool).BulkLoad(ctx, s.Calls, s.call); err != nil {
		return fmt.Errorf("fakecalls: %w", err)
	}
	return nil
}

var outcomes = []callevent.Outcome{callevent.OutcomeTeleconsultation, callevent.OutcomeTeleexpertise, callevent.OutcomeVisit,
	callevent.OutcomeHospital, callevent.OutcomeAdvice}

// call draws the i-th call from its own generator, so that it is the same
// each time the bulk load asks for it.
func (s Spec) call(i int) calllog.CallRecord {
	rng := rand.New(rand.NewPCG(math.Float64bits(s.Seed), uint64(i)))
	var id [16]byte
	for k := range id {
		id[k] = byte(rng.Uint32())
	}
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80 // version 4, RFC 4122 variant
	t := s.From.Add(time.Duration(float64(s.To.Sub(s.From)) * rng.Float64()))
	r, o, tts := rng.Float64(), rng.Float64(), int(math.Round(rng.Float64()*240))
	sec := func(n int) time.Time { return t.Add(time.Duration(n) * time.Second) }
	n := i + 1 // the calls count from 1, as generate_series did
	c := calllog.CallRecord{
		ID:          fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:]),
		TerritoryID: s.TerritoryID, DID: s.DID, Caller: fmt.Sprintf("+336110%05d", n%100000),
		GPRPPS: s.GPs[n%len(s.GPs)], SpecialtyID: s.SpecialtyIDs[n%len(s.SpecialtyIDs)],
		StartedAt: t, AnsweredAt: sec(1), EndedAt: sec(60 + tts*3),
	}
	switch {
	case r < 0.75:
		c.Result = callevent.ResultBridged
	case r < 0.85:
		c.Result = callevent.ResultCallback
	case r < 0.92:
		c.Result = callevent.ResultRefused
	case r < 0.97:
		c.Result = callevent.ResultAbandoned
	default:
		c.Result = callevent.ResultOutOfHours
	}
	specialist := s.Specialists[0]
	bridged := c.Result == callevent.ResultBridged
	if bridged {
		c.BridgedAt, c.SpecialistRPPS = sec(20+tts), s.Specialists[n%len(s.Specialists)]
		c.TimeToSpecialist = time.Duration(5+tts) * time.Second
		specialist = c.SpecialistRPPS
		c.Outcome = &calllog.OutcomeRecord{Status: "pending"}
		if o < 0.85 {
			k := int(math.Round(o*1000)) % 5
			c.Outcome = &calllog.OutcomeRecord{Status: "keyed", Outcome: outcomes[k], KeyedAt: c.EndedAt, KeyedVia: calllog.ViaPhone}
			if k == 1 || k == 2 {
				c.Outcome.DelayHours = []int{24, 48, 168}[tts%3]
			}
		}
	}
	if r < 0.85 {
		attempts := 1 + tts%3
		for a := 1; a <= attempts; a++ {
			at := calllog.Attempt{Attempt: a, Rank: a, RPPS: specialist, Phone: "+33612000000", StartedAt: sec(10 * a),
				RingingAt: sec(10*a + 1), EndedAt: sec(10*a + 9), Result: callevent.AttemptNoAnswer, Cause: 19}
			if a == attempts && bridged {
				at.AnsweredAt, at.Result, at.Cause = sec(10*a+5), callevent.AttemptAccepted, 16
			}
			c.Attempts = append(c.Attempts, at)
		}
	}
	if c.Result == callevent.ResultCallback {
		c.Callback = &calllog.CallbackRequest{CreatedAt: c.EndedAt}
		if o < 0.9 {
			c.Callback.DoneAt, c.Callback.DoneBy = c.EndedAt.Add(2*time.Hour), "bench"
		}
	}
	return c
}
