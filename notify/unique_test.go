package notify

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/testkit/twiliotest"
)

// Two UUIDv7 call ids a minute apart: the same first six hex digits, which
// used to be the reference of both. Here both calls' scripts also drew the
// same reference, the rare collision the applier must resolve.
const (
	callEarly = "3f2a9c10-0000-7000-8000-000000000001"
	callLater = "3f2a9c55-0000-7000-8000-000000000002"
)

// TestTwoCallbacksTwoReferences: one GP asks twice for a dermatologist
// within four hours and nobody answers either time. The two calls get two
// references, unique in the territory, and every SMS of the second call is
// told apart from the first's.
func TestTwoCallbacksTwoReferences(t *testing.T) {
	e := newEnv(t)
	e.callback(callEarly, "dermatologie")
	e.clock.Advance(3 * time.Hour)
	e.callback(callLater, "dermatologie")

	refs := map[string]string{}
	for _, id := range []string{callEarly, callLater} {
		rec, err := e.calls.Call(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !callevent.ValidReference(rec.Reference) {
			t.Fatalf("call %s: reference %q", id, rec.Reference)
		}
		refs[id] = rec.Reference
	}
	if refs[callEarly] == refs[callLater] {
		t.Fatalf("two calls share the reference %s", refs[callEarly])
	}
	bodies := map[string]string{} // recipient+body → first kind seen
	for _, r := range e.rows() {
		k := r.To + "\x00" + r.Body
		if prev, ok := bodies[k]; ok {
			t.Errorf("two SMS to %s with one text (%s, %s): %q", r.To, prev, r.Kind, r.Body)
		}
		bodies[k] = r.Kind
	}
	if len(bodies) != 6 {
		t.Errorf("%d distinct SMS, want 3 per call", len(bodies))
	}
}

// TestTimedOutSendNotTakenForAnEarlierOne: a GP got a callback SMS (sent by
// the previous release, with the same text, half an hour earlier). The new
// row's send times out and Twilio never took it. The check with Twilio must
// not take the earlier message for this row's: the row is sent again and
// marked with its own SID.
func TestTimedOutSendNotTakenForAnEarlierOne(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "dermatologie")
	rows := e.rows()
	gp := rows[1]
	if gp.Kind != "callback_gp" {
		t.Fatalf("row 1 is %s", gp.Kind)
	}
	earlier := e.twilio.Seed(gp.To, gp.Body, e.clock.Now().Add(-30*time.Minute))

	w := e.worker("w1", func(o *WorkerOptions) { o.Batch = 1 })
	e.runOnce(w) // the specialist's row
	e.twilio.Answer(twiliotest.Lost)
	e.runOnce(w) // the GP's row: timed out, not taken
	if r := e.rows()[1]; r.Status != "queued" || r.SID != nil {
		t.Fatalf("after the timeout: %+v", r)
	}
	e.clock.Advance(time.Minute)
	for e.runOnce(w) > 0 {
	}
	r := e.rows()[1]
	if r.Status != "sent" || r.SID == nil || *r.SID == earlier.SID {
		t.Fatalf("row marked with the earlier message's SID %s, or not sent: %+v", earlier.SID, r)
	}
	if n := len(e.twilio.Bodies(gp.To)); n != 2 {
		t.Errorf("the GP's number got %d messages at Twilio, want the earlier one and this row's", n)
	}
}

// TestTwilioSIDBelongsToOneRow: a SID already held by a row is refused to
// another, by the database itself.
func TestTwilioSIDBelongsToOneRow(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "dermatologie")
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `UPDATE sms_outbox SET twilio_sid = 'SM1' WHERE id = (SELECT min(id) FROM sms_outbox)`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE sms_outbox SET twilio_sid = 'SM1' WHERE id = (SELECT max(id) FROM sms_outbox)`); err == nil {
		t.Fatal("two rows hold one Twilio SID")
	}
}
