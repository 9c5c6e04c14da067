package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	asteriskconfig "github.com/regul-sante/regul/asterisk-config"
	"github.com/regul-sante/regul/config"
)

func newAsteriskCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "asterisk",
		Short: "Asterisk set-up helpers",
	}
	var out string
	var force bool
	render := &cobra.Command{
		Use:   "config",
		Short: "Write the Asterisk configuration (ari.conf and http.conf from regul's ari.* keys) into a directory",
		Long: `Writes ari.conf, http.conf, extensions.conf, pjsip.conf and musiconhold.conf
into --out. ari.conf and http.conf are rendered from regul's configuration
(ari.username, ari.password, ari.url), so that the ARI secret is kept in one
place; extensions.conf uses ari.application. pjsip.conf is a trunk template
whose CHANGE-ME fields you fill in. Existing files are kept unless --force.`,
		Example: `  REGUL_ARI_PASSWORD=s3cret regul asterisk config --out /etc/asterisk --force`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: give the directory to write into (e.g. /etc/asterisk)")
			}
			c, err := a.config()
			if err != nil {
				return err
			}
			files, err := renderAsteriskConfig(c.ARI)
			if err != nil {
				return err
			}
			written, err := writeAsteriskConfig(out, files, force)
			if err != nil {
				return err
			}
			for _, w := range written {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", w)
			}
			if n := len(files) - len(written); n > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "kept %d existing file(s) (use --force to overwrite)\n", n)
			}
			return nil
		},
	}
	render.Flags().StringVar(&out, "out", "", "directory to write the configuration into (created if missing)")
	render.Flags().BoolVar(&force, "force", false, "overwrite files that already exist")
	cmd.AddCommand(render)
	return cmd
}

// asteriskFile is one rendered file; secret files are written 0640.
type asteriskFile struct {
	name   string
	data   []byte
	secret bool
}

// ariTemplateValues are what ari.conf and http.conf are rendered from.
type ariTemplateValues struct {
	Username, Password string
	Host, Port, Prefix string
}

// renderAsteriskConfig renders the embedded files for the given ARI settings.
func renderAsteriskConfig(c config.ARI) ([]asteriskFile, error) {
	v, err := ariValues(c)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(asteriskconfig.Files, "*.conf")
	if err != nil {
		return nil, err
	}
	var out []asteriskFile
	for _, name := range names {
		src, err := asteriskconfig.Files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f := asteriskFile{name: name, data: src}
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
			f.data, f.secret = buf.Bytes(), name == "ari.conf"
		case "extensions.conf":
			f.data = bytes.ReplaceAll(src, []byte("Stasis(regul,"), []byte("Stasis("+c.Application+","))
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

// writeAsteriskConfig writes the files into dir, each atomically; files
// already there are kept unless force.
func writeAsteriskConfig(dir string, files []asteriskFile, force bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var written []string
	for _, f := range files {
		dst := filepath.Join(dir, f.name)
		if _, err := os.Stat(dst); err == nil && !force {
			continue
		}
		mode := os.FileMode(0o644)
		if f.secret {
			mode = 0o640
		}
		tmp, err := os.CreateTemp(dir, "."+f.name+".*")
		if err != nil {
			return written, fmt.Errorf("write %s: %w", dst, err)
		}
		_, err = tmp.Write(f.data)
		if err == nil {
			err = tmp.Chmod(mode)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), dst)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return written, fmt.Errorf("write %s: %w", dst, err)
		}
		written = append(written, dst)
	}
	return written, nil
}
