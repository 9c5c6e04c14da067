package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regul-sante/regul/testkit/asterisktest"
	"github.com/regul-sante/regul/testkit/pgcluster"
)

var (
	install  *asterisktest.Install
	kamailio string

	figuresMu sync.Mutex
	figures   []string
)

// figure keeps a failover time for the summary TestMain prints (t.Log is
// hidden without -v).
func figure(what string, d time.Duration) {
	figuresMu.Lock()
	defer figuresMu.Unlock()
	figures = append(figures, fmt.Sprintf("  %-58s %6.2f s", what, d.Seconds()))
}

// EnvFigures names a file the failover figures are also written to.
const EnvFigures = "REGUL_CLUSTER_FIGURES"

const howToRunKamailio = "install Kamailio (sudo apt-get install kamailio, or `make deps` as root)"

func TestMain(m *testing.M) {
	in, err := asterisktest.Find()
	if err == nil {
		kamailio, err = findKamailio()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "cluster test: %v; under CI=true it must run: %s; %s\n", err, asterisktest.HowToRun, howToRunKamailio)
			os.Exit(1)
		}
		fmt.Printf("cluster test skipped: %v; to run it, %s; %s\n", err, asterisktest.HowToRun, howToRunKamailio)
		os.Exit(0)
	}
	if _, err := pgcluster.FindBinDir(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster test: %v\n", err)
		os.Exit(1)
	}
	install = in
	code := m.Run()
	if len(figures) > 0 {
		report := fmt.Sprintf("cluster failover figures (loopback, %s):\n%s\n", in.Version, strings.Join(figures, "\n"))
		fmt.Print(report)
		// go test shows a passing package's output only with -v: `make
		// test` names a file here and prints it after the run.
		if path := os.Getenv(EnvFigures); path != "" {
			if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
				fmt.Fprintf(os.Stderr, "cluster test: write the figures to %s: %v\n", path, err)
			}
		}
	}
	os.Exit(code)
}

// findKamailio looks for kamailio on PATH and in /usr/sbin (Debian's
// package puts it there, outside a normal user's PATH).
func findKamailio() (string, error) {
	if p, err := exec.LookPath("kamailio"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
		return "/usr/sbin/kamailio", nil
	}
	return "", errors.New("no kamailio on PATH or in /usr/sbin")
}
