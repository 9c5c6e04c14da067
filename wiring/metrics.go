package wiring

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/regul-sante/regul/bridge"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/ivr"
)

// metrics implements ivr.Metrics with Prometheus collectors.
type metrics struct {
	calls            *prometheus.CounterVec
	attempts         *prometheus.CounterVec
	timeToSpecialist prometheus.Histogram
	outcomes         *prometheus.CounterVec
	pending          prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regul_calls_total", Help: "Calls ended, by result."}, []string{"result"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regul_hunt_attempts_total", Help: "Specialist legs ended, by result."}, []string{"result"}),
		timeToSpecialist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "regul_time_to_specialist_seconds",
			Help:    "From the first specialist dialled to the GP and the specialist bridged (the call record's time_to_specialist_ms).",
			Buckets: []float64{15, 30, 45, 60, 90, 120, 180, 300}}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regul_outcomes_total", Help: "Outcomes keyed by specialists, by outcome."}, []string{"outcome"}),
		pending: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "regul_outcomes_pending_total", Help: "Bridged calls whose specialist left without keying the outcome."}),
	}
	reg.MustRegister(m.calls, m.attempts, m.timeToSpecialist, m.outcomes, m.pending)
	return m
}

func (m *metrics) CallEnded(r callevent.Result) { m.calls.WithLabelValues(string(r)).Inc() }

func (m *metrics) AttemptEnded(r callevent.AttemptResult) {
	m.attempts.WithLabelValues(string(r)).Inc()
}

func (m *metrics) TimeToSpecialist(d time.Duration) { m.timeToSpecialist.Observe(d.Seconds()) }

func (m *metrics) OutcomeKeyed(o callevent.Outcome) { m.outcomes.WithLabelValues(string(o)).Inc() }

func (m *metrics) OutcomePending() { m.pending.Inc() }

// gauges exposes figures read on scrape from the parts that keep them.
func registerGauges(reg prometheus.Registerer, ari *bridge.Server, script *ivr.Script, spoolPending func() float64, databaseDown func() bool) {
	linkUp := ari.LinkUp
	boolean := func(f func() bool) func() float64 {
		return func() float64 {
			if f() {
				return 1
			}
			return 0
		}
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regul_calls_in_progress", Help: "Calls being handled by the script."},
			func() float64 { return float64(script.CallsInProgress()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regul_ari_link_up", Help: "1 while the ARI events WebSocket is connected."}, boolean(linkUp)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regul_spool_pending_events", Help: "Call events spooled on disk, not yet in PostgreSQL."}, spoolPending),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regul_spool_database_down", Help: "1 while the spool cannot write to PostgreSQL."}, boolean(databaseDown)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regul_hold_sound_degraded",
			Help: "1 while the preferred hold sound cannot be played (GPs hear the fallback chime, or silence)."},
			boolean(func() bool { return ari.HoldProblem() != "" })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "regul_hold_sound_failures_total",
			Help: "Hold media Asterisk could not play."}, func() float64 { return float64(ari.Stats().HoldFailures) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "regul_playbacks_retried_total",
			Help: "Prompts Asterisk accepted but never started, asked again."}, func() float64 { return float64(ari.Stats().PlaybacksRetried) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "regul_playbacks_lost_total",
			Help: "Prompts never started even when asked again."}, func() float64 { return float64(ari.Stats().PlaybacksLost) }),
	)
}

func registerSpoolMetrics(reg prometheus.Registerer, rec *calllog.Recorder) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "regul_spool_quarantined_lines_total",
			Help: "Spool lines that could not be read back (torn or corrupt), moved to the quarantine file."},
			func() float64 { return float64(rec.Stats().Corrupt) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regul_spool_write_failing",
			Help: "1 while the spool cannot write or fsync under data_dir (events held in memory)."},
			func() float64 {
				if rec.Stats().WriteFailing {
					return 1
				}
				return 0
			}),
	)
}
