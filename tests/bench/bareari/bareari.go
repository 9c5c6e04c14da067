// Package bareari is the benchmark's baseline: the least an ari/v5 program
// can do to put a caller through once they pressed a key — answer, wait for
// one DTMF digit, originate the specialist's leg into the application. The
// real-Asterisk benchmark compares regul's post-selection delay with it.
//
// It is the one package besides bridge that imports ari/v5, on purpose: a
// baseline must not go through regul's own plumbing. Not product code.
package bareari

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
)

// Options say where to connect and whom to dial.
type Options struct {
	URL, WebsocketURL, Username, Password, Application string
	// Dial is the endpoint rung after the key, e.g. PJSIP/+33612000015@trunk.
	Dial string
	// CallerID presented on the leg.
	CallerID string
}

// Run serves inbound calls until ctx ends: answer, and on the first DTMF
// digit originate Dial into the application (the leg is left for the
// caller of Run to end).
func Run(ctx context.Context, o Options, ready func()) error {
	u, err := url.Parse(o.URL)
	if err != nil {
		return fmt.Errorf("bareari: ARI URL: %w", err)
	}
	origin := u.Scheme + "://" + u.Host
	if o.WebsocketURL == "" {
		// ari/v5 would take ws://localhost:8088/ari/events, whatever URL says.
		ws := *u
		ws.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
		ws.Path = strings.TrimSuffix(u.Path, "/") + "/events"
		o.WebsocketURL = ws.String()
	}
	// native.Connect retries forever: bound it with ctx.
	type result struct {
		cl  ari.Client
		err error
	}
	connected := make(chan result, 1)
	go func() {
		cl, err := native.Connect(&native.Options{Application: o.Application, URL: o.URL, WebsocketURL: o.WebsocketURL,
			WebsocketOrigin: origin, Username: o.Username, Password: o.Password})
		connected <- result{cl, err}
	}()
	var cl ari.Client
	select {
	case r := <-connected:
		if r.err != nil {
			return fmt.Errorf("bareari: connect: %w", r.err)
		}
		cl = r.cl
	case <-ctx.Done():
		return fmt.Errorf("bareari: connect to %s: %w", o.WebsocketURL, context.Cause(ctx))
	}
	defer cl.Close()
	sub := cl.Bus().Subscribe(nil, ari.Events.StasisStart, ari.Events.ChannelDtmfReceived)
	defer sub.Cancel()
	if ready != nil {
		ready()
	}
	var mu sync.Mutex
	waiting := map[string]bool{} // inbound channels waiting for their key
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-sub.Events():
			switch v := e.(type) {
			case *ari.StasisStart:
				if len(v.Args) == 0 || v.Args[0] != "inbound" {
					continue
				}
				key := v.Key(ari.ChannelKey, v.Channel.ID)
				go func() { _ = cl.Channel().Answer(key) }()
				mu.Lock()
				waiting[v.Channel.ID] = true
				mu.Unlock()
			case *ari.ChannelDtmfReceived:
				mu.Lock()
				first := waiting[v.Channel.ID]
				delete(waiting, v.Channel.ID)
				mu.Unlock()
				if !first {
					continue
				}
				go func() {
					_, _ = cl.Channel().Originate(nil, ari.OriginateRequest{Endpoint: o.Dial, App: o.Application,
						AppArgs: "dialed", CallerID: o.CallerID, Timeout: 10})
				}()
			}
		}
	}
}
