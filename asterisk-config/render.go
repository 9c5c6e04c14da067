package asteriskconfig

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"text/template"

	"github.com/regul-sante/regul/internal/config"
)

// File is one rendered file; a secret one (ari.conf) is written 0640.
type File struct {
	Name   string
	Data   []byte
	Secret bool
}

// ariTemplateValues are what ari.conf and http.conf are rendered from.
type ariTemplateValues struct {
	Username, Password string
	Host, Port, Prefix string
}

// Render renders the embedded files for the given ARI settings: what
// `regul asterisk config` writes, and what the real-Asterisk tests run.
func Render(c config.ARI) ([]File, error) {
	v, err := ariValues(c)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(Files, "*.conf")
	if err != nil {
		return nil, err
	}
	var out []File
	for _, name := range names {
		src, err := Files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f := File{Name: name, Data: src}
		switch name {
		case "ari.conf", "http.conf":
			tpl, err := template.New(name).Option("missingkey=error").Parse(string(src))
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			var buf bytes.Buffer
			if err := tpl.Execute(&buf, v); err != nil {
				return nil, fmt.Errorf("render %s: %w", name, err)
			}
			f.Data, f.Secret = buf.Bytes(), name == "ari.conf"
		case "extensions.conf":
			f.Data = bytes.ReplaceAll(src, []byte("Stasis(regul,"), []byte("Stasis("+c.Application+","))
		}
		out = append(out, f)
	}
	return out, nil
}

// ariValues checks the ARI keys against what Asterisk's configuration files
// can hold (";" starts a comment there, a line ends a value).
func ariValues(c config.ARI) (ariTemplateValues, error) {
	var v ariTemplateValues
	if err := confValue("ari.username", c.Username); err != nil {
		return v, err
	}
	if c.Password == "" {
		return v, &config.KeyError{Key: "ari.password", Reason: "empty: set it (e.g. REGUL_ARI_PASSWORD) before rendering ari.conf"}
	}
	if err := confValue("ari.password", c.Password); err != nil {
		return v, err
	}
	if err := confValue("ari.application", c.Application); err != nil {
		return v, err
	}
	if strings.ContainsAny(c.Application, ",()") {
		return v, &config.KeyError{Key: "ari.application", Reason: "must not contain ',', '(' or ')' (it goes into Stasis() in the dialplan)"}
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return v, &config.KeyError{Key: "ari.url", Reason: "not a URL"}
	}
	if u.Scheme != "http" {
		return v, &config.KeyError{Key: "ari.url", Reason: fmt.Sprintf("scheme %q: Asterisk's ARI listens in plain http on the loopback; put TLS in front of it if regul runs on another machine", u.Scheme)}
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return v, &config.KeyError{Key: "ari.url", Reason: fmt.Sprintf("host %q must be an IP address (http.conf binds to it)", u.Hostname())}
	}
	path := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(path, "/ari") {
		return v, &config.KeyError{Key: "ari.url", Reason: fmt.Sprintf("path %q must end with /ari (Asterisk serves ARI there)", u.Path)}
	}
	v.Username, v.Password = c.Username, c.Password
	v.Host, v.Port = ip.String(), port
	v.Prefix = strings.Trim(strings.TrimSuffix(path, "/ari"), "/")
	return v, nil
}

func confValue(key, s string) error {
	switch {
	case s == "":
		return &config.KeyError{Key: key, Reason: "empty"}
	case strings.TrimSpace(s) != s:
		return &config.KeyError{Key: key, Reason: "starts or ends with a space (Asterisk would trim it)"}
	case strings.ContainsAny(s, ";[]\r\n\t"):
		return &config.KeyError{Key: key, Reason: "contains ';', '[', ']' or a control character, which Asterisk's configuration files cannot hold"}
	}
	return nil
}
