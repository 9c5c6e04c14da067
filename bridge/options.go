package bridge

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Options configure Open. Zero durations take the defaults shown.
type Options struct {
	URL          string // ARI root, e.g. http://127.0.0.1:8088/ari
	WebsocketURL string // events endpoint; "" derives ws(s)://<host>/ari/events from URL
	Username     string
	Password     string // never logged
	Application  string // the Stasis app name ("regul")

	RequestTimeout time.Duration // per REST request (5s)
	ConnectTimeout time.Duration // first connection, bounded also by Open's ctx (30s)

	// DialTemplate turns an E.164 number into an originate endpoint;
	// {e164} is replaced ("PJSIP/{e164}@trunk").
	DialTemplate string

	// MaxMediaDuration bounds the wait for one medium of Play: a playback
	// Asterisk never finishes (an unknown media scheme) is stopped then (2m).
	MaxMediaDuration time.Duration
	// PlaybackStartTimeout bounds the wait for PlaybackStarted after a
	// play request (2s): a real Asterisk can drop a play (sent to a channel
	// leaving a bridge), which is then asked again, twice at most.
	PlaybackStartTimeout time.Duration
	// HoldMedia is what a leg on hold hears, in order of preference
	// (DefaultHoldMedia): the first medium Asterisk plays, looped.
	HoldMedia []string
	// CleanupTimeout bounds the hang-ups done after a call's handler returns
	// or at shutdown (10s).
	CleanupTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the backoff between the checks
	// that Asterisk lists the application again after ari/v5 redialled its
	// events WebSocket (100ms, 5s). The redials themselves are ari/v5's:
	// 10ms after a connection fails, then every second.
	ReconnectMin, ReconnectMax time.Duration
	// DialKeyRetention is how long an ended outbound leg still answers a
	// Dial with its key, so a late retry never rings the phone again (10m).
	DialKeyRetention time.Duration

	// Adopt leaves the channels an earlier controller left in the
	// application for Serve to adopt (SetAdopter) instead of hanging them up.
	Adopt bool

	// OnLinkChange, when set, is called (from the link's goroutine, so it
	// must not block) each time the events WebSocket goes up or down.
	OnLinkChange func(up bool, since time.Time)

	Logger *zap.Logger // zap.NewNop() when nil

	// OnOriginateSent, when set, is called with the channel id of each
	// originate once its HTTP request has been written to the connection
	// (load benchmarks: last key → originate sent). It must not block.
	OnOriginateSent func(channelID string, at time.Time)

	// Test hooks (unexported, so not part of the API).
	dialHook        func() error  // runs at each WebSocket dial; an error fails it
	beforeSubscribe func(*Server) // runs between ari/v5's first connection and the subscription
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.RequestTimeout, 5*time.Second)
	def(&o.ConnectTimeout, 30*time.Second)
	def(&o.MaxMediaDuration, 2*time.Minute)
	def(&o.PlaybackStartTimeout, 2*time.Second)
	if len(o.HoldMedia) == 0 {
		o.HoldMedia = DefaultHoldMedia
	}
	def(&o.CleanupTimeout, 10*time.Second)
	def(&o.ReconnectMin, 100*time.Millisecond)
	def(&o.ReconnectMax, 5*time.Second)
	def(&o.DialKeyRetention, 10*time.Minute)
	if o.DialTemplate == "" {
		o.DialTemplate = "PJSIP/{e164}@trunk"
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
}

// validate reports every wrong option at once, naming each.
func (o *Options) validate() error {
	var errs []error
	if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("ARI URL %q is not an http(s) URL such as http://127.0.0.1:8088/ari", o.URL))
	}
	if o.WebsocketURL != "" {
		if u, err := url.Parse(o.WebsocketURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			errs = append(errs, fmt.Errorf("ARI WebSocket URL %q is not a ws(s) URL such as ws://127.0.0.1:8088/ari/events", o.WebsocketURL))
		}
	}
	if o.Username == "" {
		errs = append(errs, errors.New("ARI username is empty"))
	}
	if o.Password == "" {
		errs = append(errs, errors.New("ARI password is empty"))
	}
	if o.Application == "" || strings.ContainsAny(o.Application, ",&?/ ") {
		errs = append(errs, fmt.Errorf("ARI application %q must be a non-empty name without , & ? / or spaces", o.Application))
	}
	if err := checkDialTemplate(o.DialTemplate); err != nil {
		errs = append(errs, err)
	}
	if o.ReconnectMax < o.ReconnectMin {
		errs = append(errs, fmt.Errorf("reconnect backoff maximum %v is below its minimum %v", o.ReconnectMax, o.ReconnectMin))
	}
	return errors.Join(errs...)
}

// eventsURL is the WebSocket URL with the app query, credentials excluded.
func (o *Options) eventsURL() string {
	ws := o.WebsocketURL
	if ws == "" {
		u, _ := url.Parse(o.URL) // validated
		u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		u.Path = strings.TrimSuffix(u.Path, "/") + "/events"
		u.User = nil
		ws = u.String()
	}
	sep := "?"
	if strings.Contains(ws, "?") {
		sep = "&"
	}
	return ws + sep + url.Values{"app": {o.Application}}.Encode()
}

// origin is the Origin header of the WebSocket handshake: the ARI
// server's own http(s) origin (Asterisk does not check it).
func (o *Options) origin() string {
	u, _ := url.Parse(o.URL) // validated
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// redact drops credentials from a URL for error messages and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
