package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Dial.Template != "PJSIP/{e164}@trunk" || c.ARI.RequestTimeout != 5*time.Second {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if got := c.ARI.EventsURL(); got != "ws://127.0.0.1:8088/ari/events" {
		t.Fatalf("EventsURL = %q", got)
	}
}

func TestFileAndEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regul.yaml")
	os.WriteFile(path, []byte("ari:\n  url: http://10.0.0.1:8088/ari\n  request_timeout: 2s\n"), 0o600)
	t.Setenv("REGUL_ARI_USERNAME", "bob")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.ARI.URL != "http://10.0.0.1:8088/ari" || c.ARI.RequestTimeout != 2*time.Second || c.ARI.Username != "bob" {
		t.Fatalf("file/env not applied: %+v", c.ARI)
	}
}

func TestTrustedProxies(t *testing.T) {
	d, _ := Load("")
	if p, _ := d.Console.TrustedProxyPrefixes(); len(p) != 0 {
		t.Errorf("default trusts %v", p)
	}
	path := filepath.Join(t.TempDir(), "regul.yaml")
	os.WriteFile(path, []byte("console:\n  trusted_proxies: [\"10.0.0.0/8\"]\n"), 0o600)
	t.Setenv("REGUL_CONSOLE_TRUSTED_PROXIES", "127.0.0.1,192.168.1.0/24")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Console.TrustedProxyPrefixes()
	if err != nil || len(p) != 2 || p[0].String() != "127.0.0.1/32" || p[1].String() != "192.168.1.0/24" {
		t.Fatalf("trusted proxies %v %v", p, err)
	}
}

func TestBadValuesNameTheirKey(t *testing.T) {
	cases := map[string]string{
		"dial:\n  template: SIP/trunk\n":       "dial.template",
		"ari:\n  request_timeout: soon\n":      "request_timeout",
		"log:\n  format: xml\n":                "log.format",
		"identification:\n  max_attempts: 0\n": "identification.max_attempts",
		"http:\n  lisen: 1\n":                  "lisen",
		"console:\n  listen: nowhere\n":        "console.listen",
		"roster:\n  snapshot_max_age: 0s\n":    "roster.snapshot_max_age",
		"ha:\n  node: \"\"\n":                  "ha.node",
	}
	for yaml, key := range cases {
		path := filepath.Join(t.TempDir(), "regul.yaml")
		os.WriteFile(path, []byte(yaml), 0o600)
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: error %v does not name %s", yaml, err, key)
		}
	}
}

// database.url may list several hosts, as pgx and libpq accept them: the
// controller connects to the one that takes writes (a primary and its
// streaming replica, which a failover promotes).
func TestDatabaseURLWithSeveralHosts(t *testing.T) {
	for _, u := range []string{
		"postgres://regul@db-a:5432,db-b:5432/regul?target_session_attrs=read-write",
		"postgres://regul@db-a,db-b/regul?target_session_attrs=read-write",
		"postgres:///regul?host=/run/pg-a,/run/pg-b&port=5432,5432&target_session_attrs=read-write",
	} {
		path := filepath.Join(t.TempDir(), "regul.yaml")
		os.WriteFile(path, []byte("database:\n  url: \""+u+"\"\n"), 0o600)
		c, err := Load(path)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		if c.Database.URL != u {
			t.Errorf("database.url = %q, want %q", c.Database.URL, u)
		}
	}
	path := filepath.Join(t.TempDir(), "regul.yaml")
	os.WriteFile(path, []byte("database:\n  url: \"postgres://db-a:port/regul\"\n"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "database.url") {
		t.Errorf("a bad database.url: %v", err)
	}
}
