package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/internal/sounds"
)

func TestRenderAsteriskConfig(t *testing.T) {
	files, err := renderAsteriskConfig(config.ARI{URL: "http://127.0.0.1:8089/pbx/ari", Username: "regul",
		Password: "s3cret-Pa55", Application: "regul-test"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files {
		got[f.Name] = string(f.Data)
	}
	for _, name := range []string{"ari.conf", "http.conf", "extensions.conf", "pjsip.conf", "musiconhold.conf"} {
		if got[name] == "" {
			t.Errorf("%s missing", name)
		}
	}
	for _, want := range []string{"[regul]\n", "password = s3cret-Pa55\n", "password_format = plain\n"} {
		if !strings.Contains(got["ari.conf"], want) {
			t.Errorf("ari.conf lacks %q:\n%s", want, got["ari.conf"])
		}
	}
	for _, want := range []string{"bindaddr = 127.0.0.1\n", "bindport = 8089\n", "prefix = pbx\n"} {
		if !strings.Contains(got["http.conf"], want) {
			t.Errorf("http.conf lacks %q:\n%s", want, got["http.conf"])
		}
	}
	if !strings.Contains(got["extensions.conf"], "Stasis(regul-test,inbound,${EXTEN})") ||
		strings.Contains(got["extensions.conf"], "Stasis(regul,") {
		t.Errorf("extensions.conf does not use the configured application")
	}
	if strings.Contains(got["ari.conf"], "{{") || strings.Contains(got["http.conf"], "{{") {
		t.Error("template left unrendered")
	}

	dir := t.TempDir()
	if _, err := writeAsteriskConfig(dir, files, false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "ari.conf"))
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("ari.conf mode = %v, %v; want 0640", st.Mode(), err)
	}
	// A second run keeps what is there unless forced.
	if written, err := writeAsteriskConfig(dir, files, false); err != nil || len(written) != 0 {
		t.Errorf("second run wrote %v, %v", written, err)
	}
}

func TestRenderAsteriskConfigRefusesBadKeys(t *testing.T) {
	good := config.ARI{URL: "http://127.0.0.1:8088/ari", Username: "regul", Password: "x", Application: "regul"}
	cases := []struct {
		key  string
		edit func(*config.ARI)
	}{
		{"ari.password", func(c *config.ARI) { c.Password = "" }},
		{"ari.password", func(c *config.ARI) { c.Password = "abc;def" }},
		{"ari.url", func(c *config.ARI) { c.URL = "https://127.0.0.1:8088/ari" }},
		{"ari.url", func(c *config.ARI) { c.URL = "http://asterisk.example:8088/ari" }},
		{"ari.url", func(c *config.ARI) { c.URL = "http://127.0.0.1:8088/rest" }},
		{"ari.application", func(c *config.ARI) { c.Application = "a,b" }},
	}
	for _, tc := range cases {
		c := good
		tc.edit(&c)
		_, err := renderAsteriskConfig(c)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%+v: err = %v, want one naming %s", c.URL, err, tc.key)
		}
		if err != nil && c.Password != "" && c.Password != "x" && strings.Contains(err.Error(), c.Password) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// Every sound the dialplan plays must come from a catalogue that `make
// sounds` builds.
func TestDialplanSoundsAreInACatalogue(t *testing.T) {
	items, err := sounds.LoadCatalogue("../../asterisk-config/dialplan-prompts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, it := range items {
		have[it.Sound] = true
	}
	dialplan, err := os.ReadFile("../../asterisk-config/extensions.conf")
	if err != nil {
		t.Fatal(err)
	}
	played := regexp.MustCompile(`Playback\(([^),]+)`).FindAllStringSubmatch(string(dialplan), -1)
	if len(played) == 0 {
		t.Fatal("extensions.conf plays nothing")
	}
	for _, m := range played {
		if !have[m[1]] {
			t.Errorf("extensions.conf plays %s, which no catalogue defines", m[1])
		}
	}
}
