// Package asterisktest is the test kit for the real-Asterisk suite: it
// starts private Asterisk instances on the loopback (each in its own
// directory, with its own ports), builds their sounds, talks raw ARI to
// them and tears them down. Not product code.
package asterisktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EnvBinary names the variable that points the tests at an asterisk binary
// (otherwise `asterisk` on PATH).
const EnvBinary = "REGUL_TEST_ASTERISK"

// HowToRun is what a skipped run says.
const HowToRun = "install Asterisk 22 (sudo ../shared/asterisk/install.sh, or any `asterisk` on PATH) or set " + EnvBinary + "=/path/to/asterisk"

// ErrNotFound says no Asterisk is installed: the suite skips (or fails
// under CI). Any other error from Find is a broken installation.
var ErrNotFound = errors.New("no asterisk on PATH and " + EnvBinary + " is not set")

// Install is an Asterisk found on this machine.
type Install struct {
	Binary  string
	Version string // e.g. "Asterisk 22.10.1"
	// DataDir holds the XML documentation Asterisk needs to start (its
	// compiled-in astdatadir); instances link it into their own data dir.
	DataDir string
	// FrenchSounds is a folder of Asterisk's French core sounds (digits/…),
	// or "" when none is installed.
	FrenchSounds string
}

// Find looks for Asterisk at $REGUL_TEST_ASTERISK, then on PATH.
func Find() (*Install, error) {
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("asterisk"); err != nil {
			// A non-root PATH often lacks the sbin folders Asterisk goes to.
			for _, c := range []string{"/usr/local/sbin/asterisk", "/usr/sbin/asterisk"} {
				if _, serr := os.Stat(c); serr == nil {
					bin, err = c, nil
					break
				}
			}
		}
		if err != nil {
			return nil, ErrNotFound
		}
	}
	out, err := exec.Command(bin, "-V").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s -V: %v: %s", bin, err, out)
	}
	in := &Install{Binary: bin, Version: strings.TrimSpace(string(out))}
	if in.DataDir, err = dataDir(bin); err != nil {
		return nil, err
	}
	in.FrenchSounds = frenchSounds(in.DataDir)
	return in, nil
}

// dataDir finds the install's astdatadir: beside the binary for a prefix
// install (<prefix>/sbin → <prefix>/var/lib/asterisk), else the Debian and
// source-install defaults.
func dataDir(bin string) (string, error) {
	real, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", bin, err)
	}
	prefix := filepath.Dir(filepath.Dir(real))
	candidates := []string{filepath.Join(prefix, "var/lib/asterisk"), filepath.Join(prefix, "share/asterisk"),
		"/usr/share/asterisk", "/var/lib/asterisk"}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "documentation")); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("no Asterisk documentation folder (astdatadir) in %s", strings.Join(candidates, ", "))
}

// frenchSounds finds French core sounds (a folder holding digits/1.*).
func frenchSounds(dataDir string) string {
	var candidates []string
	for _, root := range []string{filepath.Join(dataDir, "sounds"), "/usr/share/asterisk/sounds", "/var/lib/asterisk/sounds"} {
		candidates = append(candidates, filepath.Join(root, "fr"))
		more, _ := filepath.Glob(filepath.Join(root, "fr_*"))
		candidates = append(candidates, more...)
	}
	for _, c := range candidates {
		if m, _ := filepath.Glob(filepath.Join(c, "digits", "1.*")); len(m) > 0 {
			return c
		}
	}
	return ""
}
