package bridge

import (
	"fmt"
	"strings"

	"github.com/regul-sante/regul/ivr"
)

// Q.850 causes the bridge names.
const (
	causeUnknown          = 0
	causeNormalClearing   = 16
	causeUserBusy         = 17
	causeNoUserResponse   = 18
	causeNoAnswer         = 19
	causeCallRejected     = 21
	causeNoCircuit        = 34
	softHangupExplicitBit = 32 // what Asterisk puts in "cause" of a ChannelHangupRequest we asked for
)

// dialResultFor says how an attempt that ended unanswered went, from the
// last Dial status Asterisk reported (when any) and the channel's cause.
//
// The dial status wins over the cause: when the callee signals busy through
// a Local channel the cause is 0 but the status is BUSY.
//
// Cause 21 (call rejected) counts as busy, not as no answer: a person
// pressed "decline" on a phone that is on and reachable (many networks
// signal that very action as 17); "no answer" is kept for a phone that rang
// out. 16 (normal clearing) before an answer is the far end hanging up
// while it rang, so it is a no answer too.
func dialResultFor(dialStatus string, cause int) ivr.DialResult {
	switch strings.ToUpper(dialStatus) {
	case "BUSY":
		return ivr.DialBusy
	case "NOANSWER":
		return ivr.DialNoAnswer
	case "CONGESTION", "CHANUNAVAIL", "INVALIDARGS":
		return ivr.DialFailed
	}
	switch cause {
	case causeUserBusy, causeCallRejected:
		return ivr.DialBusy
	case causeNoUserResponse, causeNoAnswer, causeNormalClearing:
		return ivr.DialNoAnswer
	default:
		// 0 unknown, 1 unallocated number, 3 no route, 20 subscriber
		// absent, 27 destination out of order, 34 no circuit, 38 network
		// out of order, 41 temporary failure, 42 congestion...
		return ivr.DialFailed
	}
}

// reasonCause is the cause a hangup we request with reason ends with.
func reasonCause(r ivr.HangupReason) int {
	switch r {
	case ivr.HangupBusy:
		return causeUserBusy
	case ivr.HangupNoAnswer:
		return causeNoAnswer
	case ivr.HangupCongested:
		return causeNoCircuit
	default:
		return causeNormalClearing
	}
}

// ariReason is the DELETE /channels reason Asterisk accepts for r.
func ariReason(r ivr.HangupReason) string {
	switch r {
	case ivr.HangupBusy, ivr.HangupNoAnswer, ivr.HangupCongested:
		return string(r)
	default:
		return "normal"
	}
}

// causeText names the usual causes, for calls ended from our side where
// Asterisk gives no text.
func causeText(cause int) string {
	switch cause {
	case causeNormalClearing:
		return "Normal Clearing"
	case causeUserBusy:
		return "User busy"
	case causeNoUserResponse:
		return "No user responding"
	case causeNoAnswer:
		return "User alerting, no answer"
	case causeCallRejected:
		return "Call Rejected"
	case causeNoCircuit:
		return "No route/channel available"
	default:
		return "Unknown"
	}
}

// endpointFor fills the dial template ("PJSIP/{e164}@trunk") with phone,
// which must be E.164: the number ends up in a dial string, where a stray
// "&" or "/" would dial something else.
func endpointFor(template, phone string) (string, error) {
	if !isE164(phone) {
		return "", fmt.Errorf("phone %q is not an E.164 number such as +33612000015", phone)
	}
	return strings.ReplaceAll(template, "{e164}", phone), nil
}

func checkDialTemplate(template string) error {
	if !strings.Contains(template, "{e164}") {
		return fmt.Errorf("dial template %q has no {e164} placeholder (e.g. PJSIP/{e164}@trunk)", template)
	}
	if tech, _, ok := strings.Cut(template, "/"); !ok || tech == "" {
		return fmt.Errorf("dial template %q does not start with a channel technology (e.g. PJSIP/{e164}@trunk)", template)
	}
	return nil
}

func isE164(s string) bool {
	digits, ok := strings.CutPrefix(s, "+")
	if !ok || len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	return allDigits(digits)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// normalizeCaller turns the presented number into E.164 when it is a French
// number in national (0612000015) or international-prefix (0033..., 33...)
// form. Anything else (anonymous, foreign national forms) is kept as given.
func normalizeCaller(number string) string {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '(', ')':
			return -1
		}
		return r
	}, number)
	switch {
	case isE164(n):
		return n
	case len(n) == 10 && n[0] == '0' && n[1] != '0' && allDigits(n):
		return "+33" + n[1:]
	case len(n) == 13 && strings.HasPrefix(n, "0033") && n[4] != '0' && allDigits(n):
		return "+" + n[2:]
	case len(n) == 11 && strings.HasPrefix(n, "33") && n[2] != '0' && allDigits(n):
		return "+" + n
	}
	return number
}
