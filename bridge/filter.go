package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"
)

// routedEvents are the event types the bridge acts on: Asterisk is asked to
// send the application these only.
//
// Why: ari/v5 v5.3.1 decodes an event type it does not know (Asterisk 22
// has ChannelToneDetected, ChannelTransfer, CallBroadcast, CallClaimed,
// ApplicationRegistered…) into a nil event and hands it to its bus, whose
// Send calls a method on it: a nil pointer panic on ari/v5's goroutine,
// which no recover can catch, ending the process and every call in it. An
// allow-list also keeps the chatty types (ChannelVarset, ChannelDialplan…)
// out of the 100-slot buffer ari/v5 drops events from.
var routedEvents = []string{
	"StasisStart", "StasisEnd", "ChannelStateChange", "ChannelDtmfReceived",
	"ChannelHangupRequest", "ChannelDestroyed", "Dial",
	"PlaybackStarted", "PlaybackFinished",
	"ChannelEnteredBridge", "ChannelLeftBridge", "BridgeDestroyed",
}

// filterEvents sets the application's event filter (PUT
// /applications/{app}/eventFilter, Asterisk 13.26/16.3 and later). ari/v5
// v5.3.1 has no method for it, so the request goes through the same
// http.Transport as ari/v5's. It runs each time the application is
// registered again, since Asterisk may forget the filter with the
// registration. A refusal is logged, not fatal: the line works without it,
// only less defended.
func (s *Server) filterEvents(ctx context.Context) {
	type eventType struct {
		Type string `json:"type"`
	}
	body := struct {
		Allowed []eventType `json:"allowed"`
	}{}
	for _, t := range routedEvents {
		body.Allowed = append(body.Allowed, eventType{t})
	}
	data, err := json.Marshal(body)
	if err != nil {
		s.log.Error("event filter: encode", zap.Error(err))
		return
	}
	u := strings.TrimSuffix(s.opts.URL, "/") + "/applications/" + url.PathEscape(s.opts.Application) + "/eventFilter"
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(data))
	if err != nil {
		s.log.Error("event filter: build request", zap.Error(err))
		return
	}
	req.SetBasicAuth(s.opts.Username, s.opts.Password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: s.transport}).Do(req)
	if err != nil {
		s.log.Warn("event filter not set: events of types ari/v5 cannot decode would crash it", zap.Error(err))
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.log.Warn("event filter not set: events of types ari/v5 cannot decode would crash it",
			zap.String("status", fmt.Sprint(resp.StatusCode)), zap.String("url", redact(u)))
	}
}
