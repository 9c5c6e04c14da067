// Command bareload is the baseline of regul's load benchmark
// (BenchmarkSideBySide in wiring): the same call, driven through
// the same ari/v5 client, by the least a competent program needs: no
// database, no call record, no roster, no retries, no adoption, no metrics.
// It shows what ari/v5 and the emulator cost by themselves, so that the
// benchmark can print what regul adds on top.
//
// It is, with package bridge, the only code in this repository allowed to
// import github.com/CyCoreSystems/ari/v5: it is a measuring instrument, not
// part of the product.
//
// Per inbound call (Stasis args "inbound,<DID>") it plays what regul plays to
// a GP (welcome, territory, emergency notice, "enter your RPPS"), collects
// digits up to '#', plays the two menu prompts (a key stops the second),
// originates the specialist with a client-made id into the app, plays
// "searching" then loops the hold prompt to the GP while the specialist
// hears the six whisper prompts and keys '1', then mixes both in a bridge;
// when the GP hangs up it destroys the bridge, plays the outcome menu to the
// specialist, waits for a key, plays the confirmation and hangs up.
//
// One subscription to ari/v5's bus, emptied by one goroutine into per-call
// queues; one goroutine per call. ari/v5 drops events past 100 waiting in a
// subscription, which at 100 calls a second happens every few seconds (its
// WebSocket goroutine decodes a burst without yielding): the subscription
// gets 65,536 slots, as regul's does (bridge/busbuffer.go), so that the
// baseline measures ari/v5's cost, not calls lost to that bug.
// On SIGTERM it exits; SIGUSR1 returns its free memory to the system (the
// benchmark's baseline before the calls). With -originate-log it writes, at exit, one line per
// originate: "<channel id> <unix ns when the request was written>".
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	_ "github.com/CyCoreSystems/ari/v5/stdbus" // stdbusBufferSize
)

//go:linkname stdbusBufferSize github.com/CyCoreSystems/ari/v5/stdbus.subscriptionEventBufferSize
var stdbusBufferSize int

func init() { stdbusBufferSize = 1 << 16 }

var (
	client      *native.Client
	app         string
	endpoint    string
	prefix      string
	errHungUp   = errors.New("hung up")
	originateMu sync.Mutex
	originated  []string // "<id> <ns>"
	calls       atomic.Int64
)

func main() {
	var url, user, pass, logPath string
	flag.StringVar(&url, "url", "http://127.0.0.1:8088/ari", "ARI root URL")
	flag.StringVar(&user, "user", "ari", "ARI user")
	flag.StringVar(&pass, "pass", "ari", "ARI password")
	flag.StringVar(&app, "app", "bareari", "Stasis application")
	flag.StringVar(&endpoint, "endpoint", "PJSIP/+33612000015@trunk", "the specialist's dial string")
	flag.StringVar(&prefix, "prompts", "sound:regul/", "media URI prefix of the prompts")
	flag.StringVar(&logPath, "originate-log", "", "file written at exit: when each originate request was written")
	cpuProfile := flag.String("cpuprofile", "", "file the CPU profile is written to at exit (the allocations go beside it)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bareari: cpu profile:", err)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
			if a, err := os.Create(strings.TrimSuffix(*cpuProfile, ".cpu.pprof") + ".allocs.pprof"); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(a, 0)
				a.Close()
			}
		}()
	}

	client = native.New(&native.Options{Application: app, URL: url, Username: user, Password: pass,
		WebsocketURL:    "ws" + strings.TrimPrefix(strings.TrimSuffix(url, "/ari"), "http") + "/ari/events",
		WebsocketOrigin: "http://localhost/"})
	// The HTTP transport regul's bridge uses (bridge/rest.go): Go's default
	// keeps 2 idle connections per host, and with calls in parallel most
	// requests would open and close a connection, a cost of the baseline,
	// not of ari/v5.
	var rt http.RoundTripper = &http.Transport{Proxy: http.ProxyFromEnvironment,
		DialContext:  (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	if logPath != "" {
		rt = traced{rt}
	}
	setTransport(client, rt)
	if err := client.Connect(); err != nil {
		fmt.Fprintln(os.Stderr, "bareari: connect:", err)
		os.Exit(1)
	}
	sub := client.Bus().Subscribe(nil, ari.Events.All)
	r := &router{calls: map[string]chan ari.Event{}}
	go r.read(sub.Events())
	fmt.Fprintln(os.Stderr, "bareari: connected")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt, syscall.SIGUSR1)
	for s := <-sig; s == syscall.SIGUSR1; s = <-sig {
		debug.FreeOSMemory() // the benchmark's baseline for memory per call
	}
	if logPath != "" {
		originateMu.Lock()
		err := os.WriteFile(logPath, []byte(strings.Join(originated, "\n")+"\n"), 0o600)
		originateMu.Unlock()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bareari:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "bareari: %d calls\n", calls.Load())
}

