package notify

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/regul-sante/regul/testkit/twiliotest"
)

func posts(reqs []twiliotest.Request) int {
	n := 0
	for _, r := range reqs {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// TestWorkerSends: every queued row goes once, with the sender, recipient
// and body, and is marked sent with Twilio's SID; the link's token leaves
// the body once sent.
func TestWorkerSends(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "cardiologie")
	w := e.worker("w1")
	if n := e.runOnce(w); n != 4 {
		t.Fatalf("handled %d rows, want 4", n)
	}
	if n := e.runOnce(w); n != 0 {
		t.Fatalf("second pass handled %d rows", n)
	}
	msgs := e.twilio.Messages()
	if len(msgs) != 4 {
		t.Fatalf("%d messages at Twilio:\n%s", len(msgs), e.twilio)
	}
	for i, r := range e.rows() {
		if r.Status != "sent" || r.SID == nil || *r.SID != msgs[i].SID || msgs[i].To != r.To || msgs[i].Body != r.Body ||
			msgs[i].From != twiliotest.From {
			t.Errorf("row %d %+v vs Twilio %+v", i, r, msgs[i])
		}
	}

	e.pending("3f2a9c10-0000-4000-8000-000000000002")
	e.runOnce(w)
	rows := e.rows()
	link := rows[len(rows)-1]
	if link.Status != "sent" || link.Body[len(link.Body)-len("/suite/…"):] != "/suite/…" {
		t.Errorf("sent link row keeps its token: %+v", link)
	}
}

// TestWorkerRetriesAndFailures: 500 is retried after the backoff, 400 is
// failed with Twilio's code and never retried.
func TestWorkerRetriesAndFailures(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "dermatologie") // DURAND (+33612000049), the GP, the coordination
	w := e.worker("w1")
	e.twilio.Answer(twiliotest.Unavailable, twiliotest.Invalid)
	e.runOnce(w)
	rows := e.rows()
	if rows[0].Status != "queued" || rows[0].Attempts != 1 || rows[1].Status != "failed" || rows[1].ErrorCode == nil ||
		*rows[1].ErrorCode != 21211 || rows[2].Status != "sent" {
		t.Fatalf("after 500 and 400: %+v", rows)
	}
	if n := e.runOnce(w); n != 0 {
		t.Fatalf("retried before the backoff: %d", n)
	}
	e.clock.Advance(10 * time.Second)
	if n := e.runOnce(w); n != 1 {
		t.Fatalf("after the backoff handled %d, want 1", n)
	}
	rows = e.rows()
	if rows[0].Status != "sent" || rows[0].Attempts != 2 || rows[1].Status != "failed" {
		t.Fatalf("after retry: %+v", rows)
	}
	if got := posts(e.twilio.Requests()); got != 4 {
		t.Errorf("%d POSTs, want 4 (500, 400, 201, then 201)", got)
	}
	if got := len(e.twilio.Messages()); got != 2 {
		t.Errorf("%d messages taken, want 2", got)
	}
}

// TestWorkerTimeoutNoDuplicate: Twilio takes the message but answers too
// late; the next try asks Twilio, finds it, and does not send it again.
func TestWorkerTimeoutNoDuplicate(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "dermatologie")
	w := e.worker("w1", func(o *WorkerOptions) { o.Batch = 1 })
	e.twilio.Answer(twiliotest.Slow)
	e.runOnce(w)
	rows := e.rows()
	if rows[0].Status != "queued" {
		t.Fatalf("after a timeout: %+v", rows[0])
	}
	e.clock.Advance(time.Minute)
	for e.runOnce(w) > 0 {
	}
	if got := len(e.twilio.Bodies("+33612000049")); got != 1 {
		t.Fatalf("specialist got %d messages:\n%s", got, e.twilio)
	}
	rows = e.rows()
	if rows[0].Status != "sent" || rows[0].SID == nil {
		t.Fatalf("timed-out row not found sent: %+v", rows[0])
	}
}

