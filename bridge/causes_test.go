package bridge

import (
	"testing"

	"github.com/regul-sante/regul/ivr"
)

func TestDialResultFor(t *testing.T) {
	for _, tc := range []struct {
		status string
		cause  int
		want   ivr.DialResult
	}{
		{"", 17, ivr.DialBusy},
		{"", 21, ivr.DialBusy},
		{"", 18, ivr.DialNoAnswer},
		{"", 19, ivr.DialNoAnswer},
		{"", 16, ivr.DialNoAnswer},
		{"BUSY", 0, ivr.DialBusy}, // busy signalled through a Local channel: cause 0
		{"NOANSWER", 19, ivr.DialNoAnswer},
		{"CONGESTION", 0, ivr.DialFailed},
		{"CHANUNAVAIL", 0, ivr.DialFailed},
		{"RINGING", 0, ivr.DialFailed},
		{"", 0, ivr.DialFailed},
		{"", 1, ivr.DialFailed},
		{"", 3, ivr.DialFailed},
		{"", 20, ivr.DialFailed},
		{"", 27, ivr.DialFailed},
		{"", 34, ivr.DialFailed},
		{"", 38, ivr.DialFailed},
		{"", 41, ivr.DialFailed},
		{"", 42, ivr.DialFailed},
	} {
		if got := dialResultFor(tc.status, tc.cause); got != tc.want {
			t.Errorf("dialResultFor(%q, %d) = %s, want %s", tc.status, tc.cause, got, tc.want)
		}
	}
}

func TestHangupReasons(t *testing.T) {
	for _, tc := range []struct {
		r     ivr.HangupReason
		ari   string
		cause int
	}{
		{ivr.HangupNormal, "normal", 16},
		{ivr.HangupBusy, "busy", 17},
		{ivr.HangupNoAnswer, "no_answer", 19},
		{ivr.HangupCongested, "congestion", 34},
		{"", "normal", 16},
	} {
		if got := ariReason(tc.r); got != tc.ari {
			t.Errorf("ariReason(%q) = %q, want %q", tc.r, got, tc.ari)
		}
		if got := reasonCause(tc.r); got != tc.cause {
			t.Errorf("reasonCause(%q) = %d, want %d", tc.r, got, tc.cause)
		}
	}
}

func TestEndpointFor(t *testing.T) {
	got, err := endpointFor("PJSIP/{e164}@trunk", "+33612000015")
	if err != nil || got != "PJSIP/+33612000015@trunk" {
		t.Fatalf("endpointFor = %q, %v", got, err)
	}
	for _, bad := range []string{"", "0612000015", "+33 6 12", "+33612000015&Local/x", "+0612000015", "+1234"} {
		if _, err := endpointFor("PJSIP/{e164}@trunk", bad); err == nil {
			t.Errorf("endpointFor(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"PJSIP/trunk", "{e164}", "/{e164}"} {
		if err := checkDialTemplate(bad); err == nil {
			t.Errorf("checkDialTemplate(%q) accepted", bad)
		}
	}
}

func TestNormalizeCaller(t *testing.T) {
	for in, want := range map[string]string{
		"0611000014":     "+33611000014",
		"06 11 00 00 14": "+33611000014",
		"06.11.00.00.14": "+33611000014",
		"0033611000014":  "+33611000014",
		"33611000014":    "+33611000014",
		"+33611000014":   "+33611000014",
		"+442071838750":  "+442071838750",
		"anonymous":      "anonymous",
		"":               "",
		"0011000014":     "0011000014", // 00 is an international prefix, not a national number
		"061100001":      "061100001",  // too short
		"2071838750":     "2071838750", // foreign national form: unknown country
	} {
		if got := normalizeCaller(in); got != want {
			t.Errorf("normalizeCaller(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckChannelID(t *testing.T) {
	for _, ok := range []string{"call-42-1", "0190f6a1-7c1e-7d2b-9c1a-3b6c2f1d8e90-3"} {
		if err := checkChannelID(ok); err != nil {
			t.Errorf("checkChannelID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a/b", "a b", "a?b", "a,b", "a;b"} {
		if err := checkChannelID(bad); err == nil {
			t.Errorf("checkChannelID(%q) accepted", bad)
		}
	}
}
