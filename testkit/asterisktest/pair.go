package asterisktest

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	asteriskconfig "github.com/regul-sante/regul/asterisk-config"
	"github.com/regul-sante/regul/internal/config"
)

// Accounts of the test-only ARI users.
const (
	MonitorUser = "monitor" // added to the line's ari.conf: watches every channel
	PhonesUser  = "phones"  // the operator's ARI user and application
	testPass    = "test-only-secret"
)

// PairOptions shape a line + operator pair.
type PairOptions struct {
	// ARI is regul's ari.* configuration (username, password, application);
	// the harness sets URL to the line's port.
	ARI config.ARI
	// Prompts is the folder `regul prompts build --out` wrote (holding
	// fr/regul/…); it is linked as the line's sounds/fr/regul.
	Prompts string
	// MOH is the line's moh folder (nil or empty: an empty folder).
	MOH map[string][]byte
	// Extensions, when set, are extra dialplan lines put at the top of the
	// line's [from-trunk] context (the benchmark's plain-dialplan number).
	Extensions string
}

// Pair is the regulation line's Asterisk, with the project's own
// configuration, and the SIP operator's Asterisk at the other end of the
// trunk, on 127.0.0.1.
type Pair struct {
	Line, Operator *Instance
	// ARI is regul's configuration for the line (URL filled in).
	ARI config.ARI
	// Monitor watches the line (subscribeAll); Phones is the operator's
	// application that plays the GPs and the specialists.
	Monitor *Events
	Phones  *Operator
	lineARI *ARI
}

// StartPair starts both instances and connects the monitor and the phones.
func StartPair(t testing.TB, in *Install, o PairOptions) *Pair {
	t.Helper()
	lineHTTP, lineSIP := FreePort(t), FreePort(t)
	opHTTP, opSIP := FreePort(t), FreePort(t)
	p := &Pair{ARI: o.ARI}
	p.ARI.URL = fmt.Sprintf("http://127.0.0.1:%d/ari", lineHTTP)
	p.ARI.WebsocketURL = ""
	lineFiles, err := LineFiles(p.ARI, lineSIP, opSIP)
	if err != nil {
		t.Fatal(err)
	}
	if o.Extensions != "" {
		ext := lineFiles["extensions.conf"]
		if !bytes.Contains(ext, []byte("\n[from-trunk]\n")) {
			t.Fatal("extensions.conf has no [from-trunk] context")
		}
		lineFiles["extensions.conf"] = bytes.Replace(ext, []byte("\n[from-trunk]\n"), []byte("\n[from-trunk]\n"+o.Extensions+"\n"), 1)
	}
	// The operator first: the line qualifies the trunk (OPTIONS) as it
	// starts, and a contact found unreachable refuses every call through
	// the trunk until the next qualify, 30 s later.
	p.Operator = Start(t, in, Config{Name: "operator", Files: operatorFiles(opHTTP, opSIP, lineSIP),
		HTTPPort: opHTTP, ARIUser: PhonesUser, ARIPass: testPass})
	p.Line = Start(t, in, Config{Name: "line", Files: lineFiles, HTTPPort: lineHTTP, ARIUser: MonitorUser, ARIPass: testPass,
		Sounds: map[string]string{"fr/regul": o.Prompts + "/fr/regul"}, MOH: o.MOH})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.lineARI = p.Line.ARI(MonitorUser, testPass)
	if p.Monitor, err = p.lineARI.Listen(ctx, "monitor", true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Monitor.Close)
	opARI := p.Operator.ARI(PhonesUser, testPass)
	ev, err := opARI.Listen(ctx, PhonesUser, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ev.Close)
	p.Phones = &Operator{ARI: opARI, Events: ev, Dir: p.Operator.Dir}
	return p
}

// LineARI is a client on the line's ARI with the monitor's account.
func (p *Pair) LineARI() *ARI { return p.lineARI }