// TestWorkerCrashBetweenSendAndMark: a worker leases a row, Twilio takes
// the message, and the worker dies before marking it. Once the lease has
// expired another worker asks Twilio and marks it sent without a second
// POST; a row leased but never sent is sent once; and when Twilio cannot
// tell, the row is marked unknown rather than risk a duplicate.
func TestWorkerCrashBetweenSendAndMark(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "cardiologie") // MARTIN, BERNARD, the GP, the coordination
	dead := e.worker("dead", func(o *WorkerOptions) { o.Batch = 4 })
	leased, err := dead.lease(context.Background())
	if err != nil || len(leased) != 4 {
		t.Fatalf("lease: %d rows, %v", len(leased), err)
	}
	// It sent the first row only, then crashed.
	if _, err := dead.o.Sender.Send(context.Background(), leased[0].to, leased[0].body); err != nil {
		t.Fatal(err)
	}

	next := e.worker("next")
	if n := e.runOnce(next); n != 0 {
		t.Fatalf("took %d rows under a live lease", n)
	}
	e.clock.Advance(time.Minute)
	e.twilio.ListDown(true)
	// Row 3 cannot be told: unknown. Batch 1 so that rows go one by one.
	next.o.Batch = 1
	e.runOnce(next) // row 1: Twilio cannot tell → unknown
	e.twilio.ListDown(false)
	e.runOnce(next) // row 2: not found at Twilio → sent
	e.runOnce(next) // row 3: not found → sent
	e.runOnce(next) // row 4: not found → sent

	rows := e.rows()
	if rows[0].Status != "unknown" || rows[1].Status != "sent" || rows[2].Status != "sent" || rows[3].Status != "sent" {
		t.Fatalf("rows: %+v", rows)
	}
	for _, to := range []string{"+33612000015", "+33612000023", "+33611000014", "+33179000099"} {
		if got := len(e.twilio.Bodies(to)); got != 1 {
			t.Errorf("%s got %d messages", to, got)
		}
	}

	// The same crash, and Twilio answers the list: found, marked sent.
	e.callback("3f2a9c10-0000-4000-8000-000000000002", "dermatologie")
	leased, err = dead.lease(context.Background())
	if err != nil || len(leased) != 3 {
		t.Fatalf("lease: %d rows, %v", len(leased), err)
	}
	for _, l := range leased {
		if _, err := dead.o.Sender.Send(context.Background(), l.to, l.body); err != nil {
			t.Fatal(err)
		}
	}
	before := posts(e.twilio.Requests())
	e.clock.Advance(time.Minute)
	next.o.Batch = 10
	if n := e.runOnce(next); n != 3 {
		t.Fatalf("recovered %d rows", n)
	}
	if after := posts(e.twilio.Requests()); after != before {
		t.Errorf("%d POSTs after the crash, want none", after-before)
	}
	for _, r := range e.rows()[4:] {
		if r.Status != "sent" || r.SID == nil {
			t.Errorf("recovered row %+v", r)
		}
	}
}

// TestTwoWorkersNeverSendTwice: two workers (two `regul serve`) on one
// database, racing over many rows: each message goes exactly once.
func TestTwoWorkersNeverSendTwice(t *testing.T) {
	e := newEnv(t)
	const calls = 20
	for i := range calls {
		e.callback(fmt.Sprintf("a%05x00-0000-4000-8000-000000000001", i+1), "dermatologie")
	}
	workers := []*Worker{e.worker("a", func(o *WorkerOptions) { o.Batch = 3 }), e.worker("b", func(o *WorkerOptions) { o.Batch = 3 })}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for {
				n, err := w.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	msgs := e.twilio.Messages()
	if len(msgs) != 3*calls {
		t.Fatalf("%d messages, want %d", len(msgs), 3*calls)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		key := m.To + m.Body
		if seen[key] {
			t.Errorf("sent twice: %s %s", m.To, m.Body)
		}
		seen[key] = true
	}
	for _, r := range e.rows() {
		if r.Status != "sent" || r.Attempts != 1 {
			t.Errorf("row %+v", r)
		}
	}
}

// TestNoCredentials: without a sender the worker says so and the outbox
// keeps its rows for when credentials arrive.
func TestNoCredentials(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "dermatologie")
	w, err := NewWorker(WorkerOptions{Pool: e.pool, Log: e.log, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	w.Run(context.Background()) // returns at once: sending is off
	for _, r := range e.rows() {
		if r.Status != "queued" {
			t.Errorf("row %+v", r)
		}
	}
	e.runOnce(e.worker("later"))
	if got := len(e.twilio.Messages()); got != 3 {
		t.Errorf("%d messages once credentials arrived, want 3", got)
	}
}
