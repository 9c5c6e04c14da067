package asterisktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ARI is a tiny raw ARI client (REST over net/http): the harness plays the
// phones and watches the line with it. Only package bridge may import
// ari/v5; the test kit speaks the wire protocol itself, which also lets it
// record exact traces.
type ARI struct {
	Base       string // http://127.0.0.1:port/ari
	User, Pass string
	HTTP       *http.Client
	Trace      *Trace // nil: no trace
}

// StatusError is a REST answer outside 2xx.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("ARI %s %s: %d %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// IsStatus reports whether err is a StatusError with that status.
func IsStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}

// Do sends one request; out (may be nil) receives the JSON answer.
func (a *ARI) Do(ctx context.Context, method, path string, query url.Values, out any) error {
	u := a.Base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return fmt.Errorf("ARI %s %s: %w", method, path, err)
	}
	req.SetBasicAuth(a.User, a.Pass)
	hc := a.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	a.Trace.request(method, "/ari"+path, query)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("ARI %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("ARI %s %s: read answer: %w", method, path, err)
	}
	a.Trace.response(resp, body)
	if resp.StatusCode/100 != 2 {
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(body)}
	}
	if out != nil && len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("ARI %s %s: decode %q: %w", method, path, body, err)
		}
	}
	return nil
}

// Channel is the part of an ARI channel the tests read.
type Channel struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	State        string `json:"state"`
	Language     string `json:"language"`
	CreationTime string `json:"creationtime"`
	Caller       struct {
		Number string `json:"number"`
	} `json:"caller"`
	Connected struct {
		Number string `json:"number"`
	} `json:"connected"`
	Dialplan struct {
		Context string `json:"context"`
		Exten   string `json:"exten"`
		AppName string `json:"app_name"`
		AppData string `json:"app_data"`
	} `json:"dialplan"`
}

// Playback is an ARI playback.
type Playback struct {
	ID        string `json:"id"`
	MediaURI  string `json:"media_uri"`
	TargetURI string `json:"target_uri"`
	State     string `json:"state"`
}

// Bridge is an ARI bridge.
type Bridge struct {
	ID       string   `json:"id"`
	Channels []string `json:"channels"`
}

// Event is one ARI event; Raw keeps it as received.
type Event struct {
	Type        string          `json:"type"`
	Timestamp   string          `json:"timestamp"`
	Application string          `json:"application"`
	Channel     *Channel        `json:"channel"`
	Peer        *Channel        `json:"peer"`
	Playback    *Playback       `json:"playback"`
	Bridge      *Bridge         `json:"bridge"`
	Args        []string        `json:"args"`
	Digit       string          `json:"digit"`
	DialString  string          `json:"dialstring"`
	DialStatus  string          `json:"dialstatus"`
	Cause       int             `json:"cause"`
	Variable    string          `json:"variable"`
	Value       string          `json:"value"`
	App         string          `json:"dialplan_app"`
	AppData     string          `json:"dialplan_app_data"`
	Raw         json.RawMessage `json:"-"`
	Received    time.Time       `json:"-"`
}

// Time is the event's Asterisk timestamp.
func (e Event) Time() time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.000-0700", e.Timestamp)
	if err != nil {
		return time.Time{}
	}
	return t
}

// ChannelID is the channel the event is about (the peer for Dial).
func (e Event) ChannelID() string {
	switch {
	case e.Type == "Dial" && e.Peer != nil:
		return e.Peer.ID
	case e.Channel != nil:
		return e.Channel.ID
	case e.Playback != nil:
		return strings.TrimPrefix(e.Playback.TargetURI, "channel:")
	}
	return ""
}
