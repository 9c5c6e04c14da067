// Package config loads regul's configuration: one YAML file plus REGUL_*
// environment overrides (REGUL_DATABASE_URL for database.url, and so on).
// Every key has a default; a bad value fails at start with the key's name.
package config

import (
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/viper"
)

// Config is the whole configuration. The README documents every key.
type Config struct {
	Log      Log      `mapstructure:"log"`
	Database Database `mapstructure:"database"`
	ARI      ARI      `mapstructure:"ari"`
	Dial     Dial     `mapstructure:"dial"`
	HTTP     HTTP     `mapstructure:"http"`
	DataDir  string   `mapstructure:"data_dir"`
	Ident    Ident    `mapstructure:"identification"`
	Console  Console  `mapstructure:"console"`
	Twilio   Twilio   `mapstructure:"twilio"`
	Notify   Notify   `mapstructure:"notify"`
	Roster   Roster   `mapstructure:"roster"`
	HA       HA       `mapstructure:"ha"`
}

// Roster is the in-memory roster snapshot the calls read.
type Roster struct {
	// SnapshotMaxAge is how old the snapshot saved under data_dir may be
	// for `serve` to start from it when the database is down.
	SnapshotMaxAge time.Duration `mapstructure:"snapshot_max_age"`
}

// HA runs several controllers for one Asterisk: only the holder of the
// node's lease in PostgreSQL connects to ARI.
type HA struct {
	Enabled bool `mapstructure:"enabled"`
	// Node names the Asterisk this controller serves: one lease per node.
	Node string `mapstructure:"node"`
	// ID names this controller in the lease (default: host name and pid).
	ID            string        `mapstructure:"id"`
	RenewInterval time.Duration `mapstructure:"renew_interval"`
	LeaseTTL      time.Duration `mapstructure:"lease_ttl"`
}

type Log struct {
	Format string `mapstructure:"format"` // json | console
	Level  string `mapstructure:"level"`  // debug | info | warn | error
}

type Database struct {
	URL string `mapstructure:"url"`
}

type ARI struct {
	URL            string        `mapstructure:"url"`
	WebsocketURL   string        `mapstructure:"websocket_url"`
	Username       string        `mapstructure:"username"`
	Password       string        `mapstructure:"password"`
	Application    string        `mapstructure:"application"`
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
	// PlaybackStartTimeout bounds the wait for Asterisk to start a prompt;
	// a prompt not started by then is asked again (twice at most).
	PlaybackStartTimeout time.Duration `mapstructure:"playback_start_timeout"`
}

type Dial struct {
	// Template turns an E.164 number into a dial string; {e164} is replaced.
	Template string `mapstructure:"template"`
	// EarlyTimeout ends a leg that shows no ringing at all by then (a phone
	// switched off that the network does not report).
	EarlyTimeout time.Duration `mapstructure:"early_timeout"`
	// HoldSound is the sound file the GP hears while specialists are rung
	// (played in a loop; "" for none), and HoldTone what Asterisk plays
	// instead when that file cannot be played (an Asterisk tone list).
	HoldSound string `mapstructure:"hold_sound"`
	HoldTone  string `mapstructure:"hold_tone"`
}

type HTTP struct {
	Listen string `mapstructure:"listen"`
}

// Console is the coordinators' web console.
type Console struct {
	Listen string `mapstructure:"listen"`
	// SecureCookies marks the session cookie Secure even when the console
	// itself serves plain HTTP behind a TLS-terminating proxy.
	SecureCookies bool          `mapstructure:"secure_cookies"`
	SessionIdle   time.Duration `mapstructure:"session_idle"`
	SessionMax    time.Duration `mapstructure:"session_max"`
	// TOTPKey seals the coordinators' TOTP secrets at rest: 64 hex digits
	// (32 bytes). Empty stores them unsealed.
	TOTPKey string `mapstructure:"totp_key"`
	// TLSCert and TLSKey (PEM files) make the console serve HTTPS itself;
	// empty serves plain HTTP (loopback, or behind a TLS proxy).
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// TrustedProxies are the CIDRs (or single addresses) of the reverse
	// proxies in front of the console: from them, and only from them, the
	// X-Forwarded-For header names the client, for the login rate limits
	// and the audit log, and for nothing else.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
}