// router hands each event to the goroutine of the call whose channel it
// names; a new inbound call starts one.
type router struct {
	mu    sync.Mutex
	calls map[string]chan ari.Event
}

func (r *router) read(events <-chan ari.Event) {
	for e := range events {
		if e == nil {
			continue
		}
		id := channelOf(e)
		r.mu.Lock()
		ch := r.calls[id]
		if ch == nil {
			if s, ok := e.(*ari.StasisStart); ok && len(s.Args) > 0 && s.Args[0] == "inbound" {
				ch = make(chan ari.Event, 256)
				r.calls[id] = ch
				c := &call{r: r, ev: ch, gp: id, done: map[string]bool{}}
				go c.run()
			}
		}
		r.mu.Unlock()
		if ch != nil {
			ch <- e
		}
	}
}

func (r *router) route(id string, ch chan ari.Event) {
	r.mu.Lock()
	r.calls[id] = ch
	r.mu.Unlock()
}

func (r *router) forget(ids ...string) {
	r.mu.Lock()
	for _, id := range ids {
		delete(r.calls, id)
	}
	r.mu.Unlock()
}

func channelOf(e ari.Event) string {
	switch v := e.(type) {
	case *ari.PlaybackStarted:
		return strings.TrimPrefix(v.Playback.TargetURI, "channel:")
	case *ari.PlaybackFinished:
		return strings.TrimPrefix(v.Playback.TargetURI, "channel:")
	case *ari.Dial:
		return v.Peer.ID
	}
	for _, k := range e.Keys() {
		if k != nil && k.Kind == ari.ChannelKey {
			return k.ID
		}
	}
	return ""
}

// call is one inbound call and its specialist leg, driven by the events of
// both channels in order.
type call struct {
	r        *router
	ev       chan ari.Event
	gp, spec string
	digits   []string // keys of the GP, then of the specialist
	specKeys []string
	done     map[string]bool // playbacks finished
	specIn   bool            // the specialist's channel entered the app
	specLeft bool            // and left the bridge
	gpGone   bool
	holding  string // the hold playback playing, "" when not on hold
	n        int
}

func (c *call) run() {
	calls.Add(1)
	defer func() {
		c.r.forget(c.gp, c.spec)
		if c.spec != "" {
			_ = client.Channel().Hangup(ari.NewKey(ari.ChannelKey, c.spec), "normal")
		}
		if !c.gpGone {
			_ = client.Channel().Hangup(ari.NewKey(ari.ChannelKey, c.gp), "normal")
		}
	}()
	gp := ari.NewKey(ari.ChannelKey, c.gp)
	if client.Channel().Answer(gp) != nil {
		return
	}
	for _, p := range []string{"bienvenue", "territoires/cpts-coteaux", "urgence-15", "saisir-rpps"} {
		if c.playAndWait(c.gp, p) != nil {
			return
		}
	}
	if c.wait(func() bool { return len(c.digits) > 0 && c.digits[len(c.digits)-1] == "#" }) != nil {
		return
	}
	c.digits = c.digits[:0]
	if c.playAndWait(c.gp, "menu-intro") != nil {
		return
	}
	pb, err := c.play(c.gp, "menu-pour")
	if err != nil || c.wait(func() bool { return len(c.digits) > 0 || c.done[pb] }) != nil {
		return
	}
	if !c.done[pb] {
		_ = client.Playback().Stop(ari.NewKey(ari.PlaybackKey, pb))
	}
	if c.wait(func() bool { return len(c.digits) > 0 }) != nil {
		return
	}

	c.spec = c.gp + "-1"
	c.r.route(c.spec, c.ev)
	if _, err := client.Channel().Originate(nil, ari.OriginateRequest{Endpoint: endpoint, App: app,
		AppArgs: "dialed," + c.spec, CallerID: "+33179000001", Timeout: 30, ChannelID: c.spec}); err != nil {
		c.spec = ""
		return
	}
	if c.holding, err = c.play(c.gp, "recherche"); err != nil {
		return
	}
	if c.wait(func() bool { return c.specIn }) != nil {
		return
	}
	for _, p := range []string{"chuchotement-ligne", "territoires/cpts-coteaux", "chuchotement-docteur",
		"noms/10003000014", "chuchotement-demande", "specialites/cpts-coteaux/cardiologie", "accepter-refuser"} {
		if c.playAndWait(c.spec, p) != nil {
			return
		}
	}
	if c.wait(func() bool { return len(c.specKeys) > 0 }) != nil {
		return
	}
	c.specKeys = c.specKeys[:0]
	hold := c.holding
	c.holding = ""
	_ = client.Playback().Stop(ari.NewKey(ari.PlaybackKey, hold))
	br := ari.NewKey(ari.BridgeKey, c.spec+"-b")
	if _, err := client.Bridge().Create(br, "mixing", br.ID); err != nil {
		return
	}
	_ = client.Bridge().AddChannel(br, c.gp)
	_ = client.Bridge().AddChannel(br, c.spec)
	_ = c.wait(func() bool { return false }) // until the GP hangs up
	_ = client.Bridge().Delete(br)
	// A play sent before the channel has left the dying bridge is lost
	// (Asterisk 22, and the emulator): wait for ChannelLeftBridge.
	if c.waitSpec(func() bool { return c.specLeft }) != nil {
		return
	}
	if c.playAndWaitSpec("suite-menu") != nil {
		return
	}
	if c.waitSpec(func() bool { return len(c.specKeys) > 0 }) != nil {
		return
	}
	_ = c.playAndWaitSpec("suite-enregistree")
}

