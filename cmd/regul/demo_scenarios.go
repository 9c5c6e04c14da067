package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/testkit/arisim"
)

const (
	demoGP  = "10003000014" // Dr Marie DUBOIS
	demoGP2 = "10003000022" // Dr Jean LAMBERT
	demoDID = "+33179000001"
	gap     = 300 * time.Millisecond
)

type demoScenario struct {
	title    string
	scenario *arisim.Scenario
}

// gpAsks is a GP who types their RPPS and PIN, picks a specialty, waits to
// be put through, talks, and hangs up.
func gpAsks(name, from, rpps, pin, digit string, talk time.Duration) arisim.InboundCall {
	steps := []arisim.Step{
		arisim.WaitForSound("saisir-rpps"), arisim.Press(rpps+"#", gap),
		arisim.WaitForSound("saisir-code"), arisim.Press(pin+"#", gap),
		arisim.WaitForSound("digits:" + digit), arisim.Press(digit, gap), // after hearing its menu entry
	}
	if talk > 0 {
		steps = append(steps, arisim.WaitBridged(), arisim.Wait(talk), arisim.Hangup())
	}
	return arisim.InboundCall{Name: name, From: from, DID: demoDID, Steps: steps}
}

// specialistTakes answers, accepts after the whisper, and once the GP has
// gone keys the outcome (and the delay, for téléexpertise or a visit).
func specialistTakes(name, phone string, ring time.Duration, outcome ...string) arisim.Endpoint {
	steps := []arisim.Step{arisim.Ring(ring), arisim.Answer(),
		arisim.WaitForSound("accepter-refuser"), arisim.Press("1", gap),
		arisim.WaitForSound("suite-menu"), arisim.Press(outcome[0], gap)}
	if len(outcome) > 1 {
		steps = append(steps, arisim.WaitForSound("delai-menu"), arisim.Press(outcome[1], gap))
	}
	return arisim.Endpoint{Name: name, Dial: "PJSIP/" + phone + "@trunk", Steps: append(steps, arisim.Silent())}
}

func demoScenarios(s *demoSample) []demoScenario {
	return []demoScenario{
		{
			title: "1. Dr Marie DUBOIS asks for a cardiologist: the rank-1 specialist takes the call",
			scenario: &arisim.Scenario{
				Inbound:  []arisim.InboundCall{gpAsks("Dr Marie DUBOIS (GP)", "+33611000014", demoGP, s.pins[demoGP], "1", 2*time.Minute)},
				Outbound: []arisim.Endpoint{specialistTakes("Dr Claire MARTIN (cardiology, rank 1)", "+33612000015", 4*time.Second, "2", "1")},
			},
		},
		{
			title: "2. Dr Jean LAMBERT asks for a cardiologist: rank 1 does not answer, rank 2 does",
			scenario: &arisim.Scenario{
				Inbound: []arisim.InboundCall{gpAsks("Dr Jean LAMBERT (GP)", "+33611000022", demoGP2, s.pins[demoGP2], "1", 90*time.Second)},
				Outbound: []arisim.Endpoint{
					{Name: "Dr Claire MARTIN (cardiology, rank 1)", Dial: "PJSIP/+33612000015@trunk", Steps: arisim.NoAnswer()},
					specialistTakes("Dr Hugo BERNARD (cardiology, rank 2)", "+33612000023", 6*time.Second, "5"),
				},
			},
		},
		{
			title: "3. Dr Marie DUBOIS asks for a dermatologist: nobody can be reached, a callback is registered",
			scenario: &arisim.Scenario{
				Inbound: []arisim.InboundCall{gpAsks("Dr Marie DUBOIS (GP)", "+33611000014", demoGP, s.pins[demoGP], "2", 0)},
				Outbound: []arisim.Endpoint{
					{Name: "Dr Louis DURAND (dermatology, rank 1)", Dial: "PJSIP/+33612000049@trunk", Steps: arisim.IsBusy()},
				},
			},
		},
	}
}

// demoConfig is the embedded defaults pointed at the emulator, with a
// console logger that only speaks up for warnings (the timelines are the
// demo's output).
func demoConfig(level, ariURL string, logs *demoLog) (*config.Config, *zap.Logger, error) {
	cfg, err := config.Load("")
	if err != nil {
		return nil, nil, err
	}
	cfg.ARI.URL, cfg.ARI.WebsocketURL, cfg.ARI.Username, cfg.ARI.Password = ariURL, "", "regul", "demo"
	cfg.HTTP.Listen, cfg.Console.Listen = "127.0.0.1:0", "127.0.0.1:0"
	if cfg.DataDir, err = os.MkdirTemp("", "regul-demo-"); err != nil {
		return nil, nil, err
	}
	// A throwaway key: the demo's TOTP secrets are sealed like production's.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	cfg.Console.TOTPKey = hex.EncodeToString(key)
	if level == "info" {
		level = "warn"
	}
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, nil, err
	}
	// The controller's log lines are kept apart and printed after the
	// timelines: a warning never cuts a call's story in two.
	enc := zap.NewDevelopmentEncoderConfig()
	log := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(logs), lvl))
	return cfg, log, nil
}

// demoSoundDuration is how long every prompt lasts in the demo's emulator;
// the timeline knows a key pressed before its end cut it short.
const demoSoundDuration = 2 * time.Second

// demoLog holds the controller's log lines during the demo.
type demoLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *demoLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.lines = append(l.lines, s)
	}
	return len(p), nil
}

// print writes the lines kept, if any, under a heading of their own.
func (l *demoLog) print(out io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return
	}
	fmt.Fprintf(out, "\ncontroller log (%d line(s), kept out of the timelines):\n", len(l.lines))
	for _, s := range l.lines {
		fmt.Fprintln(out, "  "+s)
	}
	l.lines = nil
}