// TrustedProxyPrefixes parses console.trusted_proxies.
func (c Console) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR (10.0.0.0/8) nor an address", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// TLS loads the console's certificate; nil when it serves plain HTTP.
func (c Console) TLS() (*tls.Config, error) {
	if c.TLSCert == "" && c.TLSKey == "" {
		return nil, nil
	}
	if c.TLSCert == "" || c.TLSKey == "" {
		return nil, errors.New("console.tls_cert and console.tls_key go together")
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load %s and %s: %w", c.TLSCert, c.TLSKey, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Twilio is the SMS provider's account. Without AccountSID and AuthToken,
// sending is off: the outbox keeps filling and is sent once they are set.
type Twilio struct {
	AccountSID string `mapstructure:"account_sid"`
	AuthToken  string `mapstructure:"auth_token"` // never logged: see String
	// From is the sender: an E.164 number or a Messaging Service SID (MG…).
	From string `mapstructure:"from"`
	// APIURL replaces https://api.twilio.com (tests point it at a loopback server).
	APIURL  string        `mapstructure:"api_url"`
	Timeout time.Duration `mapstructure:"timeout"`
}

// Enabled says whether credentials are set.
func (t Twilio) Enabled() bool { return t.AccountSID != "" && t.AuthToken != "" }

// String shows the account with the token masked, so that printing the
// configuration never leaks it.
func (t Twilio) String() string {
	token := ""
	if t.AuthToken != "" {
		token = "********"
	}
	return fmt.Sprintf("{account_sid:%s auth_token:%s from:%s api_url:%s timeout:%s}", t.AccountSID, token, t.From, t.APIURL, t.Timeout)
}

// GoString masks the token in %#v too.
func (t Twilio) GoString() string { return "config.Twilio" + t.String() }

// Notify is the SMS outbox and the specialists' outcome links.
type Notify struct {
	// PublicURL is where specialists open their outcome links (the console's
	// public address): <public_url>/suite/<token>.
	PublicURL string `mapstructure:"public_url"`
	// DigestAt is the territory-local time of the daily coverage digest (HH:MM).
	DigestAt string        `mapstructure:"digest_at"`
	LinkTTL  time.Duration `mapstructure:"link_ttl"`
	// CallbackLinkTTL is how long a callback link (and its code) works.
	CallbackLinkTTL time.Duration `mapstructure:"callback_link_ttl"`
	PollInterval    time.Duration `mapstructure:"poll_interval"`
	// Lease is how long a worker owns a message it is sending; it must
	// outlast twilio.timeout.
	Lease       time.Duration `mapstructure:"lease"`
	MaxBackoff  time.Duration `mapstructure:"max_backoff"`
	MaxAttempts int           `mapstructure:"max_attempts"`
}

// Ident bounds failed identifications (roster.LockoutPolicy).
type Ident struct {
	MaxAttempts      int           `mapstructure:"max_attempts"`       // per (RPPS, caller number)
	CallerAttempts   int           `mapstructure:"caller_attempts"`    // per caller number, on any RPPS
	WithheldAttempts int           `mapstructure:"withheld_attempts"`  // all withheld numbers together
	RPPSLockAttempts int           `mapstructure:"rpps_lock_attempts"` // per RPPS, from any number but the GP's phones
	Lockout          time.Duration `mapstructure:"lockout"`            // the first lock; each next one doubles
	MaxLockout       time.Duration `mapstructure:"max_lockout"`
}

// Defaults are the embedded defaults: `regul demo` runs on these alone.
func Defaults() map[string]any {
	return map[string]any{
		"log.format":                        "json",
		"log.level":                         "info",
		"database.url":                      "",
		"ari.url":                           "http://127.0.0.1:8088/ari",
		"ari.websocket_url":                 "",
		"ari.username":                      "regul",
		"ari.password":                      "",
		"ari.application":                   "regul",
		"ari.request_timeout":               "5s",
		"ari.connect_timeout":               "30s",
		"dial.template":                     "PJSIP/{e164}@trunk",
		"dial.early_timeout":                "8s",
		"http.listen":                       "127.0.0.1:8090",
		"data_dir":                          "./data",
		"identification.max_attempts":       5,
		"identification.caller_attempts":    10,
		"identification.withheld_attempts":  3,
		"identification.rpps_lock_attempts": 50,
		"identification.lockout":            "30m",
		"identification.max_lockout":        "24h",
		"console.listen":                    "127.0.0.1:8091",
		"console.secure_cookies":            false,
		"console.session_idle":              "30m",
		"console.session_max":               "12h",
		"console.totp_key":                  "",
		"console.tls_cert":                  "",
		"console.tls_key":                   "",
		"console.trusted_proxies":           []string{},
		"twilio.account_sid":                "",
		"twilio.auth_token":                 "",
		"twilio.from":                       "",
		"twilio.api_url":                    "https://api.twilio.com",
		"twilio.timeout":                    "10s",
		"notify.public_url":                 "http://127.0.0.1:8091",
		"notify.digest_at":                  "07:30",
		"notify.link_ttl":                   "72h",
		"notify.callback_link_ttl":          "24h",
		"notify.poll_interval":              "2s",
		"notify.lease":                      "1m",
		"notify.max_backoff":                "10m",
		"notify.max_attempts":               12,
		"ari.playback_start_timeout":        "2s",
		"dial.hold_sound":                   "regul/attente",
		"dial.hold_tone":                    "440/300,0/150,554/300,0/150,659/500,0/1500",
		"roster.snapshot_max_age":           "24h",
		"ha.enabled":                        false,
		"ha.node":                           "default",
		"ha.id":                             "",
		"ha.renew_interval":                 "1s",
		"ha.lease_ttl":                      "3s",
	}
}

// Load reads the YAML file (optional: "" means defaults and environment only)
// and the REGUL_* environment.
func Load(path string) (*Config, error) {
	v := viper.New()
	for k, d := range Defaults() {
		v.SetDefault(k, d)
	}
	v.SetEnvPrefix("REGUL")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config %s: %w", path, err)
		}
	}
	var c Config
	if err := v.UnmarshalExact(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", describe(path), err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", describe(path), err)
	}
	return &c, nil
}