func (c *call) play(ch, prompt string) (string, error) {
	c.n++
	id := fmt.Sprintf("%s-pb-%d", ch, c.n)
	_, err := client.Channel().Play(ari.NewKey(ari.ChannelKey, ch), id, prefix+prompt)
	return id, err
}

func (c *call) playAndWait(ch, prompt string) error {
	id, err := c.play(ch, prompt)
	if err != nil {
		return err
	}
	return c.wait(func() bool { return c.done[id] })
}

func (c *call) playAndWaitSpec(prompt string) error {
	id, err := c.play(c.spec, prompt)
	if err != nil {
		return err
	}
	return c.waitSpec(func() bool { return c.done[id] })
}

// wait applies events until ok() or the GP hangs up.
func (c *call) wait(ok func() bool) error {
	for !ok() {
		if c.gpGone {
			return errHungUp
		}
		c.apply(c.next())
	}
	return nil
}

// waitSpec applies events until ok() or the specialist hangs up.
func (c *call) waitSpec(ok func() bool) error {
	for !ok() {
		e := c.next()
		if e == nil {
			return errHungUp
		}
		if s, isEnd := e.(*ari.StasisEnd); isEnd && s.Channel.ID == c.spec {
			return errHungUp
		}
		c.apply(e)
	}
	return nil
}

func (c *call) next() ari.Event {
	t := time.NewTimer(2 * time.Minute)
	defer t.Stop()
	select {
	case e := <-c.ev:
		return e
	case <-t.C:
		c.gpGone = true
		return nil
	}
}

func (c *call) apply(e ari.Event) {
	switch v := e.(type) {
	case *ari.ChannelDtmfReceived:
		if v.Channel.ID == c.gp {
			c.digits = append(c.digits, v.Digit)
		} else {
			c.specKeys = append(c.specKeys, v.Digit)
		}
	case *ari.PlaybackFinished:
		c.done[v.Playback.ID] = true
		if v.Playback.ID == c.holding && c.holding != "" {
			if id, err := c.play(c.gp, "attente"); err == nil {
				c.holding = id
			}
		}
	case *ari.StasisStart:
		if v.Channel.ID == c.spec {
			c.specIn = true
		}
	case *ari.ChannelLeftBridge:
		if v.Channel.ID == c.spec {
			c.specLeft = true
		}
	case *ari.StasisEnd:
		if v.Channel.ID == c.gp {
			c.gpGone = true
		}
	case *ari.ChannelHangupRequest:
		if v.Channel.ID == c.gp {
			c.gpGone = true
		}
	}
}

// traced notes when each originate request (POST /channels) was written.
type traced struct{ rt http.RoundTripper }

func (t traced) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/channels") || r.GetBody == nil {
		return t.rt.RoundTrip(r)
	}
	body, err := r.GetBody()
	if err != nil {
		return t.rt.RoundTrip(r)
	}
	var id string
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), `"channelId":"`); ok {
			id, _, _ = strings.Cut(rest, `"`)
		}
	}
	body.Close()
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			originateMu.Lock()
			originated = append(originated, fmt.Sprintf("%s %d", id, time.Now().UnixNano()))
			originateMu.Unlock()
		}
	}}
	return t.rt.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
}

// setTransport puts rt under ari/v5's unexported http.Client (as bridge
// does for its timeout): only with -originate-log.
func setTransport(c *native.Client, rt http.RoundTripper) {
	f := reflect.ValueOf(c).Elem().FieldByName("httpClient")
	hc := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Interface().(*http.Client)
	hc.Transport = rt
}