// ReconnectMonitor opens the monitor's WebSocket again (after a restart).
func (p *Pair) ReconnectMonitor(ctx context.Context) error {
	ev, err := p.lineARI.Listen(ctx, "monitor", true)
	if err != nil {
		return err
	}
	p.Monitor = ev
	return nil
}

// LineFiles renders the line's configuration as `regul asterisk config`
// does, then does what an operator installing it does: fills the trunk's
// CHANGE-ME fields for an operator at 127.0.0.1:opSIP that routes to us
// by IP (no registration), and binds SIP to 127.0.0.1:lineSIP. A test-only
// ARI user for the monitor is added to ari.conf.
func LineFiles(ari config.ARI, lineSIP, opSIP int) (map[string][]byte, error) {
	files, err := asteriskconfig.Render(ari)
	if err != nil {
		return nil, fmt.Errorf("render the line's configuration: %w", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Name] = f.Data
	}
	pj := out["pjsip.conf"]
	for _, r := range []struct{ old, new string }{
		{"bind = 0.0.0.0:5060", fmt.Sprintf("bind = 127.0.0.1:%d", lineSIP)},
		{"contact = sip:CHANGE-ME.operator.example", fmt.Sprintf("contact = sip:127.0.0.1:%d", opSIP)},
		{"match = CHANGE-ME.operator.example", "match = 127.0.0.1"},
		{"from_domain = CHANGE-ME.operator.example", "from_domain = 127.0.0.1"},
	} {
		if !bytes.Contains(pj, []byte(r.old)) {
			return nil, fmt.Errorf("pjsip.conf no longer has %q: update the harness with the trunk template", r.old)
		}
		pj = bytes.Replace(pj, []byte(r.old), []byte(r.new), 1)
	}
	// "Delete the section if the operator sends to your fixed IP without
	// registration" (asterisk-config/README.md).
	reg := regexp.MustCompile(`(?ms)^\[trunk-registration\].*?\n\n`)
	if !reg.Match(pj) {
		return nil, fmt.Errorf("pjsip.conf has no [trunk-registration] section to remove")
	}
	pj = reg.ReplaceAll(pj, nil)
	pj = bytes.ReplaceAll(pj, []byte("CHANGE-ME"), []byte("regul-test"))
	out["pjsip.conf"] = pj
	out["ari.conf"] = append(out["ari.conf"], []byte(fmt.Sprintf("\n; test only: the harness's monitor\n[%s]\ntype = user\nread_only = yes\npassword = %s\npassword_format = plain\n", MonitorUser, testPass))...)
	return out, nil
}

// operatorFiles: the operator's Asterisk. GPs are originated by the test
// into the line (PJSIP/<DID>@line); every call from the line (a specialist's
// mobile) enters Stasis(phones,specialist,<number>).
func operatorFiles(httpPort, sipPort, lineSIP int) map[string][]byte {
	return map[string][]byte{
		"http.conf": []byte(fmt.Sprintf("[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = %d\n", httpPort)),
		"ari.conf": []byte(fmt.Sprintf("[general]\nenabled = yes\npretty = no\n[%s]\ntype = user\nread_only = no\npassword = %s\npassword_format = plain\n",
			PhonesUser, testPass)),
		"pjsip.conf": []byte(fmt.Sprintf(`[global]
type = global
user_agent = operator
endpoint_identifier_order = ip

[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:%d

[line]
type = endpoint
context = from-line
disallow = all
allow = alaw,ulaw
dtmf_mode = rfc4733
direct_media = no
rtp_symmetric = yes
aors = line
trust_id_inbound = yes
language = fr

[line]
type = aor
contact = sip:127.0.0.1:%d

[line]
type = identify
endpoint = line
match = 127.0.0.1
`, sipPort, lineSIP)),
		"extensions.conf": []byte(`[general]
static = yes
writeprotect = yes

[from-line]
exten => _+X.,1,Stasis(phones,specialist,${EXTEN})
 same => n,Hangup()
exten => _X.,1,Stasis(phones,specialist,${EXTEN})
 same => n,Hangup()
`),
	}
}
