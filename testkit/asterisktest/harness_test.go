package asterisktest

import (
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/internal/sounds"
)

// The line's configuration is the project's, with the trunk filled in as an
// operator would: nothing left to fill, no registration, loopback only.
func TestLineFiles(t *testing.T) {
	files, err := LineFiles(config.ARI{URL: "http://127.0.0.1:18088/ari", Username: "regul", Password: "s3cret", Application: "regul"}, 15060, 25060)
	if err != nil {
		t.Fatal(err)
	}
	pj := string(files["pjsip.conf"])
	for _, want := range []string{"bind = 127.0.0.1:15060", "contact = sip:127.0.0.1:25060", "match = 127.0.0.1", "dtmf_mode = rfc4733"} {
		if !strings.Contains(pj, want) {
			t.Errorf("pjsip.conf lacks %q", want)
		}
	}
	for _, unwanted := range []string{"CHANGE-ME", "[trunk-registration]", "0.0.0.0"} {
		if strings.Contains(pj, unwanted) {
			t.Errorf("pjsip.conf still has %q", unwanted)
		}
	}
	if !strings.Contains(string(files["http.conf"]), "bindport = 18088") {
		t.Errorf("http.conf:\n%s", files["http.conf"])
	}
	ari := string(files["ari.conf"])
	if !strings.Contains(ari, "[regul]") || !strings.Contains(ari, "["+MonitorUser+"]") {
		t.Errorf("ari.conf lacks regul's or the monitor's user:\n%s", ari)
	}
}

func TestLongestSilence(t *testing.T) {
	// 1 s of tone, 1.5 s of silence, 1 s of tone.
	const rate = sounds.AsteriskRate
	a := sounds.Audio{Rate: rate, Samples: make([]int16, rate*35/10)}
	tone, err := sounds.DecodeWAV(HoldMusic())
	if err != nil {
		t.Fatal(err)
	}
	copy(a.Samples, tone.Samples[:rate])
	copy(a.Samples[rate*25/10:], tone.Samples[:rate])
	got, at, err := LongestSilence(sounds.EncodeWAV(a), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got < 1400*time.Millisecond || got > 1600*time.Millisecond || at < 900*time.Millisecond || at > 1100*time.Millisecond {
		t.Errorf("longest silence %v at %v, want 1.5 s at 1 s", got, at)
	}
	if got, _, _ := LongestSilence(HoldMusic(), 0, 0); got > 100*time.Millisecond {
		t.Errorf("the hold music has %v of silence", got)
	}
}
