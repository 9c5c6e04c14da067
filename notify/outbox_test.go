package notify

import (
	"regexp"
	"strings"
	"testing"
)

const callA = "3f2a9c10-0000-4000-8000-000000000001"

// TestCallbackMessages: nobody reachable in cardiology → both on-duty
// specialists (not the hospital line), the GP and the coordination, each
// once even when the event is replayed.
func TestCallbackMessages(t *testing.T) {
	e := newEnv(t)
	e.callback(callA, "cardiologie")
	e.callback(callA, "cardiologie") // a spool replay: nothing new

	want := []row{
		{Kind: "callback_specialist", To: "+33612000015"},
		{Kind: "callback_specialist", To: "+33612000023"},
		{Kind: "callback_gp", To: "+33611000014",
			Body: "CPTS des Coteaux : aucun spécialiste joignable. Votre demande d'avis en cardiologie est enregistrée, le Dr Claire MARTIN vous rappellera. Réf. 3F2A9C"},
		{Kind: "callback_coordinator", To: "+33179000099",
			Body: "CPTS des Coteaux : demande de rappel en cardiologie du Dr Marie DUBOIS (06 11 00 00 14), aucun spécialiste joint. Réf. 3F2A9C"},
	}
	got := e.rows()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(got), len(want), got)
	}
	codes := map[string]bool{}
	for i, w := range want {
		g := got[i]
		if w.Body == "" { // a specialist's: a link and a code of their own
			m := callbackSMS.FindStringSubmatch(g.Body)
			if m == nil || codes[m[2]] {
				t.Errorf("row %d: %q does not match %s (or repeats a code)", i, g.Body, callbackSMS)
				continue
			}
			codes[m[2]] = true
			w.Body = g.Body
		}
		if g.Kind != w.Kind || g.To != w.To || g.Body != w.Body || g.Status != "queued" {
			t.Errorf("row %d:\n got %s %s %q %s\nwant %s %s %q queued", i, g.Kind, g.To, g.Body, g.Status, w.Kind, w.To, w.Body)
		}
		if n, ok := GSM7(g.Body); !ok || n > SegmentLength {
			t.Errorf("row %d takes %d septets (GSM-7 %v), more than one SMS: %q", i, n, ok, g.Body)
		}
	}
}

// callbackSMS is a specialist's callback SMS: the link's token, the code.
var callbackSMS = regexp.MustCompile(`^CPTS des Coteaux : Dr Marie DUBOIS, avis en cardiologie\. Rappeler : http://127\.0\.0\.1:8091/r/([A-Za-z0-9_-]{16}) ou 01 79 00 00 01 code ([0-9]{8})\. Réf\. 3F2A9C$`)

// TestOutcomeLinkMessage: one SMS to the specialist who left, with a link
// whose token is stored hashed only.
func TestOutcomeLinkMessage(t *testing.T) {
	e := newEnv(t)
	e.pending(callA)
	e.pending(callA)
	got := e.rows()
	if len(got) != 1 {
		t.Fatalf("%d rows: %+v", len(got), got)
	}
	g := got[0]
	prefix := "CPTS des Coteaux : merci de saisir l'issue de l'appel du Dr Marie DUBOIS (10:00) : http://127.0.0.1:8091/suite/"
	if g.Kind != "outcome_link" || g.To != "+33612000015" || !strings.HasPrefix(g.Body, prefix) {
		t.Fatalf("got %+v", g)
	}
	token := strings.TrimPrefix(g.Body, prefix)
	if len(token) != 43 {
		t.Errorf("token %q: want 43 characters (256 bits)", token)
	}
	if n := Segments(g.Body); n != 1 {
		t.Errorf("%d segments: %q", n, g.Body)
	}
	var stored int
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM outcome_link WHERE token_hash = $1`, hashToken(token)).Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("link stored %d times (%v)", stored, err)
	}
}

func TestSegments(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{strings.Repeat("é", 160), 1},
		{strings.Repeat("a", 161), 2},
		{"pédiatrie", 1},
		{strings.Repeat("ê", 70), 1}, // ê is not GSM-7: UCS-2
		{strings.Repeat("ê", 71), 2},
		{strings.Repeat("€", 80), 1}, // two septets each
	} {
		if got := Segments(c.s); got != c.want {
			t.Errorf("Segments(%q…) = %d, want %d", c.s[:4], got, c.want)
		}
	}
	if got := FrenchPhone("+33612000015"); got != "06 12 00 00 15" {
		t.Errorf("FrenchPhone = %q", got)
	}
}
