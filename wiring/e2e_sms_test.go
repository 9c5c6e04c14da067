package wiring

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/console"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/twiliotest"
)

const (
	durand       = "PJSIP/+33612000049@trunk" // dermatologie rank 1 on Monday morning, no fallback line
	durandMobile = "+33612000049"
	martinMobile = "+33612000015"
)

// smsLine is the line with SMS sent to a fake Twilio through twilio-go.
func smsLine(t *testing.T) (*line, *twiliotest.Server) {
	fake := twiliotest.New()
	t.Cleanup(fake.Close)
	l := newLine(t, withConfig(smsConfig(fake)))
	return l, fake
}

// smsConfig sends the line's SMS to the fake Twilio.
func smsConfig(fake *twiliotest.Server) func(*config.Config) {
	return func(c *config.Config) {
		c.Twilio = config.Twilio{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
			From: twiliotest.From, APIURL: fake.URL(), Timeout: 5 * time.Second}
		c.Notify.PollInterval = 20 * time.Millisecond
		c.Notify.DigestAt = "23:59" // the coverage digest has its own test in notify
	}
}

// waitSMS waits until the fake Twilio has taken n messages.
func waitSMS(t *testing.T, fake *twiliotest.Server, n int) []twiliotest.Message {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		changed := fake.Changed()
		if msgs := fake.Messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("Twilio received %d messages, want %d:\n%s", len(fake.Messages()), n, fake)
		}
	}
}

// Nobody answers: the dermatologist on duty is busy and there is no
// fallback line; the GP hears that the request is recorded, and the fake
// Twilio receives the SMS to the specialist, to the GP and to the
// coordination.
func TestSMSWhenNobodyAnswers(t *testing.T) {
	l, fake := smsLine(t)
	l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did, Steps: []arisim.Step{
			arisim.WaitForSound("saisir-rpps"), arisim.Press(gpRPPS+"#", digitGap),
			arisim.WaitForSound("saisir-code"), arisim.Press(l.pins[gpRPPS]+"#", digitGap),
			arisim.WaitForSound("menu-intro"), arisim.Press("2", digitGap),
			arisim.Silent(),
		}}},
		Outbound: []arisim.Endpoint{{Name: "durand", Dial: durand, Steps: arisim.IsBusy()}},
	})
	rec := l.record()
	if rec.Result != callevent.ResultCallback || rec.Callback == nil {
		t.Fatalf("call record: result %s, callback %+v", rec.Result, rec.Callback)
	}
	ref := rec.Reference
	if !callevent.ValidReference(ref) {
		t.Fatalf("call reference %q", ref)
	}
	want := map[string]string{
		durandMobile:   "CPTS des Coteaux : Dr Marie DUBOIS, avis en dermatologie. Rappeler : http://127.0.0.1:8091/r/TOKEN ou 01 79 00 00 01 code CODE. Réf. " + ref,
		gpNumber:       "CPTS des Coteaux : aucun spécialiste joignable. Votre demande d'avis en dermatologie est enregistrée, le Dr Louis DURAND vous rappellera. Réf. " + ref,
		"+33179000099": "CPTS des Coteaux : demande de rappel en dermatologie du Dr Marie DUBOIS (06 11 00 00 14), aucun spécialiste joint. Réf. " + ref,
	}
	msgs := waitSMS(t, fake, len(want))
	for _, m := range msgs {
		body := callbackTokenRe.ReplaceAllString(m.Body, "/r/TOKEN${1}CODE.")
		if want[m.To] != body || m.From != twiliotest.From {
			t.Errorf("SMS from %s to %s: %q\nwant %q", m.From, m.To, m.Body, want[m.To])
		}
		delete(want, m.To)
	}
	if len(want) > 0 {
		t.Errorf("no SMS to %v:\n%s", want, fake)
	}
}

// callbackTokenRe is the link's token and the code of a callback SMS.
var callbackTokenRe = regexp.MustCompile(`/r/[A-Za-z0-9_-]{16}( ou [0-9 ]+ code )[0-9]{8}\.`)

var linkRe = regexp.MustCompile(`https?://[^ ]+(/suite/[A-Za-z0-9_-]{43})$`)

// The specialist hangs up first: the call ends with the outcome pending,
// the specialist gets an SMS with a link, and keys the outcome through it.
func TestOutcomeKeyedThroughTheSMSLink(t *testing.T) {
	l, fake := smsLine(t)
	l.play(&arisim.Scenario{
		Inbound: []arisim.InboundCall{{Name: "gp", From: gpNumber, DID: did,
			Steps: l.gpAsksCardiology(arisim.WaitBridged(), arisim.Silent())}},
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: specialistAccepts(
			arisim.WaitBridged(), arisim.Wait(20*time.Second), arisim.Hangup())}},
	})
	rec := l.record()
	if rec.Outcome == nil || rec.Outcome.Status != "pending" {
		t.Fatalf("outcome after the specialist left: %+v", rec.Outcome)
	}
	msgs := waitSMS(t, fake, 1)
	if len(msgs) != 1 || msgs[0].To != martinMobile {
		t.Fatalf("SMS:\n%s", fake)
	}
	m := linkRe.FindStringSubmatch(msgs[0].Body)
	if m == nil || !strings.HasPrefix(msgs[0].Body, "CPTS des Coteaux : merci de saisir l'issue de l'appel du Dr Marie DUBOIS (10:0") {
		t.Fatalf("link SMS: %q", msgs[0].Body)
	}

	deps, err := ConsoleDeps(l.pool, accounts.Options{Clock: l.clock})
	if err != nil {
		t.Fatal(err)
	}
	console, err := console.NewConsole(console.ConsoleOptions{Deps: deps, Logger: zap.NewNop(), Clock: l.clock,
		Links: notify.NewLinks(l.pool, NotifyOwners(l.pool))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(console)
	t.Cleanup(srv.Close)
	page := httpGet(t, srv.URL+m[1])
	key := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if key == nil || !strings.Contains(page, "Dr Marie DUBOIS") {
		t.Fatalf("outcome page:\n%s", page)
	}
	resp, err := http.PostForm(srv.URL+m[1], url.Values{"csrf": {key[1]}, "issue": {"teleconsultation"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("keying through the link: %d", resp.StatusCode)
	}
	rec = l.record()
	if o := rec.Outcome; o == nil || o.Status != "keyed" || o.Outcome != callevent.OutcomeTeleconsultation || o.KeyedVia != calllog.ViaLink {
		t.Fatalf("outcome: %+v", rec.Outcome)
	}
}

func httpGet(t *testing.T, u string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, body)
	}
	return string(body)
}