func describe(path string) string {
	if path == "" {
		return "(defaults and environment)"
	}
	return path
}

// KeyError names the configuration key whose value is wrong.
type KeyError struct {
	Key    string
	Reason string
}

func (e *KeyError) Error() string { return fmt.Sprintf("key %s: %s", e.Key, e.Reason) }

// Validate checks every key and returns all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, &KeyError{Key: key, Reason: fmt.Sprintf(format, a...)})
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		bad("log.format", "%q is not json or console", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Database.URL != "" {
		// pgx's own parser: it accepts several hosts
		// (postgres://h1:5432,h2:5432/regul?target_session_attrs=read-write),
		// which net/url refuses.
		if _, err := pgconn.ParseConfig(c.Database.URL); err != nil {
			bad("database.url", "not a PostgreSQL connection URL (postgres://user@host1,host2/regul?target_session_attrs=read-write)")
		}
	}
	if u, err := url.Parse(c.ARI.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("ari.url", "%q is not an http(s) URL such as http://127.0.0.1:8088/ari", c.ARI.URL)
	}
	if c.ARI.WebsocketURL != "" {
		if u, err := url.Parse(c.ARI.WebsocketURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
			bad("ari.websocket_url", "%q is not a ws(s) URL", c.ARI.WebsocketURL)
		}
	}
	if c.ARI.Application == "" {
		bad("ari.application", "must not be empty")
	}
	if c.ARI.RequestTimeout <= 0 {
		bad("ari.request_timeout", "must be positive")
	}
	if c.ARI.ConnectTimeout <= 0 {
		bad("ari.connect_timeout", "must be positive")
	}
	if !strings.Contains(c.Dial.Template, "{e164}") {
		bad("dial.template", "%q must contain {e164}", c.Dial.Template)
	}
	if c.Dial.EarlyTimeout <= 0 {
		bad("dial.early_timeout", "must be positive")
	}
	if c.ARI.PlaybackStartTimeout <= 0 {
		bad("ari.playback_start_timeout", "must be positive")
	}
	if !soundName.MatchString(c.Dial.HoldSound) {
		bad("dial.hold_sound", "%q is not a sound name such as regul/attente (lower case, digits, / - and _)", c.Dial.HoldSound)
	}
	if !toneList.MatchString(c.Dial.HoldTone) {
		bad("dial.hold_tone", "%q is not an Asterisk tone list such as 440/300,0/150,554/300 (frequency[+frequency]/milliseconds, comma-separated)", c.Dial.HoldTone)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "%q is not host:port", c.HTTP.Listen)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.Ident.MaxAttempts < 1 || c.Ident.MaxAttempts > 20 {
		bad("identification.max_attempts", "%d is not between 1 and 20", c.Ident.MaxAttempts)
	}
	if c.Ident.CallerAttempts < c.Ident.MaxAttempts || c.Ident.CallerAttempts > 100 {
		bad("identification.caller_attempts", "%d is not between identification.max_attempts (%d) and 100",
			c.Ident.CallerAttempts, c.Ident.MaxAttempts)
	}
	if c.Ident.WithheldAttempts < 1 || c.Ident.WithheldAttempts > c.Ident.CallerAttempts {
		bad("identification.withheld_attempts", "%d is not between 1 and identification.caller_attempts (%d)",
			c.Ident.WithheldAttempts, c.Ident.CallerAttempts)
	}
	// An RPPS-wide lock must need far more than one number can do: it is
	// the lock anyone can set on a public number.
	if c.Ident.RPPSLockAttempts < 4*c.Ident.MaxAttempts || c.Ident.RPPSLockAttempts > 10000 {
		bad("identification.rpps_lock_attempts", "%d is not between 4 × identification.max_attempts (%d) and 10000",
			c.Ident.RPPSLockAttempts, 4*c.Ident.MaxAttempts)
	}
	if c.Ident.Lockout < time.Minute {
		bad("identification.lockout", "%s is shorter than 1m", c.Ident.Lockout)
	}
	if c.Ident.MaxLockout < c.Ident.Lockout || c.Ident.MaxLockout > 7*24*time.Hour {
		bad("identification.max_lockout", "%s is not between identification.lockout (%s) and 168h", c.Ident.MaxLockout, c.Ident.Lockout)
	}
	if _, _, err := net.SplitHostPort(c.Console.Listen); err != nil {
		bad("console.listen", "%q is not host:port", c.Console.Listen)
	}
	if c.Console.SessionIdle < time.Minute {
		bad("console.session_idle", "%s is shorter than 1m", c.Console.SessionIdle)
	}
	if c.Console.SessionMax < c.Console.SessionIdle || c.Console.SessionMax > 7*24*time.Hour {
		bad("console.session_max", "%s must be between console.session_idle (%s) and 168h", c.Console.SessionMax, c.Console.SessionIdle)
	}
	if c.Console.TOTPKey != "" {
		if _, err := c.Console.TOTPKeyBytes(); err != nil {
			bad("console.totp_key", "%v", err)
		}
	}
	if _, err := c.Console.TrustedProxyPrefixes(); err != nil {
		bad("console.trusted_proxies", "%v", err)
	}
	if _, err := c.Console.TLS(); err != nil {
		key := "console.tls_cert"
		if c.Console.TLSKey == "" {
			key = "console.tls_key"
		}
		bad(key, "%v", err)
	}
	c.validateSMS(bad)
	if c.Roster.SnapshotMaxAge <= 0 {
		bad("roster.snapshot_max_age", "must be positive (e.g. 24h)")
	}
	if c.HA.Node == "" || len(c.HA.Node) > 64 {
		bad("ha.node", "%q must be 1 to 64 characters naming the Asterisk node", c.HA.Node)
	}
	if len(c.HA.ID) > 128 {
		bad("ha.id", "longer than 128 characters")
	}
	if c.HA.RenewInterval <= 0 {
		bad("ha.renew_interval", "must be positive")
	}
	if c.HA.LeaseTTL < 2*c.HA.RenewInterval {
		bad("ha.lease_ttl", "%s must be at least twice ha.renew_interval (%s), so that one late renewal does not lose the lease", c.HA.LeaseTTL, c.HA.RenewInterval)
	}
	return errors.Join(errs...)
}

