package notify

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/sample"
	"github.com/regul-sante/regul/testkit/testclock"
	"github.com/regul-sante/regul/testkit/twiliotest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var mondayMorning = sample.MondayMorning

// testClock is the clock tests set and advance by hand.
type testClock = testclock.Clock

// env is a database with testdata's territory, enrolments and roster, an
// outbox, and the fake Twilio.
type env struct {
	t      *testing.T
	pool   *pgxpool.Pool
	store  *roster.Store
	terr   oncall.Territory
	clock  *testClock
	outbox *Outbox
	calls  *calllog.Store
	owners Owners
	twilio *twiliotest.Server
	log    *zap.Logger
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, pool: pgtest.New(t), clock: testclock.New(mondayMorning), log: zaptest.NewLogger(t)}
	e.store = roster.NewStore(e.pool)
	loaded, err := sample.Load(ctx, e.store, filepath.Join("..", "testdata"), sample.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.terr = loaded.Territory
	e.owners = Owners{Calls: calllog.NewStore(e.pool), Roster: e.store}
	e.outbox, err = NewOutbox(OutboxOptions{Log: e.log, Clock: e.clock, PublicURL: "http://127.0.0.1:8091", Owners: e.owners})
	if err != nil {
		t.Fatal(err)
	}
	e.calls = calllog.NewStore(e.pool)
	e.twilio = twiliotest.New()
	e.twilio.SetClock(e.clock)
	t.Cleanup(e.twilio.Close)
	return e
}

func (e *env) specialty(slug string) oncall.Specialty {
	for _, s := range e.terr.Specialties {
		if s.Slug == slug {
			return s
		}
	}
	e.t.Fatalf("no specialty %s", slug)
	return oncall.Specialty{}
}

// apply writes events through the outbox's hook, as the spool applier does.
func (e *env) apply(events ...callevent.Event) {
	e.t.Helper()
	if _, err := e.calls.ApplyEventsWith(context.Background(), events, e.outbox.Hook); err != nil {
		e.t.Fatal(err)
	}
}

// startCall returns the events of a call up to the specialty chosen by
// Marie DUBOIS from her mobile.
func (e *env) startCall(id, specialty string) []callevent.Event {
	sp := e.specialty(specialty)
	at := e.clock.Now()
	return []callevent.Event{
		{CallID: id, Seq: 1, At: at, Kind: callevent.CallStarted, DID: "+33179000001", Caller: "+33611000014",
			Reference: strings.ToUpper(id[:6])}, // as the script would draw it: "3F2A9C" for callA
		{CallID: id, Seq: 2, At: at, Kind: callevent.TerritoryResolved, TerritoryID: e.terr.ID, Reference: strings.ToUpper(id[:6])},
		{CallID: id, Seq: 3, At: at, Kind: callevent.Identified, RPPS: "10003000014", Name: "Marie DUBOIS"},
		{CallID: id, Seq: 4, At: at, Kind: callevent.SpecialtyChosen, SpecialtyID: sp.ID, Specialty: sp.Slug},
	}
}

func (e *env) callback(id, specialty string) {
	evs := e.startCall(id, specialty)
	evs = append(evs, callevent.Event{CallID: id, Seq: 5, At: e.clock.Now(), Kind: callevent.CallbackRequested,
		SpecialtyID: e.specialty(specialty).ID, RPPS: "10003000014"})
	e.apply(evs...)
}

// pending is a cardiology call bridged to MARTIN, who left before keying.
func (e *env) pending(id string) {
	evs := e.startCall(id, "cardiologie")
	at := e.clock.Now()
	evs = append(evs,
		callevent.Event{CallID: id, Seq: 5, At: at, Kind: callevent.AttemptStarted, Attempt: 1, Rank: 1, RPPS: "10002000015", Phone: "+33612000015"},
		callevent.Event{CallID: id, Seq: 6, At: at, Kind: callevent.AttemptAnswered, Attempt: 1},
		callevent.Event{CallID: id, Seq: 7, At: at, Kind: callevent.Bridged, Attempt: 1, RPPS: "10002000015"},
		callevent.Event{CallID: id, Seq: 8, At: at, Kind: callevent.OutcomePending, Attempt: 1, RPPS: "10002000015"},
	)
	e.apply(evs...)
}

func (e *env) worker(id string, opts ...func(*WorkerOptions)) *Worker {
	e.t.Helper()
	sender, err := NewTwilio(TwilioOptions{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		From: twiliotest.From, APIURL: e.twilio.URL(), Timeout: time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	o := WorkerOptions{Pool: e.pool, Log: e.log, Sender: sender, Clock: e.clock, ID: id,
		BaseBackoff: 10 * time.Second, Lease: time.Minute}
	for _, f := range opts {
		f(&o)
	}
	w, err := NewWorker(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func (e *env) runOnce(w *Worker) int {
	e.t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

type row struct {
	Kind, To, Body, Status string
	Attempts               int
	ErrorCode              *int
	SID                    *string
}

func (e *env) rows() []row {
	e.t.Helper()
	rs, err := e.pool.Query(context.Background(), `SELECT kind, recipient, body, status, attempts, error_code, twilio_sid
		FROM sms_outbox ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.Kind, &r.To, &r.Body, &r.Status, &r.Attempts, &r.ErrorCode, &r.SID); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