var (
	e164Re       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	accountSIDRe = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSIDRe = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	clockRe      = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	soundName    = regexp.MustCompile(`^([a-z0-9_-]+(/[a-z0-9_-]+)*)?$`)
	toneList     = regexp.MustCompile(`^!?[0-9]+([+*][0-9]+)?(/[0-9]+)?(,!?[0-9]+([+*][0-9]+)?(/[0-9]+)?)*$`)
)

func (c *Config) validateSMS(bad func(key, format string, a ...any)) {
	t := c.Twilio
	if t.AccountSID != "" && !accountSIDRe.MatchString(t.AccountSID) {
		bad("twilio.account_sid", "%q is not an account SID (AC followed by 32 hex digits)", t.AccountSID)
	}
	if (t.AccountSID == "") != (t.AuthToken == "") {
		bad("twilio.auth_token", "twilio.account_sid and twilio.auth_token go together: set both or neither")
	}
	if t.Enabled() && t.From == "" {
		bad("twilio.from", "must be set when credentials are (an E.164 number or a Messaging Service SID MG…)")
	}
	if t.From != "" && !e164Re.MatchString(t.From) && !serviceSIDRe.MatchString(t.From) {
		bad("twilio.from", "%q is neither an E.164 number (+33…) nor a Messaging Service SID (MG…)", t.From)
	}
	if u, err := url.Parse(t.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("twilio.api_url", "%q is not an http(s) URL such as https://api.twilio.com", t.APIURL)
	}
	if t.Timeout <= 0 {
		bad("twilio.timeout", "must be positive")
	}
	n := c.Notify
	if u, err := url.Parse(n.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("notify.public_url", "%q is not an http(s) URL such as https://regul.example.org", n.PublicURL)
	}
	if !clockRe.MatchString(n.DigestAt) {
		bad("notify.digest_at", "%q is not a time of day HH:MM", n.DigestAt)
	}
	if n.LinkTTL < time.Hour {
		bad("notify.link_ttl", "%s is shorter than 1h", n.LinkTTL)
	}
	if n.CallbackLinkTTL < time.Hour || n.CallbackLinkTTL > 7*24*time.Hour {
		bad("notify.callback_link_ttl", "%s is not between 1h and 168h", n.CallbackLinkTTL)
	}
	if n.PollInterval <= 0 {
		bad("notify.poll_interval", "must be positive")
	}
	if n.Lease <= t.Timeout {
		bad("notify.lease", "%s must be longer than twilio.timeout (%s)", n.Lease, t.Timeout)
	}
	if n.MaxBackoff <= 0 {
		bad("notify.max_backoff", "must be positive")
	}
	if n.MaxAttempts < 1 {
		bad("notify.max_attempts", "%d: want at least 1", n.MaxAttempts)
	}
}

// TOTPKeyBytes decodes console.totp_key; nil when it is not set.
func (c Console) TOTPKeyBytes() ([]byte, error) {
	if c.TOTPKey == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(c.TOTPKey)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("must be 64 hex digits (32 bytes; e.g. from `openssl rand -hex 32`)")
	}
	return b, nil
}

// RequireDatabase says which key to set when a command needs the database.
func (c *Config) RequireDatabase() error {
	if c.Database.URL == "" {
		return &KeyError{Key: "database.url", Reason: "not set (set it in the config file or REGUL_DATABASE_URL)"}
	}
	return nil
}

// EventsURL is the ARI WebSocket URL, derived from ari.url when not set.
func (a ARI) EventsURL() string {
	if a.WebsocketURL != "" {
		return a.WebsocketURL
	}
	u, err := url.Parse(a.URL)
	if err != nil {
		return ""
	}
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/events"
	return u.String()
}
